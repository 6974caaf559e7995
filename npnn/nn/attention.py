"""MultiheadAttention: torch.nn.MultiheadAttention's arguments, parameters (in_proj_weight packs the query,
key and value projections) and masks, computed as batched matmuls over (batch, head)."""
from __future__ import annotations

import math

import numpy as np

from npnn import tensor_ops
from npnn.nn import functional as F
from npnn.nn import init
from npnn.nn._args import _as_tensor, _shape
from npnn.nn._attention import additive_mask, attention
from npnn.nn.linear import Linear, _check_positive
from npnn.nn.module import Module, Parameter
from npnn.random import resolve
from npnn.tensor import Tensor, get_default_dtype


class MultiheadAttention(Module):
    """Attention of `num_heads` heads of embed_dim // num_heads each. Inputs are (L, N, E), or (N, L, E)
    with batch_first, or unbatched (L, E); the output has the query's layout.

    Parameters as torch: in_proj_weight (3E, E) xavier-uniform, in_proj_bias (3E,) zeros, out_proj (a
    Linear, bias zeros). `dropout` drops attention weights in training, masks drawn from `generator`.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False, *, generator: np.random.Generator | None = None):
        super().__init__()
        _check_positive("MultiheadAttention", embed_dim=embed_dim, num_heads=num_heads)
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"MultiheadAttention dropout must be a number in [0, 1), got {dropout!r}")
        self.embed_dim, self.num_heads, self.head_dim = int(embed_dim), int(num_heads), embed_dim // num_heads
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        self.generator = None if generator is None else resolve(generator, "MultiheadAttention")
        dtype = get_default_dtype()
        self.in_proj_weight = Parameter(np.empty((3 * self.embed_dim, self.embed_dim), dtype=dtype))
        self.in_proj_bias = Parameter(np.zeros(3 * self.embed_dim, dtype=dtype)) if bias else None
        self.out_proj = Linear(self.embed_dim, self.embed_dim, bias=bias, generator=generator)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """torch's _reset_parameters: xavier-uniform in_proj_weight, zero biases (out_proj.weight as Linear's)."""
        init.xavier_uniform_(self.in_proj_weight, generator=generator)
        for bias in (self.in_proj_bias, self.out_proj.bias):
            if bias is not None:
                init.zeros_(bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True, attn_mask=None,
                average_attn_weights: bool = True, is_causal: bool = False):
        """(output, attention weights or None). Masks as torch: key_padding_mask (N, S) and attn_mask (L, S)
        or (N·num_heads, L, S), boolean (True: may NOT attend) or float (added); is_causal without attn_mask
        masks the future (torch asks for the mask too). Weights: (N, L, S) averaged over heads, else
        (N, num_heads, L, S)."""
        label = self.label()
        query, key, value = (_as_tensor(t, label) for t in (query, key, value))
        batched = query.ndim == 3
        batch_axis = 0 if self.batch_first else 1
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim \
                or query.shape[-1] != self.embed_dim or key.shape[-1] != self.embed_dim \
                or value.shape[-1] != self.embed_dim or key.shape[:-1] != value.shape[:-1] \
                or (batched and query.shape[batch_axis] != key.shape[batch_axis]):
            layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
            raise ValueError(f"{label} expected query, key and value {layout} or (L, E) with E={self.embed_dim}, "
                             f"one batch size N and key/value of one length, got {_shape(query.shape)}, "
                             f"{_shape(key.shape)}, {_shape(value.shape)}")
        q, k, v = self._project(*(self._batch_first(t, batched) for t in (query, key, value)))
        batch, length, source = q.shape[0], q.shape[2], k.shape[2]
        if is_causal and attn_mask is None:
            attn_mask = np.triu(np.ones((length, source), dtype=bool), 1)
        mask = self._mask(attn_mask, key_padding_mask, batch, length, source, batched, q.dtype)
        out, weights = attention(q, k, v, mask, self.dropout if self.training else 0.0,
                                 1 / math.sqrt(self.head_dim), self.generator)
        out = self.out_proj(tensor_ops.permute(out, 0, 2, 1, 3).reshape(batch, length, self.embed_dim))
        if not batched:
            out = out.reshape(length, self.embed_dim)
        elif not self.batch_first:
            out = tensor_ops.permute(out, 1, 0, 2)
        if not need_weights:
            return out, None
        weights = weights.mean(axis=1) if average_attn_weights else weights
        return out, weights if batched else weights.reshape(weights.shape[1:])

    def _batch_first(self, x: Tensor, batched: bool) -> Tensor:
        """(N, L, E) whatever the layout asked for."""
        if not batched:
            return x.reshape((1,) + x.shape)
        return x if self.batch_first else tensor_ops.permute(x, 1, 0, 2)

    def _project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q, k, v as (N, heads, length, head_dim); self-attention takes one product with in_proj_weight."""
        w, b, e = self.in_proj_weight, self.in_proj_bias, self.embed_dim
        if query is key and key is value:
            q, k, v = tensor_ops.split(F.linear(query, w, b), e, dim=-1)
        else:
            q, k, v = (F.linear(x, w[i * e:(i + 1) * e], None if b is None else b[i * e:(i + 1) * e])
                       for i, x in enumerate((query, key, value)))
        return tuple(tensor_ops.permute(t.reshape(t.shape[:2] + (self.num_heads, self.head_dim)), 0, 2, 1, 3)
                     for t in (q, k, v))  # type: ignore[return-value]

    def _mask(self, attn_mask, key_padding_mask, batch: int, length: int, source: int, batched: bool,
              dtype) -> Tensor | None:
        """attn_mask and key_padding_mask as one float mask that broadcasts to (N, heads, L, S)."""
        label = self.label()
        mask = additive_mask(attn_mask, dtype, masked_when=True, label=label)
        if mask is not None:
            heads_first = (batch * self.num_heads, length, source)
            if mask.shape == (length, source):
                mask = mask.reshape(1, 1, length, source)
            elif mask.shape == heads_first:  # NOTE: unbatched input: (heads, L, S), batch being 1
                mask = mask.reshape(batch, self.num_heads, length, source)
            else:
                raise ValueError(f"{label} attn_mask must be ({length}, {source}) or {_shape(heads_first)}, "
                                 f"got {_shape(mask.shape)}")
        padding = additive_mask(key_padding_mask, dtype, masked_when=True, label=label)
        if padding is not None:
            expected = (batch, source) if batched else (source,)
            if padding.shape != expected:
                raise ValueError(f"{label} key_padding_mask must be {_shape(expected)}, got {_shape(padding.shape)}")
            padding = padding.reshape(batch, 1, 1, source)
            mask = padding if mask is None else mask + padding
        return mask

    def label(self) -> str:
        return f"MultiheadAttention({self.embed_dim}, heads={self.num_heads})"

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, " \
               f"batch_first={self.batch_first}"
