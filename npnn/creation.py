"""Tensor constructors with torch's names and arguments: arange, zeros, ones, full, eye, the *_like forms
and the random ones (which take `generator=`, as everything random in npnn does).

dtype None means: the default floating dtype (float32 unless `npnn.set_default_dtype`), except arange of
integers and full of an integer or bool, which are int64 and bool as in torch.
"""
from __future__ import annotations

import numpy as np

from npnn.random import resolve
from npnn.tensor import Tensor, get_default_dtype


def _shape(size, name: str) -> tuple:
    """Sizes given as separate integers or as one sequence: zeros(2, 3) == zeros((2, 3))."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise ValueError(f"{name}: sizes must be non-negative integers, got {shape}")
    return shape


def _made(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """[start, end) in steps of `step` (arange(n) is 0..n-1); int64 when all three are integers."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    integral = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (start, end, step))
    dtype = np.dtype(dtype) if dtype is not None else np.dtype(np.int64) if integral else get_default_dtype()
    return _made(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included."""
    return _made(np.linspace(start, end, steps, dtype=dtype or get_default_dtype()), requires_grad)


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _made(np.zeros(_shape(size, "zeros"), dtype=dtype or get_default_dtype()), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _made(np.ones(_shape(size, "ones"), dtype=dtype or get_default_dtype()), requires_grad)


def full(size, fill_value, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with fill_value (bool and int values give bool and int64, as in torch)."""
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, bool) else \
            np.int64 if isinstance(fill_value, (int, np.integer)) else get_default_dtype()
    return _made(np.full(_shape((size,), "full"), fill_value, dtype=dtype), requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """The n x m identity (n x n when m is None)."""
    return _made(np.eye(n, m, dtype=dtype or get_default_dtype()), requires_grad)


def zeros_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return _made(np.zeros(input.shape, dtype=dtype or input.dtype), requires_grad)


def ones_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return _made(np.ones(input.shape, dtype=dtype or input.dtype), requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return _made(np.full(input.shape, fill_value, dtype=dtype or input.dtype), requires_grad)


def rand(*size, generator: np.random.Generator | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1), drawn from `generator` (npnn's default when None)."""
    rng = resolve(generator, "rand")
    return _made(rng.random(_shape(size, "rand")).astype(dtype or get_default_dtype()), requires_grad)


def randn(*size, generator: np.random.Generator | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal, drawn from `generator` (npnn's default when None)."""
    rng = resolve(generator, "randn")
    return _made(rng.standard_normal(_shape(size, "randn")).astype(dtype or get_default_dtype()), requires_grad)


def randint(low: int, high=None, size=None, *, generator: np.random.Generator | None = None) -> Tensor:
    """int64 integers in [low, high) of `size`; randint(high, size) draws from [0, high), as torch."""
    if size is None:
        low, high, size = 0, low, high
    return Tensor(resolve(generator, "randint").integers(low, high, _shape((size,), "randint"), dtype=np.int64))


__all__ = ["arange", "eye", "full", "full_like", "linspace", "ones", "ones_like", "rand", "randint", "randn",
           "zeros", "zeros_like"]
