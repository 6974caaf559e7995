"""Selecting and accumulating primitives: where, gather, clamp, cumsum, expand, embedding (torch's semantics)."""
import numpy as np

from npnn.ops.elementwise import unbroadcast
from npnn.tensor import Function


class Where(Function):
    """condition ? a : b with NumPy broadcasting; each side gets the gradient where it was chosen."""

    def forward(self, a, b, condition):
        self.condition, self.shapes = condition, (a.shape, b.shape)
        return np.where(condition, a, b)

    def backward(self, grad):
        zero = np.zeros((), dtype=grad.dtype)
        ga = unbroadcast(np.where(self.condition, grad, zero), self.shapes[0]) if self.needs_input_grad[0] else None
        gb = unbroadcast(np.where(self.condition, zero, grad), self.shapes[1]) if self.needs_input_grad[1] else None
        return ga, gb


def _index_grid(index: np.ndarray, dim: int) -> tuple:
    """The full index tuple that picks input[..., index[i, j, k], ...] for every position of `index`."""
    grid = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    grid[dim] = index
    return tuple(grid)


class Gather(Function):
    """out[i][j][k] = x[i][index[i][j][k]][k] for dim=1 (torch.gather); repeated indices accumulate."""

    def forward(self, x, index, dim):
        self.shape, self.grid = x.shape, _index_grid(index, dim)
        return x[self.grid]

    def backward(self, grad):
        full = np.zeros(self.shape, dtype=grad.dtype)
        np.add.at(full, self.grid, grad)
        return (full,)


class Clamp(Function):
    """min(max(x, low), high); the gradient flows where low <= x <= high, as in PyTorch."""

    def forward(self, x, low, high):
        self.inside = np.ones(x.shape, dtype=bool)
        out = x
        if low is not None:
            self.inside &= x >= low
            out = np.maximum(out, np.asarray(low, dtype=x.dtype))
        if high is not None:
            self.inside &= x <= high
            out = np.minimum(out, np.asarray(high, dtype=x.dtype))
        return out

    def backward(self, grad):
        return (grad * self.inside,)


class CumSum(Function):
    def forward(self, x, axis):
        self.axis = axis
        return np.cumsum(x, axis=axis, dtype=x.dtype)

    def backward(self, grad):
        # NOTE: each input adds into every later output, so its gradient is the reversed cumulative sum
        flipped = np.flip(grad, self.axis)
        return (np.flip(np.cumsum(flipped, axis=self.axis), self.axis),)


class Expand(Function):
    """A broadcast view of x at `shape` (no copy); the gradient is summed back to x's shape."""

    def forward(self, x, shape):
        self.shape = x.shape
        try:
            return np.broadcast_to(x, shape)
        except ValueError:
            raise ValueError(f"cannot expand a tensor of shape {x.shape} to {tuple(shape)}: only size-1 "
                             f"dimensions can grow, and new ones go in front") from None

    def backward(self, grad):
        return (unbroadcast(grad, self.shape),)


class Embedding(Function):
    """weight[indices]: rows picked by integer indices; a row picked twice gets both gradients, the
    padding row none (it stays a fixed vector, as torch's padding_idx)."""

    def forward(self, weight, indices, padding_idx):
        self.shape, self.indices, self.padding_idx = weight.shape, indices, padding_idx
        return weight[indices]

    def backward(self, grad):
        full = np.zeros(self.shape, dtype=grad.dtype)
        np.add.at(full, self.indices.reshape(-1), grad.reshape(-1, self.shape[1]))
        if self.padding_idx is not None:
            full[self.padding_idx] = 0
        return (full,)
