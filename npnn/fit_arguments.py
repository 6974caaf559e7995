"""Checking fit()'s and FitLoop's arguments: clear errors before anything trains."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from npnn import metrics as metrics_module
from npnn.tensor import Tensor


def metric_functions(metrics) -> dict:
    if isinstance(metrics, str):
        raise TypeError(f"fit: metrics must be a sequence of names or a mapping, got the string {metrics!r} "
                        f"(write metrics=({metrics!r},))")
    if isinstance(metrics, Mapping):
        for name, fn in metrics.items():
            if not callable(fn):
                raise TypeError(f"fit: metric {name!r} must be callable(y_pred, y_true), got {type(fn).__name__}")
        return dict(metrics)
    return {name: metrics_module.get(name) for name in metrics}


def validation_arrays(val_data) -> tuple[np.ndarray, np.ndarray] | None:
    if val_data is None:
        return None
    if not isinstance(val_data, (tuple, list)) or len(val_data) != 2:
        raise ValueError("fit: val_data must be a pair (X, y) of arrays")
    X, y = (v.data if isinstance(v, Tensor) else np.asarray(v) for v in val_data)
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"fit: val_data X and y must be non-empty with the same number of samples, "
                         f"got {len(X)} and {len(y)}")
    return X, y


def check_clip_norm(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not float(value) > 0:
        raise ValueError(f"fit: max_grad_norm must be > 0 or None, got {value!r}")
    return float(value)


def check_arguments(train_loader, epochs, batch_event_interval, callbacks) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    if not batch_event_interval >= 0:
        raise ValueError(f"fit: batch_event_interval must be >= 0 seconds, got {batch_event_interval!r}")
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"fit: callbacks must be callables taking one event, got {type(cb).__name__}")
    if getattr(train_loader, "_single", False):
        raise ValueError("fit: train_loader yields inputs only; build it with targets, DataLoader(X, y)")
