"""What a trained model predicts on its test split, as the Predictions view shows it: arrays and names only.

Classification: the confusion matrix with the class names, and a few test samples, misclassified
first, with their two most probable classes. Regression: predicted against actual in the target's
own units (the standardisation the run used is undone) and the residuals' statistics. Sequence: the
test prompts completed greedily beside the true completions (a text's: each window's second half).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import npnn
from npnn.metrics import confusion_matrix
from presets.datasets import Splits
from presets.sequence.data import decode, whole_rows
from presets.sequence.generate import continue_ids

SAMPLES = 8  # test samples listed (and drawn, for images) of a classification
TEXT_WINDOWS = 200  # a text model's test windows completed (each takes block_size / 2 forward passes)


@dataclass
class Predictions:
    """Both kinds: the split they are on and the weights that made them ("best" restored, or "last")."""
    split: str
    weights: str


@dataclass
class ClassPredictions(Predictions):
    """A classifier's test predictions: rows of `confusion` are true classes, columns predicted ones."""
    class_names: list[str]  # label i is class_names[i]
    confusion: np.ndarray   # (k, k) counts
    index: np.ndarray       # (n,) test-split rows of the samples: misclassified first, most confident first
    true: np.ndarray        # (n,) true labels of the samples
    top2: np.ndarray        # (n, 2) the two most probable labels; column 0 is the prediction
    top2_p: np.ndarray      # (n, 2) their softmax probabilities
    images: np.ndarray      # (n, H, W) in [0, 1] for image data; shape (0, 0, 0) for tabular rows

    @property
    def predicted(self) -> np.ndarray:
        return self.top2[:, 0]

    @property
    def misclassified(self) -> int:
        """Wrong predictions on the whole test split (the samples hold at most SAMPLES of them)."""
        return int(self.confusion.sum() - np.trace(self.confusion))


@dataclass
class RegressionPredictions(Predictions):
    """A regressor's test predictions in the target's units; residual = actual − predicted."""
    target_name: str
    actual: np.ndarray      # (n,)
    predicted: np.ndarray   # (n,)

    @property
    def residuals(self) -> np.ndarray:
        """Finite residuals only: a diverged model's nan predictions are left out of the statistics."""
        residuals = self.actual - self.predicted
        return residuals[np.isfinite(residuals)]

    @property
    def residual_mean(self) -> float:
        r = self.residuals
        return float(r.mean()) if r.size else float("nan")

    @property
    def residual_std(self) -> float:
        r = self.residuals
        return float(r.std()) if r.size else float("nan")

    @property
    def mae(self) -> float:
        r = self.residuals
        return float(np.abs(r).mean()) if r.size else float("nan")


def classification(outputs: np.ndarray, splits: Splits, weights: str) -> ClassPredictions:
    """The confusion matrix of `outputs` (logits on the test split) and SAMPLES samples, misclassified first."""
    probs = npnn.Tensor(np.asarray(outputs, dtype=np.float64)).softmax(axis=-1).data
    top2 = np.argsort(-probs, axis=1, kind="stable")[:, :2]  # NOTE: stable: ties go to the lower label, as argmax
    top2_p = np.take_along_axis(probs, top2, axis=1)
    true = splits.y_test.astype(np.int64)
    wrong = top2[:, 0] != true
    # misclassified first, the most confident mistakes first; then the right ones in test order
    order = np.lexsort((np.arange(len(true)), np.where(wrong, -np.nan_to_num(top2_p[:, 0]), 0.0), ~wrong))
    index = order[:SAMPLES]
    x = splits.x_test
    images = np.clip(x[index].reshape(len(index), *x.shape[-2:]), 0.0, 1.0) if x.ndim == 4 \
        else np.zeros((0, 0, 0), dtype=np.float32)
    return ClassPredictions("test", weights, [str(name) for name in splits.preprocessing["class_names"]],
                            confusion_matrix(true, top2[:, 0], num_classes=splits.num_classes),
                            index, true[index], top2[index], top2_p[index], images)


def regression(outputs: np.ndarray, splits: Splits, weights: str) -> RegressionPredictions:
    """Predicted and actual test targets, un-standardised with the training split's target mean and std.

    NOTE: presets' regression data has one target column (diabetes, or a CSV's --target), so column 0."""
    mean, std = splits.preprocessing.get("target_mean"), splits.preprocessing.get("target_std")
    mean, std = (0.0, 1.0) if mean is None or std is None else (mean[0], std[0])
    predicted = np.asarray(outputs, dtype=np.float64)[:, 0] * std + mean
    actual = splits.y_test.astype(np.float64)[:, 0] * std + mean
    return RegressionPredictions("test", weights, splits.preprocessing["target_name"],
                                 actual, predicted)


@dataclass
class SequencePredictions(Predictions):
    """A sequence model's greedy completions of test prompts: for sums the answers, for a text each
    window's second half written from its first."""
    prompts: list[str]
    predicted: list[str]
    expected: list[str]

    @property
    def right(self) -> np.ndarray:
        return np.array([p == e for p, e in zip(self.predicted, self.expected)], dtype=bool)


def sequence(model, splits: Splits, weights: str) -> SequencePredictions:
    """Complete the test split's prompts greedily (the answer a sum's exact match scores)."""
    vocab, block = splits.preprocessing["vocab"], splits.x_test.shape[1]
    rows = whole_rows(splits.x_test, splits.y_test)
    prompt = splits.preprocessing.get("prompt_length")
    if prompt is None:
        rows, prompt = rows[:TEXT_WINDOWS], max(1, block // 2)
    completed = continue_ids(model, rows[:, :prompt], block + 1 - prompt, block)
    return SequencePredictions("test", weights, [decode(r, vocab) for r in rows[:, :prompt]],
                               [decode(r, vocab) for r in completed[:, prompt:]],
                               [decode(r, vocab) for r in rows[:, prompt:]])
