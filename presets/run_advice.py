"""A run's verdict and next step (presets.advice) from its history, with the baseline it is judged against.

The baseline is the loss of a model that ignores its inputs, on the training split: the training mean
for regression (about 1 for a standardised target under MSE), the class frequencies for classification
(the cross-entropy of the prior). It is measured with the run's own loss function.
"""
from __future__ import annotations

import numpy as np

import npnn
from npnn.history import History
from presets.advice import Advice, advise
from presets.sequence.metrics import unigram_loss


def baseline_loss(loss_fn, y_train: np.ndarray, task: str, num_classes: int = 0) -> float | None:
    """The loss of predicting the training mean (regression) or the class frequencies (classification)."""
    y = np.asarray(y_train)
    if len(y) == 0:
        return None
    if task == "sequence":
        return unigram_loss(y)
    if task == "classification":
        prior = np.bincount(y.astype(np.int64).ravel(), minlength=num_classes) / y.size
        # NOTE: a class absent from the training split gets a tiny share so its log stays finite
        outputs = np.broadcast_to(np.log(np.maximum(prior, 1e-12)), (len(y), len(prior)))
    else:
        outputs = np.broadcast_to(y.mean(axis=0), y.shape)
    with npnn.no_grad():
        value = float(loss_fn(npnn.Tensor(np.array(outputs, dtype=np.float64)),
                              npnn.Tensor(y if task == "classification" else y.astype(np.float64))).item())
    return value if np.isfinite(value) else None


def _regularised(preset) -> bool:
    """The model already has dropout or the optimizer weight decay (advice then says raise, not add)."""
    return bool(preset.dropout) or bool(preset.optimizer_options.get("weight_decay"))


def run_advice(preset, history: History | None, baseline: float | None) -> Advice:
    """The verdict on `history` (a finished run's, or a running one's so far) for a run of `preset`."""
    history = history if history is not None else History()
    count = len(history)  # NOTE: the fit loop appends from its thread; read each list up to one length
    return advise(list(history.train_loss[:count]), list(history.val_loss[:count]),
                  stop_reason=history.stop_reason, best_epoch=history.best_epoch, lr=preset.lr,
                  baseline=baseline, divergence=history.divergence, regularised=_regularised(preset))
