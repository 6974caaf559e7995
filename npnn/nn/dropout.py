"""Dropout: inverted dropout while training, the identity in eval mode."""
from __future__ import annotations

import numpy as np

from npnn.nn import functional as F
from npnn.nn.module import Module
from npnn.random import resolve


class Dropout(Module):
    """Zero each entry with probability `p` in train mode; masks come from `generator`.

    `generator` (an np.random.Generator; None: npnn's default generator) is an attribute that may be
    set after construction, e.g. to give a built model its run's generator. It is not saved.
    """

    def __init__(self, p: float = 0.5, *, generator: np.random.Generator | None = None):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
            raise ValueError(f"Dropout probability p must be a number in [0, 1), got {p!r}")
        self.p = float(p)
        self.generator = None if generator is None else resolve(generator, "Dropout")

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.generator)

    def label(self) -> str:
        return f"Dropout({self.p:g})"

    def extra_repr(self) -> str:
        return f"p={self.p}"
