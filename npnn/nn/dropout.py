"""Dropout: inverted dropout while training, the identity in eval mode."""
from npnn.nn import functional as F
from npnn.nn.module import Module


class Dropout(Module):
    def __init__(self, p: float = 0.5):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
            raise ValueError(f"Dropout probability p must be a number in [0, 1), got {p!r}")
        self.p = float(p)

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def label(self) -> str:
        return f"Dropout({self.p:g})"

    def extra_repr(self) -> str:
        return f"p={self.p}"
