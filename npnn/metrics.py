"""Evaluation metrics on NumPy arrays (Tensors accepted), matching scikit-learn's definitions.

Every scalar metric is called as `metric(y_pred, y_true)` (torchmetrics' order, and the order the fit
loop uses for custom metrics); confusion_matrix keeps scikit-learn's (y_true, y_pred). Regression
metrics average over output columns ("uniform_average"); a 1-D target and an (N, 1) prediction are
the same thing.
"""
from __future__ import annotations

import numpy as np

from npnn.tensor import Tensor


def _arr(value, name: str, metric: str) -> np.ndarray:
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.ndim == 0 or len(array) == 0:
        raise ValueError(f"{metric}: {name} must be a non-empty array of samples, got shape {array.shape}")
    return array


def _regression(y_pred, y_true, metric: str):
    p, t = _arr(y_pred, "y_pred", metric), _arr(y_true, "y_true", metric)
    t = t.reshape(len(t), -1).astype(np.float64, copy=False)
    p = p.reshape(len(p), -1).astype(np.float64, copy=False)
    if t.shape != p.shape:
        raise ValueError(f"{metric}: y_true and y_pred must have the same shape, got {t.shape} and {p.shape}")
    return t, p


def mse(y_pred, y_true) -> float:
    """Mean squared error."""
    t, p = _regression(y_pred, y_true, "mse")
    return float(np.mean((t - p) ** 2))


def mae(y_pred, y_true) -> float:
    """Mean absolute error."""
    t, p = _regression(y_pred, y_true, "mae")
    return float(np.mean(np.abs(t - p)))


def rmse(y_pred, y_true) -> float:
    """Root mean squared error (per output column, then averaged, as sklearn does)."""
    t, p = _regression(y_pred, y_true, "rmse")
    return float(np.mean(np.sqrt(np.mean((t - p) ** 2, axis=0))))


def r2(y_pred, y_true) -> float:
    """Coefficient of determination; a constant target column scores 1.0 if predicted exactly, else 0.0."""
    t, p = _regression(y_pred, y_true, "r2")
    residual = np.sum((t - p) ** 2, axis=0)
    total = np.sum((t - t.mean(axis=0)) ** 2, axis=0)
    scores = np.where(total != 0, 1.0 - residual / np.where(total != 0, total, 1.0),
                      np.where(residual == 0, 1.0, 0.0))
    return float(np.mean(scores))


def _labels(values, name: str, metric: str) -> np.ndarray:
    """Class labels from labels (N,) / (N, 1), or from scores or one-hot rows (N, C) by argmax."""
    array = _arr(values, name, metric)
    if array.ndim == 2 and array.shape[1] > 1:
        return array.argmax(axis=1)
    if array.ndim > 2:
        raise ValueError(f"{metric}: {name} must be labels (N,) or scores (N, C), got shape {array.shape}")
    array = array.reshape(-1)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise ValueError(f"{metric}: {name} holds non-integer values; pass integer labels or (N, C) scores")
        array = array.astype(np.int64)
    return array


def accuracy(y_pred, y_true) -> float:
    """Fraction of correct labels; y_pred may be logits/probabilities (N, C), y_true one-hot (N, C)."""
    p, t = _labels(y_pred, "y_pred", "accuracy"), _labels(y_true, "y_true", "accuracy")
    if p.shape != t.shape:
        raise ValueError(f"accuracy: y_pred and y_true hold different numbers of samples, {len(p)} and {len(t)}")
    return float(np.mean(p == t))


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts with true classes as rows and predicted classes as columns (scikit-learn's layout)."""
    t, p = _labels(y_true, "y_true", "confusion_matrix"), _labels(y_pred, "y_pred", "confusion_matrix")
    if t.shape != p.shape:
        raise ValueError(f"confusion_matrix: y_true and y_pred hold different numbers of samples, "
                         f"{len(t)} and {len(p)}")
    if t.min() < 0 or p.min() < 0:
        raise ValueError("confusion_matrix: labels must be non-negative integers")
    k = int(max(t.max(), p.max())) + 1 if num_classes is None else int(num_classes)
    if max(t.max(), p.max()) >= k:
        raise ValueError(f"confusion_matrix: a label is >= num_classes={k}, got {int(max(t.max(), p.max()))}")
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


METRICS = {"mse": mse, "mae": mae, "rmse": rmse, "r2": r2, "accuracy": accuracy}


def get(name: str):
    """The metric function for a name in METRICS (used by the fit loop's `metrics=` argument)."""
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; expected one of {sorted(METRICS)}") from None
