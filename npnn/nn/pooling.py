"""MaxPool2d: max over (possibly overlapping, padded) windows; a reshape when they tile the input."""
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
