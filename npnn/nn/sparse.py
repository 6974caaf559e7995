"""Embedding: a lookup table of learned vectors, one row per token (torch.nn.Embedding)."""
from __future__ import annotations

import numpy as np

from npnn.nn import functional as F
from npnn.nn import init
from npnn.nn._attention import padding_index
from npnn.nn.linear import _check_positive
from npnn.nn.module import Module, Parameter
from npnn.tensor import Tensor, get_default_dtype


class Embedding(Module):
    """weight (num_embeddings, embedding_dim) drawn from N(0, 1); input: integer indices of any shape,
    output: the input's shape + (embedding_dim,).

    padding_idx: that row starts at zero and gets no gradient. max_norm: rows looked up are rescaled in
    place to at most that norm (norm_type's p), as torch. `generator` draws the initial weights.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, *,
                 generator: np.random.Generator | None = None):
        super().__init__()
        _check_positive("Embedding", num_embeddings=num_embeddings, embedding_dim=embedding_dim)
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            padding_idx = padding_index(padding_idx, self.num_embeddings, self.label())
        if max_norm is not None and not (isinstance(max_norm, (int, float)) and max_norm > 0):
            raise ValueError(f"{self.label()} max_norm must be a positive number or None, got {max_norm!r}")
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype=get_default_dtype()))
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0) -> Embedding:
        """An Embedding holding a copy of `embeddings` (2-D); frozen (no gradient) unless freeze=False."""
        data = np.array(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if data.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained expects a 2-D array, got shape {data.shape}")
        rows, dim = data.shape
        layer = cls(rows, dim, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type)
        layer.weight = Parameter(data.astype(data.dtype if data.dtype.kind == "f" else get_default_dtype()),
                                 requires_grad=not freeze)
        return layer

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type, label=self.label())

    def label(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"

    def extra_repr(self) -> str:
        extra = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        extra += f", max_norm={self.max_norm}" if self.max_norm is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{extra}"
