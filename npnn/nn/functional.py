"""Functional forms of the layers and losses (PyTorch's torch.nn.functional names and arguments).

Each checks its input and names itself in the error; the layer classes pass their own label instead
(`Linear(10→128) expected input (..., 10), got (32, 12)`).
"""
from __future__ import annotations

import numpy as np

from npnn import ops
from npnn.random import generator
from npnn.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


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


# ---- layers ---------------------------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None, label: str = "linear") -> Tensor:
    """x @ weight.T + bias as one fused op; x is (..., in_features)."""
    input, weight = _as_tensor(input, label), _as_tensor(weight, label)
    bias = None if bias is None else _as_tensor(bias, label)
    in_features = weight.shape[1]
    if input.ndim < 1 or input.shape[-1] != in_features:
        raise ValueError(f"{label} expected input (..., {in_features}), got {_shape(input.shape)}")
    return ops.Linear.apply(input, weight) if bias is None else ops.Linear.apply(input, weight, bias)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           label: str = "conv2d") -> Tensor:
    """2-D cross-correlation of (N, C, H, W) input with (O, C, kh, kw) weight, as PyTorch computes it."""
    input, weight = _as_tensor(input, label), _as_tensor(weight, label)
    bias = None if bias is None else _as_tensor(bias, label)
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    channels, kh, kw = weight.shape[1:]
    if input.ndim != 4 or input.shape[1] != channels:
        raise ValueError(f"{label} expected input (N, {channels}, H, W), got {_shape(input.shape)}")
    h, w = input.shape[2] + 2 * padding[0], input.shape[3] + 2 * padding[1]
    if h < kh or w < kw:
        raise ValueError(f"{label}: padded input {h}x{w} is smaller than the kernel {kh}x{kw} "
                         f"(input {_shape(input.shape)})")
    args = (input, weight) if bias is None else (input, weight, bias)
    return ops.Conv2d.apply(*args, stride=stride, padding=padding)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, label: str = "max_pool2d") -> Tensor:
    """Max over windows of an (N, C, H, W) input; stride defaults to the kernel size."""
    input = _as_tensor(input, label)
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
    return ops.MaxPool2d.apply(input, kernel_size=kernel, stride=stride, padding=padding)


def flatten(input: Tensor, start_dim: int = 1, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim into one."""
    ndim = input.ndim
    start, end = start_dim % max(ndim, 1), end_dim % max(ndim, 1)
    if not (-ndim <= start_dim < ndim and -ndim <= end_dim < ndim) or start > end:
        raise ValueError(f"flatten(start_dim={start_dim}, end_dim={end_dim}) does not fit an input of "
                         f"shape {_shape(input.shape)}")
    shape = input.shape[:start] + (int(np.prod(input.shape[start:end + 1])),) + input.shape[end + 1:]
    return input.reshape(shape)


# ---- activations ----------------------------------------------------------------------------------
def relu(input: Tensor) -> Tensor:
    return ops.ReLU.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return ops.LeakyReLU.apply(input, negative_slope=negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    return ops.GELU.apply(input, approximate=approximate)


def sigmoid(input: Tensor) -> Tensor:
    return ops.Sigmoid.apply(input)


def tanh(input: Tensor) -> Tensor:
    return ops.Tanh.apply(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta·x)) / beta, linear where beta·x > threshold (as torch.nn.functional.softplus)."""
    if beta == 0:
        raise ValueError(f"softplus beta must be non-zero, got {beta}")
    return ops.Softplus.apply(input, beta=beta, threshold=threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), finite far into both tails (as torch.nn.functional.logsigmoid)."""
    return ops.LogSigmoid.apply(input)


def softmax(input: Tensor, dim: int = -1) -> Tensor:
    return ops.Softmax.apply(input, axis=dim)


def log_softmax(input: Tensor, dim: int = -1) -> Tensor:
    return ops.LogSoftmax.apply(input, axis=dim)


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each entry with probability p and scale the rest by 1/(1-p)."""
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    if not training or p == 0:
        return input
    dtype = input.dtype if input.dtype.kind == "f" else np.dtype(np.float32)
    keep = generator().random(input.shape, dtype=dtype) >= dtype.type(p)
    return input * Tensor(keep * dtype.type(1 / (1 - p)))


# ---- losses ---------------------------------------------------------------------------------------
def _check_reduction(reduction: str, name: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name} reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _like_input(input: Tensor, target, name: str) -> Tensor:
    """The target as a tensor of the input's shape and dtype (no silent broadcast, no upcast)."""
    target = _as_tensor(target, name)
    if target.shape != input.shape:
        raise ValueError(f"{name} expected target of shape {_shape(input.shape)} like the input, "
                         f"got {_shape(target.shape)}")
    if target.dtype != input.dtype:
        target = Tensor(target.data.astype(input.dtype)) if not target.requires_grad else target
    return target


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def mse_loss(input: Tensor, target, reduction: str = "mean", label: str = "mse_loss") -> Tensor:
    _check_reduction(reduction, label)
    diff = input - _like_input(input, target, label)
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target, reduction: str = "mean", label: str = "l1_loss") -> Tensor:
    _check_reduction(reduction, label)
    return _reduce((input - _like_input(input, target, label)).abs(), reduction)


