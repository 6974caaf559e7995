"""Datasets and the DataLoader: NumPy batches, shuffled by the loader's generator (PyTorch's `generator=`).

A loader over arrays (or a TensorDataset) draws one permutation per epoch and takes each batch by one
fancy index per array: no per-sample Python.
"""
from __future__ import annotations

import math

import numpy as np

from npnn import random
from npnn.tensor import Tensor


def _array(value, name: str) -> np.ndarray:
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.ndim == 0:
        raise ValueError(f"{name} must have a first (sample) axis, got a scalar")
    return array


class Dataset:
    """A sized collection of samples: subclasses write `__len__` and `__getitem__(i)`."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError


class TensorDataset(Dataset):
    """Arrays of equal length; item i is the tuple of their i-th rows (indexing by an index array works too)."""

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset expects at least one array")
        self.arrays = tuple(_array(a, f"TensorDataset array {i}") for i, a in enumerate(arrays))
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset arrays must have the same length (first axis), got {lengths}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)


class DataLoader:
    """Batches of (xb, yb) ndarrays (xb alone when y is None), reshuffled every epoch when `shuffle`.

    Each epoch's order is drawn from `generator` (an np.random.Generator the caller owns), or from
    npnn's default generator (seeded by npnn.manual_seed) when it is None.
    """

    def __init__(self, X, y=None, batch_size: int = 32, shuffle: bool = True, drop_last: bool = False, *,
                 generator: np.random.Generator | None = None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), bool(shuffle), bool(drop_last)
        self.generator = None if generator is None else random.resolve(generator, "DataLoader")
        if isinstance(X, Dataset):
            if y is not None:
                raise ValueError("DataLoader: pass y inside the Dataset, not beside it")
            self.dataset = X
            self._arrays = X.arrays if isinstance(X, TensorDataset) else None
            self._single = self._arrays is not None and len(self._arrays) == 1
        else:
            arrays = (_array(X, "X"),) if y is None else (_array(X, "X"), _array(y, "y"))
            if len(arrays) == 2 and len(arrays[0]) != len(arrays[1]):
                raise ValueError(f"DataLoader: X and y must have the same number of samples, "
                                 f"got {len(arrays[0])} and {len(arrays[1])}")
            self.dataset = TensorDataset(*arrays)
            self._arrays, self._single = self.dataset.arrays, y is None
        self._order: np.ndarray | None = None  # the current epoch's permutation (None: not shuffled)
        self._position = 0                     # batches of the current epoch handed out so far
        self._resume = False                   # load_state_dict: the next __iter__ continues that epoch

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        n, size = len(self.dataset), self.batch_size
        if not self._resume:
            self._order = random.resolve(self.generator, "DataLoader").permutation(n) if self.shuffle else None
            self._position = 0
        self._resume, order = False, self._order
        stop = n - n % size if self.drop_last else n
        for start in range(self._position * size, stop, size):
            self._position += 1
            index = slice(start, start + size) if order is None else order[start:start + size]
            if self._arrays is None:
                yield self._collate(index)
            elif self._single:
                yield self._arrays[0][index]
            else:
                yield tuple(a[index] for a in self._arrays)

    def state_dict(self) -> dict:
        """Where the loader stands: its generator's state, the current epoch's order and batches handed out."""
        return {"generator": None if self.generator is None else self.generator.bit_generator.state,
                "order": None if self._order is None else self._order.copy(), "position": self._position}

    def load_state_dict(self, state_dict: dict) -> None:
        """Continue from `state_dict()`: the next `__iter__` yields the rest of that epoch, the one after
        draws a new order from the restored generator (so the sequence of batches is the uninterrupted one)."""
        order, position = state_dict["order"], int(state_dict["position"])
        if order is not None and (np.shape(order) != (len(self.dataset),) or self.shuffle is False):
            raise ValueError(f"DataLoader.load_state_dict: saved order holds {np.shape(order)} indices, "
                             f"this loader has {len(self.dataset)} samples (shuffle={self.shuffle})")
        if not 0 <= position <= len(self):
            raise ValueError(f"DataLoader.load_state_dict: position {position} is outside 0..{len(self)}")
        if state_dict["generator"] is not None:
            if self.generator is None:
                raise ValueError("DataLoader.load_state_dict: the saved loader had its own generator, this one "
                                 "has none (pass generator=)")
            self.generator.bit_generator.state = state_dict["generator"]
        self._order = None if order is None else np.asarray(order, dtype=np.int64)
        self._position, self._resume = position, 0 < position < len(self)

    def _collate(self, index):
        """A generic Dataset: fetch samples one by one and stack each field."""
        positions = range(len(self.dataset))[index] if isinstance(index, slice) else index
        samples = [self.dataset[int(i)] for i in positions]
        if isinstance(samples[0], tuple):
            return tuple(np.stack([np.asarray(s[k]) for s in samples]) for k in range(len(samples[0])))
        return np.stack([np.asarray(s) for s in samples])

    def __repr__(self):
        return (f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")
