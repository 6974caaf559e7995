"""Smooth activations: SiLU and ELU, each one pointwise primitive with a closed-form derivative."""
import numpy as np

from npnn.ops.special import sigmoid
from npnn.tensor import Function


class SiLU(Function):
    """x·sigmoid(x); d/dx = s·(1 + x·(1 - s))."""

    def forward(self, x):
        self.x, self.s = x, sigmoid(x)
        return x * self.s

    def backward(self, grad):
        s = self.s
        return (grad * (s * (1 + self.x * (1 - s))),)


class ELU(Function):
    """x for x > 0, alpha·(exp(x) - 1) otherwise; d/dx = 1 or out + alpha."""

    def forward(self, x, alpha=1.0):
        self.positive = x > 0
        self.alpha = np.asarray(alpha, dtype=x.dtype)
        # NOTE: expm1 of min(x, 0): the discarded branch never overflows
        self.out = np.where(self.positive, x, self.alpha * np.expm1(np.minimum(x, 0)))
        return self.out

    def backward(self, grad):
        return (np.where(self.positive, grad, grad * (self.out + self.alpha)),)
