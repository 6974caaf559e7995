"""PyTorch-named tensor functions (`npnn.where`, `npnn.cat`, ...) and the one table that makes them Tensor
methods (`x.gather(...)`, `x.permute(...)`), with torch's argument names and semantics.

NOTE: every function here is built from the primitives in npnn/ops; docs/tensor_ops.md lists them against
torch's names, and a test checks that each name in that table exists.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from npnn import ops
from npnn.tensor import Tensor, _axes, concatenate


def _as_tensor(value, like: Tensor | None = None) -> Tensor:
    """A Tensor as is; a Python number takes `like`'s dtype (no upcast, as torch's scalars); arrays keep theirs."""
    if isinstance(value, Tensor):
        return value
    if like is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        return Tensor(np.asarray(value, dtype=like.dtype if like.dtype.kind == "f" else None))
    return Tensor(value)


def _dim(dim: int, ndim: int, name: str, extra: int = 0) -> int:
    """A non-negative dimension; `extra` allows the position after the last one (unsqueeze)."""
    size = ndim + extra
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or not -max(size, 1) <= dim < max(size, 1):
        raise IndexError(f"{name}: dim {dim!r} is out of range for a tensor with {ndim} dimensions")
    return int(dim) % max(size, 1)


def _condition(condition, name: str) -> np.ndarray:
    data = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if data.dtype != np.bool_:
        raise TypeError(f"{name} expects a boolean condition/mask, got dtype {data.dtype}")
    return data


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


# ---- selection --------------------------------------------------------------------------------------
def where(condition, input, other) -> Tensor:
    """input where condition is True, other elsewhere (broadcast); gradients flow to the chosen side."""
    condition = _condition(condition, "where")
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    return ops.Where.apply(_as_tensor(input, like), _as_tensor(other, like), condition=condition)


def masked_fill(input: Tensor, mask, value) -> Tensor:
    """input with `value` where mask is True; the mask broadcasts to input's shape (never enlarges it)."""
    mask = _condition(mask, "masked_fill")
    if not _broadcasts_to(mask.shape, input.shape):
        raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast to the input's {input.shape}")
    if isinstance(value, Tensor) and value.ndim:
        raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}")
    return where(mask, _as_tensor(value, input), input)


def gather(input: Tensor, dim: int, index) -> Tensor:
    """out[i][j][k] = input[i][index[i][j][k]][k] for dim=1: index has input's ndim and no larger sizes."""
    dim = _dim(dim, input.ndim, "gather")
    index = index.data if isinstance(index, Tensor) else np.asarray(index)
    if index.dtype.kind not in "iu":
        raise TypeError(f"gather: index must hold integers, got dtype {index.dtype}")
    if index.ndim != input.ndim or any(i > n for d, (i, n) in enumerate(zip(index.shape, input.shape)) if d != dim):
        raise ValueError(f"gather: index of shape {index.shape} must have the input's {input.ndim} dimensions and "
                         f"sizes no larger than the input's {input.shape} outside dim {dim}")
    if index.size and (index.min() < 0 or index.max() >= input.shape[dim]):
        raise IndexError(f"gather: index holds {index.min() if index.min() < 0 else index.max()}, outside "
                         f"0..{input.shape[dim] - 1} for dim {dim}")
    return ops.Gather.apply(input, index=index, dim=dim)


def clamp(input: Tensor, min=None, max=None) -> Tensor:
    """Limit every entry to [min, max] (either may be None); the gradient is zero where it was cut."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    low = None if min is None else np.asarray(min.data if isinstance(min, Tensor) else min)
    high = None if max is None else np.asarray(max.data if isinstance(max, Tensor) else max)
    return ops.Clamp.apply(input, low=low, high=high)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """Zero the entries above the `diagonal`-th diagonal of the last two dimensions."""
    return _triangle(input, diagonal, np.tril, "tril")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """Zero the entries below the `diagonal`-th diagonal of the last two dimensions."""
    return _triangle(input, diagonal, np.triu, "triu")


def _triangle(input: Tensor, diagonal: int, pick, name: str) -> Tensor:
    if input.ndim < 2:
        raise ValueError(f"{name} expects a tensor with at least 2 dimensions, got shape {input.shape}")
    keep = pick(np.ones(input.shape[-2:], dtype=bool), diagonal)
    return where(keep, input, 0.0)


# ---- joining and splitting --------------------------------------------------------------------------
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension (torch.cat; npnn.concatenate with axis=)."""
    return concatenate(tensors, axis=dim)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of `split_size_or_sections` along dim (the last may be smaller), or of the listed sizes."""
    dim = _dim(dim, tensor.ndim, "split")
    length = tensor.shape[dim]
    if isinstance(split_size_or_sections, (int, np.integer)) and not isinstance(split_size_or_sections, bool):
        if split_size_or_sections < 1:
            raise ValueError(f"split: split_size must be a positive integer, got {split_size_or_sections}")
        sizes = [min(split_size_or_sections, length - s) for s in range(0, length, split_size_or_sections)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != length or any(s < 0 for s in sizes):
            raise ValueError(f"split: sections {sizes} must be non-negative and sum to dim {dim}'s size {length}")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    lead = (slice(None),) * dim
    return tuple(tensor[lead + (slice(int(a), int(b)),)] for a, b in zip(starts[:-1], starts[1:]))


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most `chunks` pieces of ceil(size / chunks) along dim, as torch.chunk (fewer when they run out)."""
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
        raise ValueError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    length = input.shape[_dim(dim, input.ndim, "chunk")]
    return split(input, max(math.ceil(length / chunks), 1), dim)


