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


def _pool_geometry(input, kernel_size, stride, padding, label: str) -> tuple[tuple, tuple, tuple]:
    """Kernel, stride (default: the kernel) and padding of a 2-D pooling, checked against its
    (N, C, H, W) input as PyTorch checks them."""
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding")
    if min(kernel) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"{label}: kernel_size and stride must be positive and padding non-negative")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{label}: padding {padding} must be at most half the kernel size {kernel}")
    if input.ndim != 4:
        raise ValueError(f"{label} expected input (N, C, H, W), got {_shape(input.shape)}")
    if input.shape[2] + 2 * padding[0] < kernel[0] or input.shape[3] + 2 * padding[1] < kernel[1]:
        raise ValueError(f"{label}: input {_shape(input.shape)} is smaller than the kernel {kernel}")
    return kernel, stride, padding
