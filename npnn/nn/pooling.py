"""Pooling: MaxPool2d (max over possibly overlapping, padded windows), AvgPool2d, AdaptiveAvgPool2d."""
from npnn.nn import functional as F
from npnn.nn.module import Module


class MaxPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        F._pair(kernel_size, "MaxPool2d kernel_size")
        F._pair(self.stride, "MaxPool2d stride")
        F._pair(padding, "MaxPool2d padding")

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, label=self.label())

    def label(self) -> str:
        return f"MaxPool2d({self.kernel_size})"

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over windows; PyTorch's padding, ceil_mode, count_include_pad and divisor_override."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode, self.count_include_pad = bool(ceil_mode), bool(count_include_pad)
        self.divisor_override = divisor_override
        F._pair(kernel_size, "AvgPool2d kernel_size")
        F._pair(self.stride, "AvgPool2d stride")
        F._pair(padding, "AvgPool2d padding")

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override, label=self.label())

    def label(self) -> str:
        return f"AvgPool2d({self.kernel_size})"

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Mean over the windows that split the input into output_size (PyTorch's floor/ceil rule)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size, label=self.label())

    def label(self) -> str:
        return f"AdaptiveAvgPool2d({self.output_size})"

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
