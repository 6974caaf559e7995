"""Matrix product with NumPy's rules: 2-D, 1-D (vector) operands and batched broadcasting."""
import numpy as np

from npnn._blas import matmul
from npnn.ops.elementwise import unbroadcast
from npnn.tensor import Function


class MatMul(Function):
    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul needs at least 1-D operands, got shapes {a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul shapes {a.shape} @ {b.shape} do not fit: "
                             f"{a.shape[-1]} columns against {b.shape[-2 if b.ndim > 1 else 0]} rows")
        self.a, self.b = a, b
        return matmul(a, b)

    def backward(self, grad):
        a, b = self.a, self.b
        # NOTE: treat vectors as matrices (a row on the left, a column on the right), then undo it
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad
        if a.ndim == 1 and b.ndim == 1:
            g = g.reshape(1, 1)
        elif a.ndim == 1:
            g = np.expand_dims(g, -2)
        elif b.ndim == 1:
            g = np.expand_dims(g, -1)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(matmul(g, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(matmul(np.swapaxes(a2, -1, -2), g), b2.shape).reshape(b.shape)
        return ga, gb
