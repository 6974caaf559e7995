"""Fused, numerically stable primitives used by layers and losses."""
import numpy as np

from npnn._blas import matmul
from npnn.ops.special import ndtr
from npnn.tensor import Function


class Softmax(Function):
    def forward(self, x, axis):
        shifted = np.exp(x - x.max(axis=axis, keepdims=True))
        self.out, self.axis = shifted / shifted.sum(axis=axis, keepdims=True), axis
        return self.out

    def backward(self, grad):
        s = self.out
        return (s * (grad - (grad * s).sum(axis=self.axis, keepdims=True)),)


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


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.asarray(loss.mean(), dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(loss.sum(), dtype=loss.dtype)
    return loss


def _expand(grad: np.ndarray, shape: tuple, reduction: str, dtype) -> np.ndarray:
    """The upstream gradient of a reduced loss, as one factor per loss entry."""
    if reduction == "none":
        return grad
    scale = grad / np.prod(shape, dtype=dtype) if reduction == "mean" else grad
    return np.asarray(scale, dtype=dtype)


class CrossEntropy(Function):
    """Softmax cross-entropy of logits (N, C) against class indices (N,) or probabilities (N, C)."""

    def forward(self, logits, target, reduction="mean"):
        shifted = logits - logits.max(axis=1, keepdims=True)
        self.log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.target, self.reduction = target, reduction
        if target.dtype.kind in "iu":
            loss = -self.log_probs[np.arange(len(target)), target]
        else:
            loss = -(target * self.log_probs).sum(axis=1)
        return _reduce(loss, reduction)

    def backward(self, grad):
        n = self.log_probs.shape[0]
        scale = _expand(grad, (n,), self.reduction, self.log_probs.dtype)
        scale = scale[:, None] if np.ndim(scale) else scale
        target = self.target
        g_logits = g_target = None
        if self.needs_input_grad[0]:
            g_logits = np.exp(self.log_probs)
            if target.dtype.kind in "iu":
                g_logits[np.arange(n), target] -= 1
            else:  # d/dz of -sum(t * log_softmax(z)) = softmax(z) * sum(t) - t
                g_logits *= target.sum(axis=1, keepdims=True)
                g_logits -= target
            g_logits *= scale
        if self.needs_input_grad[1] and target.dtype.kind == "f":
            g_target = -self.log_probs * scale
        return g_logits, g_target


class BCEWithLogits(Function):
    """Binary cross-entropy on logits, max(x, 0) - x*t + log1p(exp(-|x|)): stable for any |x|."""

    def forward(self, x, target, reduction="mean"):
        self.x, self.target, self.reduction = x, target, reduction
        return _reduce(np.maximum(x, 0) - x * target + np.log1p(np.exp(-np.abs(x))), reduction)

    def backward(self, grad):
        scale = _expand(grad, self.x.shape, self.reduction, self.x.dtype)
        gx = (0.5 * (1 + np.tanh(0.5 * self.x)) - self.target) * scale if self.needs_input_grad[0] else None
        gt = -self.x * scale if self.needs_input_grad[1] else None
        return gx, gt


class BCE(Function):
    """Binary cross-entropy on probabilities; each log is clamped at -100 as in PyTorch."""

    def forward(self, p, target, reduction="mean"):
        self.p, self.target, self.reduction = p, target, reduction
        with np.errstate(divide="ignore"):
            self.log_p = np.maximum(np.log(p), -100)
            self.log_q = np.maximum(np.log1p(-p), -100)
        return _reduce(-(target * self.log_p + (1 - target) * self.log_q), reduction)

    def backward(self, grad):
        p, t = self.p, self.target
        scale = _expand(grad, p.shape, self.reduction, p.dtype)
        eps = np.asarray(1e-12, dtype=p.dtype)  # PyTorch's guard against 0 / 0 at p in {0, 1}
        gp = (p - t) / np.maximum(p * (1 - p), eps) * scale if self.needs_input_grad[0] else None
        gt = (self.log_q - self.log_p) * scale if self.needs_input_grad[1] else None
        return gp, gt


class Huber(Function):
    """Elementwise Huber loss of d = a - b: d²/2 inside |d| <= delta, delta·(|d| - delta/2) outside."""

    def forward(self, a, b, delta=1.0):
        self.diff, self.delta = a - b, delta
        absd = np.abs(self.diff)
        return np.where(absd <= delta, 0.5 * self.diff * self.diff, delta * (absd - 0.5 * delta))

    def backward(self, grad):
        g = grad * np.clip(self.diff, -self.delta, self.delta)
        return g, -g


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
            self.inner = np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3))
            return 0.5 * x * (1 + self.inner)
        self.cdf = ndtr(x)  # NOTE: erfc-based, so x·Φ(x) keeps full precision in the left tail
        return x * self.cdf

    def backward(self, grad):
        x = self.x
        if self.approximate == "tanh":
            d_inner = 0.7978845608028654 * (1 + 3 * 0.044715 * x * x)
            return (grad * (0.5 * (1 + self.inner) + 0.5 * x * (1 - self.inner ** 2) * d_inner),)
        pdf = np.exp(-0.5 * x * x) * 0.3989422804014327
        return (grad * (self.cdf + x * pdf),)
