"""Standardisation with the training split's statistics, per column: the one formula for tables' inputs
and regression targets."""
from __future__ import annotations

import numpy as np


def standardise(train: np.ndarray, *others: np.ndarray) -> tuple[list[np.ndarray], dict]:
    """(a - mean) / std with the training split's statistics, per column; also {"mean", "std"} in the
    data's own units (lists of floats), which prediction applies to new rows.

    NOTE: columns are first divided by their largest magnitude, so values near the float64 limit
    (1e300) do not overflow the squares inside std; the result is the same for ordinary data.
    """
    train = np.asarray(train, dtype=np.float64)
    scale = np.abs(train).max(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    scaled = train / scale
    mean, std = scaled.mean(axis=0), scaled.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    arrays = [((np.asarray(a, dtype=np.float64) / scale - mean) / std).astype(np.float32) for a in (train, *others)]
    return arrays, {"mean": (mean * scale).tolist(), "std": (std * scale).tolist()}
