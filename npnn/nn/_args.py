"""Argument checks shared by the functional forms: pairs of ints, shapes in messages, tensors from arrays."""
from __future__ import annotations

import numpy as np

from npnn.tensor import Tensor


def _pair(value, name: str) -> tuple:
    """An int or a pair of ints as (height, width)."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    ints = isinstance(pair, (tuple, list)) and len(pair) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair)
    if not ints:
        raise TypeError(f"{name} expects an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _as_tensor(x, name: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, list, tuple, int, float)):
        return Tensor(x)
    raise TypeError(f"{name} expects a Tensor or an array, got {type(x).__name__}")
