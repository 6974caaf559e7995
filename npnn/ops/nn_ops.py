"""Fused, numerically stable primitives used by layers and losses."""
import numpy as np

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
