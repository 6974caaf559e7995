"""One seeded generator for everything random in npnn: init, dropout masks, shuffling."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed npnn's generator so runs repeat exactly."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"manual_seed expects a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The generator in use now (look it up each time: manual_seed replaces it)."""
    return _generator
