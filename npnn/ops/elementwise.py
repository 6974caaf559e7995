"""Elementwise primitives: arithmetic with NumPy broadcasting, and the pointwise functions."""
import numpy as np

from npnn.ops.special import log1p_exp, sigmoid
from npnn.tensor import Function


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a broadcast gradient back to the shape of the input it flows to."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


class Add(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, grad):
        return unbroadcast(grad, self.shapes[0]), unbroadcast(grad, self.shapes[1])


class Sub(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, grad):
        return unbroadcast(grad, self.shapes[0]), unbroadcast(-grad, self.shapes[1])


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        ga = unbroadcast(grad * self.b, self.a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(grad * self.a, self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        ga = unbroadcast(grad / self.b, self.a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(-grad * self.a / (self.b * self.b), self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class PowScalar(Function):
    """x ** c for a Python number c (the common case: squares, roots, reciprocals)."""

    def forward(self, x, exponent):
        self.x, self.exponent = x, exponent
        return x ** np.asarray(exponent, dtype=x.dtype) if x.dtype.kind == "f" else x ** exponent

    def backward(self, grad):
        c = self.exponent
        return (grad * (c * self.x ** (c - 1)).astype(grad.dtype, copy=False),)


class Pow(Function):
    """a ** b with both sides tensors (d/db uses log a, defined where a > 0)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, grad):
        a, b = self.a, self.b
        ga = unbroadcast(grad * b * a ** (b - 1), a.shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)
            gb = unbroadcast(grad * self.out * log_a, b.shape)
        return ga, gb


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, grad):
        return (-grad,)


class Exp(Function):
    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        return (grad * self.out,)


class Log(Function):
    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return (grad / self.x,)


class Sqrt(Function):
    def forward(self, x):
        self.out = np.sqrt(x)
        return self.out

    def backward(self, grad):
        return (grad / (2 * self.out),)


class Abs(Function):
    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, grad):
        return (grad * np.sign(self.x),)


class ReLU(Function):
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, grad):
        return (grad * self.mask,)


class Sigmoid(Function):
    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, grad):
        return (grad * self.out * (1 - self.out),)


class Softplus(Function):
    """log(1 + exp(beta·x)) / beta, and x itself where beta·x > threshold (PyTorch's semantics)."""

    def forward(self, x, beta=1.0, threshold=20.0):
        beta = np.asarray(beta, dtype=x.dtype)
        self.z = x * beta
        self.linear = self.z > threshold
        return np.where(self.linear, x, log1p_exp(self.z) / beta)

    def backward(self, grad):
        return (np.where(self.linear, grad, grad * sigmoid(self.z)),)


class LogSigmoid(Function):
    """log(sigmoid(x)) = -log(1 + exp(-x)): finite for every finite x, in both tails."""

    def forward(self, x):
        self.x = x
        return -log1p_exp(-x)

    def backward(self, grad):
        return (grad * sigmoid(-self.x),)


class Tanh(Function):
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad):
        return (grad * (1 - self.out * self.out),)