def huber_loss(input: Tensor, target, reduction: str = "mean", delta: float = 1.0,
               label: str = "huber_loss") -> Tensor:
    _check_reduction(reduction, label)
    if not delta > 0:
        raise ValueError(f"{label} delta must be positive, got {delta}")
    return _reduce(ops.Huber.apply(input, _like_input(input, target, label), delta=delta), reduction)


def cross_entropy(input: Tensor, target, reduction: str = "mean", label: str = "cross_entropy") -> Tensor:
    """Stable fused log-softmax + negative log-likelihood of logits (N, C).

    target: class indices (N,) (integers) or class probabilities (N, C) (floats).
    """
    _check_reduction(reduction, label)
    target = _as_tensor(target, label)
    if input.ndim != 2:
        raise ValueError(f"{label} expected logits (N, C), got {_shape(input.shape)}")
    n, classes = input.shape
    if target.dtype.kind in "iu":
        if target.shape != (n,):
            raise ValueError(f"{label} expected class-index target of shape ({n},), got {_shape(target.shape)}")
        if n and (target.data.min() < 0 or target.data.max() >= classes):
            bad = target.data[(target.data < 0) | (target.data >= classes)][0]
            raise ValueError(f"{label} target holds class {bad}, outside 0..{classes - 1} for {classes} classes")
    elif target.dtype.kind == "f":
        if target.shape != input.shape:
            raise ValueError(f"{label} expected class-index target of shape ({n},) or probability target of "
                             f"shape {_shape(input.shape)}, got {_shape(target.shape)}")
        target = _like_input(input, target, label)
    else:
        raise TypeError(f"{label} expects integer class indices or float probabilities, got dtype {target.dtype}")
    return ops.CrossEntropy.apply(input, target, reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target, reduction: str = "mean",
                                     label: str = "binary_cross_entropy_with_logits") -> Tensor:
    _check_reduction(reduction, label)
    return ops.BCEWithLogits.apply(input, _like_input(input, target, label), reduction=reduction)


def binary_cross_entropy(input: Tensor, target, reduction: str = "mean",
                         label: str = "binary_cross_entropy") -> Tensor:
    _check_reduction(reduction, label)
    target = _like_input(input, target, label)
    low, high = (input.data.min(), input.data.max()) if input.size else (0, 0)
    if low < 0 or high > 1:
        raise ValueError(f"{label} expects probabilities in [0, 1] as input (apply a sigmoid, or use "
                         f"BCEWithLogitsLoss on logits), got values in [{low:.4g}, {high:.4g}]")
    return ops.BCE.apply(input, target, reduction=reduction)
