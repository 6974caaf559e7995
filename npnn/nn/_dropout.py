"""Dropout's functional form, apart so that layers' functional modules can use it (re-exported by
npnn.nn.functional)."""
from __future__ import annotations

import numpy as np

from npnn.random import resolve
from npnn.tensor import Tensor


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            generator: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each entry with probability p and scale the rest by 1/(1-p).

    The mask is drawn from `generator` (npnn's default when None), an argument PyTorch's lacks.
    """
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    rng = resolve(generator, "dropout")
    if not training or p == 0:
        return input
    dtype = input.dtype if input.dtype.kind == "f" else np.dtype(np.float32)
    keep = rng.random(input.shape, dtype=dtype) >= dtype.type(p)
    return input * Tensor(keep * dtype.type(1 / (1 - p)))
