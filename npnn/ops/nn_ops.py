"""Fused, numerically stable primitives used by layers (the losses' are in npnn/ops/losses.py)."""
import numpy as np

from npnn._blas import matmul
from npnn.ops.special import ndtr, sigmoid
from npnn.tensor import Function


class Softmax(Function):
    def forward(self, x, axis):
        return self._from_peak(x, x.max(axis=axis, keepdims=True), axis)

    def _from_peak(self, x, peak, axis):
        shifted = np.exp(x - peak)
        self.out, self.axis = shifted / shifted.sum(axis=axis, keepdims=True), axis
        return self.out

    def backward(self, grad):
        s = self.out
        return (s * (grad - (grad * s).sum(axis=self.axis, keepdims=True)),)


class SafeSoftmax(Softmax):
    """Softmax whose slices of only -inf (a query that may attend to nothing) give zeros, not NaN: torch's
    _safe_softmax inside scaled_dot_product_attention. Other slices are Softmax's, as is the backward."""

    def forward(self, x, axis):
        peak = x.max(axis=axis, keepdims=True)
        if np.isfinite(peak).all():  # NOTE: the usual case, on the max already taken
            return self._from_peak(x, peak, axis)
        shifted = np.exp(x - np.where(np.isneginf(peak), 0, peak))  # NOTE: exp(-inf) = 0 in an all -inf slice
        total = shifted.sum(axis=axis, keepdims=True)
        self.out, self.axis = np.divide(shifted, total, out=np.zeros_like(shifted), where=total > 0), axis
        return self.out


class LogSoftmax(Function):
    def forward(self, x, axis):
        shifted = x - x.max(axis=axis, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        self.axis = axis
        return self.out

    def backward(self, grad):
        return (grad - np.exp(self.out) * grad.sum(axis=self.axis, keepdims=True),)


class Linear(Function):
    """y = x @ W.T + b for x (..., in), W (out, in), b (out,) or absent: one GEMM each way."""

    def forward(self, x, w, b=None):
        self.x, self.w = x, w
        out = matmul(x, w.T)
        if b is not None:
            out += b
        return out

    def backward(self, grad):
        x, w = self.x, self.w
        g2 = grad.reshape(-1, grad.shape[-1])
        gx = matmul(grad, w) if self.needs_input_grad[0] else None
        gw = matmul(g2.T, x.reshape(-1, x.shape[-1])) if self.needs_input_grad[1] else None
        gb = g2.sum(axis=0) if len(self.needs_input_grad) > 2 and self.needs_input_grad[2] else None
        return (gx, gw, gb) if len(self.needs_input_grad) > 2 else (gx, gw)


class LeakyReLU(Function):
    def forward(self, x, negative_slope=0.01):
        self.mask = x > 0
        self.slope = np.asarray(negative_slope, dtype=x.dtype)
        return np.where(self.mask, x, x * self.slope)

    def backward(self, grad):
        return (np.where(self.mask, grad, grad * self.slope),)


class GELU(Function):
    """x·Φ(x) (approximate="none", PyTorch's default) or its tanh approximation ("tanh")."""

    def forward(self, x, approximate="none"):
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            # NOTE: 0.5·(1 + tanh(u)) = sigmoid(2u), which keeps its tiny values in the left tail
            self.gate = sigmoid(1.5957691216057308 * (x + 0.044715 * x ** 3))
            return x * self.gate
        self.cdf = ndtr(x)  # NOTE: erfc-based, so x·Φ(x) keeps full precision in the left tail
        return x * self.cdf

    def backward(self, grad):
        x = self.x
        if self.approximate == "tanh":
            d_inner = 1.5957691216057308 * (1 + 3 * 0.044715 * x * x)  # d(2u)/dx
            return (grad * (self.gate + x * self.gate * (1 - self.gate) * d_inner),)
        pdf = np.exp(-0.5 * x * x) * 0.3989422804014327
        return (grad * (self.cdf + x * pdf),)
