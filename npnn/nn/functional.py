"""Functional forms of the layers and losses (PyTorch's torch.nn.functional names and arguments).

Each checks its input and names itself in the error; the layer classes pass their own label instead
(`Linear(10→128) expected input (..., 10), got (32, 12)`).
"""
from __future__ import annotations

import numpy as np

from npnn import ops, tensor_ops
from npnn.nn._args import _as_tensor, _pair, _pool_geometry, _shape  # noqa: F401  (layers call F._pair)
from npnn.nn._attention import embedding, scaled_dot_product_attention  # noqa: F401  (re-exported)
from npnn.nn._dropout import dropout  # noqa: F401  (re-exported)
from npnn.nn._norm_pool import adaptive_avg_pool2d, avg_pool2d, batch_norm, layer_norm  # noqa: F401  (re-exported)
from npnn.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


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
    kernel, stride, padding = _pool_geometry(input, kernel_size, stride, padding, label)
    return ops.MaxPool2d.apply(input, kernel_size=kernel, stride=stride, padding=padding)


def flatten(input: Tensor, start_dim: int = 1, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim into one (the layer's default keeps the batch dimension)."""
    return tensor_ops.flatten(input, start_dim, end_dim)


# ---- activations ----------------------------------------------------------------------------------
def relu(input: Tensor) -> Tensor:
    return ops.ReLU.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return ops.LeakyReLU.apply(input, negative_slope=negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    return ops.GELU.apply(input, approximate=approximate)


def silu(input: Tensor) -> Tensor:
    """x·sigmoid(x) (Swish), one primitive."""
    return ops.SiLU.apply(input)


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha·(exp(x) - 1) otherwise."""
    return ops.ELU.apply(input, alpha=alpha)


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


def _weight_array(value, name: str, label: str) -> np.ndarray | None:
    """A weight argument (Tensor, array or list) as a real array; None stays None."""
    if value is None:
        return None
    data = value.data if isinstance(value, Tensor) else np.asarray(value)
    if data.dtype.kind not in "iuf":
        raise TypeError(f"{label} {name} must hold real numbers, got dtype {data.dtype}")
    return data


def _constant(value, input: Tensor, name: str, label: str) -> np.ndarray | None:
    """A weight argument in the input's dtype (a constant, as PyTorch's loss buffers: no gradient)."""
    data = _weight_array(value, name, label)
    return None if data is None else data.astype(input.dtype if input.dtype.kind == "f" else np.float32, copy=False)


def _check_cross_entropy_options(ignore_index, label_smoothing, label: str) -> None:
    if not isinstance(ignore_index, (int, np.integer)) or isinstance(ignore_index, bool):
        raise TypeError(f"{label} ignore_index must be an int, got {ignore_index!r}")
    if not (isinstance(label_smoothing, (int, float)) and 0.0 <= label_smoothing <= 1.0):
        raise ValueError(f"{label} label_smoothing must be in [0, 1], got {label_smoothing!r}")


def _broadcasts_to(value: np.ndarray | None, shape: tuple, name: str, label: str) -> None:
    """Weights scale the loss in place in PyTorch: they may broadcast to the input, never enlarge it."""
    if value is None:
        return
    try:
        fits = np.broadcast_shapes(value.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{label} {name} of shape {_shape(value.shape)} does not broadcast to the input's shape "
                         f"{_shape(shape)}")


def cross_entropy(input: Tensor, target, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0, label: str = "cross_entropy") -> Tensor:
    """Stable fused log-softmax + negative log-likelihood, as torch.nn.functional.cross_entropy.

    input: logits (C,), (N, C) or (N, C, d1, ...). target: class indices (integers, the input's shape
    without C) or class probabilities (floats, the input's shape). weight: one per class.
    """
    _check_reduction(reduction, label)
    _check_cross_entropy_options(ignore_index, label_smoothing, label)
    input = _as_tensor(input, label)
    if input.ndim < 1:
        raise ValueError(f"{label} expected logits (C,), (N, C) or (N, C, d1, ...), got {_shape(input.shape)}")
    axis = 0 if input.ndim == 1 else 1
    classes = input.shape[axis]
    weight = _constant(weight, input, "weight", label)
    if weight is not None and weight.shape != (classes,):
        raise ValueError(f"{label} weight must have one entry per class, shape ({classes},), "
                         f"got {_shape(weight.shape)}")
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target)) if isinstance(target, (list, tuple, int, np.integer)) else \
            _as_tensor(target, label)
    index_shape = input.shape[:axis] + input.shape[axis + 1:]
    if target.shape == input.shape:  # NOTE: PyTorch tells probabilities from indices by shape alone
        if target.dtype.kind != "f":
            raise TypeError(f"{label} target of the input's shape {_shape(input.shape)} holds class probabilities "
                            f"and must be floating point, got dtype {target.dtype}")
        if ignore_index >= 0:
            raise ValueError(f"{label} ignore_index={ignore_index} is not supported with class-probability "
                             f"targets (only the default, a negative value)")
        target, ignore = _like_input(input, target, label), None
    elif target.shape == index_shape:
        if target.dtype.kind not in "iu":
            raise TypeError(f"{label} target of shape {_shape(target.shape)} holds class indices and must be "
                            f"integers, got dtype {target.dtype}")
        ignore = _ignored_class(target.data, classes, ignore_index, label)
    else:
        raise ValueError(f"{label} expected class-index target of shape {_shape(index_shape)} or probability "
                         f"target of shape {_shape(input.shape)}, got {_shape(target.shape)}")
    return ops.CrossEntropy.apply(input, target, weight=weight, axis=axis, ignore_index=ignore,
                                  label_smoothing=float(label_smoothing), reduction=reduction)


def _ignored_class(target: np.ndarray, classes: int, ignore_index: int, label: str) -> int | None:
    """Check every index is a class or ignore_index; return ignore_index if it may occur, else None."""
    if not target.size:
        return None
    low, high = target.min(), target.max()
    if low < 0 or high >= classes:
        bad = target[((target < 0) | (target >= classes)) & (target != ignore_index)]
        if bad.size:
            raise ValueError(f"{label} target holds class {bad[0]}, outside 0..{classes - 1} for {classes} classes "
                             f"(ignore_index={ignore_index})")
    return int(ignore_index) if low <= ignore_index <= high else None


def binary_cross_entropy_with_logits(input: Tensor, target, weight=None, reduction: str = "mean",
                                     pos_weight=None, label: str = "binary_cross_entropy_with_logits") -> Tensor:
    """Sigmoid + binary cross-entropy in one stable op; pos_weight scales the positive term."""
    _check_reduction(reduction, label)
    input = _as_tensor(input, label)
    target = _like_input(input, target, label)
    weight, pos_weight = _constant(weight, input, "weight", label), _constant(pos_weight, input, "pos_weight", label)
    _broadcasts_to(weight, input.shape, "weight", label)
    _broadcasts_to(pos_weight, input.shape, "pos_weight", label)
    return ops.BCEWithLogits.apply(input, target, weight=weight, pos_weight=pos_weight, reduction=reduction)


def binary_cross_entropy(input: Tensor, target, weight=None, reduction: str = "mean",
                         label: str = "binary_cross_entropy") -> Tensor:
    _check_reduction(reduction, label)
    input = _as_tensor(input, label)
    target = _like_input(input, target, label)
    weight = _constant(weight, input, "weight", label)
    _broadcasts_to(weight, input.shape, "weight", label)
    low, high = (input.data.min(), input.data.max()) if input.size else (0, 0)
    if low < 0 or high > 1:
        raise ValueError(f"{label} expects probabilities in [0, 1] as input (apply a sigmoid, or use "
                         f"BCEWithLogitsLoss on logits), got values in [{low:.4g}, {high:.4g}]")
    return ops.BCE.apply(input, target, weight=weight, reduction=reduction)
