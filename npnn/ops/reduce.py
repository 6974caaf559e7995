"""Reductions over axes (the Tensor methods normalise `axis` to a sorted tuple first)."""
import numpy as np

from npnn.tensor import Function


def _expand(grad: np.ndarray, axes: tuple, keepdims: bool) -> np.ndarray:
    """Give a reduced gradient back the size-1 axes it lost, so it broadcasts over the input."""
    return grad if keepdims else np.expand_dims(grad, axes)


class Sum(Function):
    def forward(self, x, axis, keepdims):
        self.shape, self.axes, self.keepdims = x.shape, axis, keepdims
        return np.asarray(x.sum(axis=axis, keepdims=keepdims))

    def backward(self, grad):
        return (np.broadcast_to(_expand(grad, self.axes, self.keepdims), self.shape),)


class Max(Function):
    """The gradient is shared equally by tied maxima, so it still sums to the upstream gradient."""

    def forward(self, x, axis, keepdims):
        if x.size == 0:
            raise ValueError("max() of an empty tensor is undefined")
        self.x, self.axes, self.keepdims = x, axis, keepdims
        self.out = x.max(axis=axis, keepdims=True)
        return np.asarray(self.out if keepdims else np.squeeze(self.out, axis=axis))

    def backward(self, grad):
        mask = self.x == self.out
        count = mask.sum(axis=self.axes, keepdims=True)
        return (mask * (_expand(grad, self.axes, self.keepdims) / count).astype(grad.dtype, copy=False),)
