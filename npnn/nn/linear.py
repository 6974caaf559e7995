"""Linear: y = x Wᵀ + b, PyTorch's shapes and default initialisation."""
from __future__ import annotations

import math

import numpy as np

from npnn.nn import functional as F
from npnn.nn import init
from npnn.nn.module import Module, Parameter
from npnn.tensor import get_default_dtype


def _check_positive(layer: str, **sizes) -> None:
    for name, value in sizes.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{layer} {name} must be a positive integer, got {value!r}")


class Linear(Module):
    """Weight (out_features, in_features) and bias (out_features,), uniform ±1/sqrt(in_features).

    `generator` (an np.random.Generator, default npnn's) draws the initial weights; it is not kept.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 generator: np.random.Generator | None = None):
        super().__init__()
        _check_positive("Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = get_default_dtype()
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        self.bias = Parameter(np.empty(self.out_features, dtype=dtype)) if bias else None
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)), i.e. uniform ±1/sqrt(fan_in), for both."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias, label=self.label())

    def label(self) -> str:
        return f"Linear({self.in_features}→{self.out_features})"

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged; takes and ignores any arguments, as PyTorch's does (a placeholder)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x
