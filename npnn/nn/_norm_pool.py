"""Functional normalisation and average pooling (torch.nn.functional's batch_norm, layer_norm,
avg_pool2d, adaptive_avg_pool2d); npnn.nn.functional re-exports them."""
from __future__ import annotations

import numpy as np

from npnn import ops
from npnn.nn._args import _as_tensor, _pair, _pool_geometry, _shape
from npnn.ops.geometry import output_size
from npnn.tensor import Tensor


def _pool_windows(size: int, kernel: int, stride: int, padding: int, ceil_mode: bool):
    """Output length along one axis and PyTorch's two divisors per output position: the window
    length counting padding (not the part past it that ceil_mode adds) and counting only the input."""
    out = output_size(size, kernel, stride, padding, ceil_mode)
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    return out, end - start, np.minimum(end, size) - np.maximum(start, 0)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None,
               label: str = "avg_pool2d") -> Tensor:
    """Mean over windows of an (N, C, H, W) input; stride defaults to the kernel size. Padding is zeros
    that count in the divisor when count_include_pad, as PyTorch computes it."""
    input = _as_tensor(input, label)
    kernel, stride, padding = _pool_geometry(input, kernel_size, stride, padding, label)
    if divisor_override is not None and (isinstance(divisor_override, bool) or
                                         not isinstance(divisor_override, (int, np.integer)) or divisor_override < 1):
        raise ValueError(f"{label}: divisor_override must be a positive integer or None, got {divisor_override!r}")
    oh, rows_in, rows_data = _pool_windows(input.shape[2], kernel[0], stride[0], padding[0], ceil_mode)
    ow, cols_in, cols_data = _pool_windows(input.shape[3], kernel[1], stride[1], padding[1], ceil_mode)
    if divisor_override is not None:
        divisor = np.full((oh, ow), divisor_override)
    else:
        divisor = np.outer(rows_in, cols_in) if count_include_pad else np.outer(rows_data, cols_data)
    return ops.AvgPool2d.apply(input, kernel_size=kernel, stride=stride, padding=padding, out_size=(oh, ow),
                               divisor=divisor.astype(input.dtype))


def _adaptive_means(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) matrix averaging PyTorch's adaptive windows [floor(i·size/out), ceil((i+1)·size/out))."""
    i = np.arange(out)
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    positions = np.arange(size)
    inside = (positions >= start[:, None]) & (positions < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d(input: Tensor, output_size, label: str = "adaptive_avg_pool2d") -> Tensor:
    """Mean over the windows that split (N, C, H, W) into output_size (an int, a pair, None keeps a size)."""
    input = _as_tensor(input, label)
    if input.ndim != 4:
        raise ValueError(f"{label} expected input (N, C, H, W), got {_shape(input.shape)}")
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) == 2:  # None keeps that axis's size, as in PyTorch
        sizes = tuple(input.shape[2 + k] if s is None else s for k, s in enumerate(sizes))
    oh, ow = _pair(sizes, "output_size")
    if oh < 1 or ow < 1:
        raise ValueError(f"{label}: output_size must be positive, got {output_size!r}")
    return ops.SeparableMean2d.apply(input, rows=_adaptive_means(input.shape[2], oh, input.dtype),
                                     cols=_adaptive_means(input.shape[3], ow, input.dtype))


def _normalize(input: Tensor, weight, bias, mean: np.ndarray, var: np.ndarray, eps: float, stat_axes: tuple,
               batch_stats: bool, param_shape: tuple, param_axes: tuple, label: str) -> Tensor:
    dtype = input.dtype
    invstd = (1 / np.sqrt(var.astype(dtype, copy=False) + dtype.type(eps))).astype(dtype, copy=False)
    affine = [_as_tensor(t, label) for t in (weight, bias) if t is not None]
    return ops.Normalize.apply(input, *affine, mean=mean.astype(dtype, copy=False), invstd=invstd,
                               stat_axes=stat_axes, batch_stats=batch_stats, param_shape=param_shape,
                               param_axes=param_axes, has_weight=weight is not None, has_bias=bias is not None)


def batch_norm(input: Tensor, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5, label: str = "batch_norm") -> Tensor:
    """Normalise each channel of (N, C, ...) input. In training: by the batch's mean and biased
    variance (the gradient flows through both), and the running statistics (if given) move by
    `momentum` towards the batch mean and the unbiased variance, in place, as PyTorch does;
    otherwise by running_mean and running_var."""
    input = _as_tensor(input, label)
    if input.ndim < 2:
        raise ValueError(f"{label} expected input (N, C, ...), got {_shape(input.shape)}")
    channels = input.shape[1]
    running = [None if r is None else (r.data if isinstance(r, Tensor) else np.asarray(r))
               for r in (running_mean, running_var)]
    for name, r in zip(("running_mean", "running_var"), running):
        if r is not None and r.shape != (channels,):
            raise ValueError(f"{label} expected {name} of shape ({channels},) for input {_shape(input.shape)} "
                             f"with {channels} channels, got {_shape(r.shape)}")
    stat_axes = (0,) + tuple(range(2, input.ndim))
    param_shape = (1, channels) + (1,) * (input.ndim - 2)
    if training:
        count = input.size // max(channels, 1)
        if count <= 1:
            raise ValueError(f"{label}: expected more than 1 value per channel when training, got input "
                             f"{_shape(input.shape)}")
        mean = input.data.mean(axis=stat_axes, keepdims=True)
        var = input.data.var(axis=stat_axes, keepdims=True)
        if running[0] is not None:
            running[0] *= 1 - momentum
            running[0] += momentum * mean.reshape(-1)
        if running[1] is not None:
            running[1] *= 1 - momentum
            running[1] += (momentum * count / (count - 1)) * var.reshape(-1)
    else:
        if running[0] is None or running[1] is None:
            raise ValueError(f"{label}: running_mean and running_var are needed when not training")
        mean, var = running[0].reshape(param_shape), running[1].reshape(param_shape)
    return _normalize(input, weight, bias, mean, var, eps, stat_axes, training, param_shape, stat_axes, label)


def layer_norm(input: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5,
               label: str = "layer_norm") -> Tensor:
    """Normalise over the last len(normalized_shape) axes of each sample (mean, biased variance)."""
    input = _as_tensor(input, label)
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ValueError(f"{label} expected input (*, {', '.join(map(str, shape))}) for normalized_shape "
                         f"{_shape(shape)}, got {_shape(input.shape)}")
    stat_axes = tuple(range(input.ndim - k, input.ndim))
    mean = input.data.mean(axis=stat_axes, keepdims=True)
    var = input.data.var(axis=stat_axes, keepdims=True)
    return _normalize(input, weight, bias, mean, var, eps, stat_axes, True, shape,
                      tuple(range(input.ndim - k)), label)
