"""Randomness in npnn: PyTorch's `generator=` arguments, and one default generator for scripts.

Everything random (initialisers, Linear/Conv2d init, Dropout masks, DataLoader shuffles) takes
`generator=`, an `np.random.Generator` that the caller owns; without one it draws from the default
generator, which `manual_seed` reseeds. A program that trains two runs at once (the app's preview
beside a run, a sweep) gives each run its own generator so neither changes the other's numbers.
"""
from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the default generator so a script's runs repeat exactly; returns it."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"manual_seed expects a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The default generator now (look it up each time: manual_seed replaces it)."""
    return _generator


def resolve(generator: np.random.Generator | None, where: str) -> np.random.Generator:
    """`generator` itself, or the default generator when it is None; `where` names the caller in errors."""
    if generator is None:
        return _generator
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{where}: generator must be a numpy.random.Generator (np.random.default_rng(seed)) "
                        f"or None, got {type(generator).__name__}")
    return generator
