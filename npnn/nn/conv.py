"""Conv2d: 2-D convolution by im2col and one matrix product, PyTorch's shapes and initialisation."""
from __future__ import annotations

import math

import numpy as np

from npnn.nn import functional as F
from npnn.nn import init
from npnn.nn.linear import _check_positive
from npnn.nn.module import Module, Parameter
from npnn.tensor import get_default_dtype


class Conv2d(Module):
    """Weight (out_channels, in_channels, kh, kw), bias (out_channels,); int or pair arguments.

    `generator` (an np.random.Generator, default npnn's) draws the initial weights; it is not kept.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, bias: bool = True,
                 *, generator: np.random.Generator | None = None):
        super().__init__()
        _check_positive("Conv2d", in_channels=in_channels, out_channels=out_channels)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = F._pair(kernel_size, "Conv2d kernel_size")
        self.stride = F._pair(stride, "Conv2d stride")
        self.padding = F._pair(padding, "Conv2d padding")
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.padding) < 0:
            raise ValueError(f"Conv2d kernel_size and stride must be positive and padding non-negative, got "
                             f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}")
        dtype = get_default_dtype()
        self.weight = Parameter(np.empty((self.out_channels, self.in_channels) + self.kernel_size, dtype=dtype))
        self.bias = Parameter(np.empty(self.out_channels, dtype=dtype)) if bias else None
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """PyTorch's default: uniform ±1/sqrt(in_channels·kh·kw) for weight and bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, label=self.label())

    def label(self) -> str:
        kh, kw = self.kernel_size
        return f"Conv2d({self.in_channels}→{self.out_channels}, k={kh if kh == kw else f'{kh}x{kw}'})"

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        return text + ("" if self.bias is not None else ", bias=False")