# ---- shape ------------------------------------------------------------------------------------------
def _sizes(args) -> tuple:
    """Sizes given as separate integers or as one sequence (torch accepts both)."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """A size-1 dimension inserted at `dim` (-1: last)."""
    dim = _dim(dim, input.ndim, "unsqueeze", extra=1)
    return input.reshape(input.shape[:dim] + (1,) + input.shape[dim:])


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Drop size-1 dimensions (all, or those of `dim`, an int or tuple; others listed are kept, as torch)."""
    if dim is None:
        dims = list(range(input.ndim))
    else:
        dims = [_dim(d, input.ndim, "squeeze") for d in (dim if isinstance(dim, (tuple, list)) else (dim,))]
    drop = {d for d in dims if input.shape[d] == 1}
    return input.reshape(tuple(n for d, n in enumerate(input.shape) if d not in drop))


def permute(input: Tensor, *dims) -> Tensor:
    """Reorder the dimensions (a permutation of all of them)."""
    return ops.Transpose.apply(input, axes=_sizes(dims))


def expand(input: Tensor, *sizes) -> Tensor:
    """A broadcast view at `sizes`: -1 keeps a dimension, size-1 ones grow, new ones go in front."""
    sizes = _sizes(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes {sizes} for a tensor with {input.ndim} dimensions")
    shape = tuple(input.shape[d - lead] if s == -1 and d >= lead else s for d, s in enumerate(sizes))
    if any(s < 0 for s in shape):
        raise ValueError(f"expand: -1 only keeps an existing dimension, got sizes {sizes} for {input.shape}")
    return ops.Expand.apply(input, shape=shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim into one (a 0-d tensor becomes 1-d)."""
    ndim = max(input.ndim, 1)
    if not (-ndim <= start_dim < ndim and -ndim <= end_dim < ndim) or start_dim % ndim > end_dim % ndim:
        raise ValueError(f"flatten(start_dim={start_dim}, end_dim={end_dim}) does not fit an input of "
                         f"shape {input.shape}")
    if input.ndim == 0:
        return input.reshape(1)
    start, end = start_dim % ndim, end_dim % ndim
    return input.reshape(input.shape[:start] + (int(np.prod(input.shape[start:end + 1])),) + input.shape[end + 1:])


# ---- reductions -------------------------------------------------------------------------------------
def _arg(input: Tensor, dim, keepdim: bool, pick, name: str) -> Tensor:
    if input.size == 0:
        raise ValueError(f"{name}() of an empty tensor is undefined")
    if dim is None:
        out = np.asarray(pick(input.data.reshape(-1)))
        return Tensor(out.reshape((1,) * input.ndim) if keepdim else out)
    return Tensor(np.asarray(pick(input.data, axis=_dim(dim, input.ndim, name), keepdims=keepdim)))


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest entry (of the flattened tensor when dim is None); int64, no gradient."""
    return _arg(input, dim, keepdim, np.argmax, "argmax")


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest entry (of the flattened tensor when dim is None); int64, no gradient."""
    return _arg(input, dim, keepdim, np.argmin, "argmin")


def amin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The smallest entries over dim (all when None); tied minima share the gradient, as torch.amin."""
    return -((-input).max(dim, keepdim))


def amax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The largest entries over dim (all when None); tied maxima share the gradient, as torch.amax."""
    return input.max(dim, keepdim)


def var(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """Variance over dim (all when None), divided by N - correction (1 unless unbiased=False or given)."""
    if unbiased is not None and correction is not None:
        raise ValueError("var/std: give unbiased or correction, not both")
    correction = (1 if unbiased is None or unbiased else 0) if correction is None else correction
    axes = _axes(dim, input.ndim)
    count = int(np.prod([input.shape[a] for a in axes]))
    centred = input - input.mean(axes, keepdims=True)
    denominator = count - correction
    # NOTE: torch gives nan (with a warning) where N - correction <= 0, e.g. the variance of one entry
    return (centred * centred).sum(axes, keepdim) * (1.0 / denominator if denominator > 0 else math.nan)


def std(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """Square root of var (same arguments)."""
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


def cumsum(input: Tensor, dim: int) -> Tensor:
    """Running sums along dim."""
    return ops.CumSum.apply(input, axis=_dim(dim, input.ndim, "cumsum"))


# ---- the Tensor methods (torch.Tensor's names; `self` is the input) ---------------------------------
def _where_method(self: Tensor, condition, other) -> Tensor:
    """x.where(condition, y) is torch.where(condition, x, y)."""
    return where(condition, self, other)


def _min_method(self: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """x.min(dim): the values only (as npnn's max and torch.amin); argmin gives the indices."""
    return amin(self, dim, keepdim)


def _expand_as(self: Tensor, other: Tensor) -> Tensor:
    return expand(self, other.shape)


TENSOR_METHODS = {
    "where": _where_method, "masked_fill": masked_fill, "gather": gather, "clamp": clamp, "clip": clamp,
    "tril": tril, "triu": triu, "split": split, "chunk": chunk, "unsqueeze": unsqueeze, "squeeze": squeeze,
    "permute": permute, "view": Tensor.reshape, "expand": expand, "expand_as": _expand_as, "flatten": flatten,
    "argmax": argmax, "argmin": argmin, "min": _min_method, "amin": amin, "amax": amax, "var": var,
    "std": std, "cumsum": cumsum,
}
for _name, _method in TENSOR_METHODS.items():
    setattr(Tensor, _name, _method)

__all__ = ["amax", "amin", "argmax", "argmin", "cat", "chunk", "clamp", "cumsum", "expand", "flatten", "gather",
           "masked_fill", "permute", "split", "squeeze", "std", "tril", "triu", "unsqueeze", "var", "where"]
