"""BatchNorm1d, BatchNorm2d and LayerNorm, with PyTorch's defaults, buffers and state-dict keys."""
from __future__ import annotations

import numpy as np

from npnn.nn import functional as F
from npnn.nn.linear import _check_positive
from npnn.nn.module import Module, Parameter
from npnn.tensor import Tensor, get_default_dtype


def _check_number(layer: str, name: str, value, allow_none: bool = False, low: float = 0.0,
                  high: float = float("inf")) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        limits = f"in [{low}, {high}]" if high != float("inf") else f">= {low}"
        extra = " or None" if allow_none else ""
        raise ValueError(f"{layer} {name} must be a number {limits}{extra}, got {value!r}")


class _BatchNorm(Module):
    """Per-channel normalisation of (N, C, ...) input. Parameters `weight` (ones) and `bias` (zeros)
    when affine; buffers `running_mean` (zeros), `running_var` (ones) and `num_batches_tracked`
    (int64) when track_running_stats. momentum=None averages all batches seen (a cumulative mean)."""

    _input_dims: tuple = ()
    _input_form: str = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True):
        super().__init__()
        name = type(self).__name__
        _check_positive(name, num_features=num_features)
        _check_number(name, "eps", eps)
        _check_number(name, "momentum", momentum, allow_none=True, high=1.0)
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dtype = get_default_dtype()
        self.weight = Parameter(np.ones(self.num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(self.num_features, dtype=dtype)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            assert self.running_mean is not None and self.running_var is not None
            assert self.num_batches_tracked is not None
            self.running_mean.data.fill(0)
            self.running_var.data.fill(1)
            self.num_batches_tracked.data.fill(0)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            assert self.weight is not None and self.bias is not None
            self.weight.data.fill(1)
            self.bias.data.fill(0)

    def forward(self, x):
        if not isinstance(x, Tensor) or x.ndim not in self._input_dims or x.shape[1] != self.num_features:
            got = F._shape(x.shape) if hasattr(x, "shape") else type(x).__name__
            raise ValueError(f"{self.label()} expected input {self._input_form.format(c=self.num_features)}, "
                             f"got {got}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:
                factor = 1.0 / int(self.num_batches_tracked.data)
        # NOTE: PyTorch's rule: batch statistics in training, and always when no running ones are kept
        batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if track else None, self.running_var if track else None,
                            self.weight, self.bias, batch_stats, factor, self.eps, label=self.label())

    def label(self) -> str:
        return f"{type(self).__name__}({self.num_features})"

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """BatchNorm over (N, C) or (N, C, L) input: statistics per channel C."""

    _input_dims = (2, 3)
    _input_form = "(N, {c}) or (N, {c}, L)"


class BatchNorm2d(_BatchNorm):
    """BatchNorm over (N, C, H, W) input: statistics per channel C over the batch and every pixel."""

    _input_dims = (4,)
    _input_form = "(N, {c}, H, W)"


class LayerNorm(Module):
    """Normalise each sample over its last len(normalized_shape) axes; `weight` (ones) and `bias`
    (zeros) of shape normalized_shape when elementwise_affine (bias only if bias=True)."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        if not shape or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1
                                for n in shape):
            raise ValueError(f"LayerNorm normalized_shape must be a positive int or a tuple of them, "
                             f"got {normalized_shape!r}")
        _check_number("LayerNorm", "eps", eps)
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps, self.elementwise_affine = eps, bool(elementwise_affine)
        dtype = get_default_dtype()
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if elementwise_affine and bias else None

    def reset_parameters(self) -> None:
        if self.weight is not None:
            self.weight.data.fill(1)
        if self.bias is not None:
            self.bias.data.fill(0)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps, label=self.label())

    def label(self) -> str:
        return f"LayerNorm({'x'.join(map(str, self.normalized_shape))})"

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
