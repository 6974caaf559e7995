"""Functional forms for sequences: embedding lookup and scaled dot-product attention (torch.nn.functional's
names and arguments), re-exported by npnn.nn.functional."""
from __future__ import annotations

import math

import numpy as np

from npnn import ops, tensor_ops
from npnn.nn._args import _as_tensor, _shape
from npnn.nn._dropout import dropout
from npnn.tensor import Tensor, no_grad


def embedding(input, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, label: str = "embedding") -> Tensor:
    """Rows of `weight` (num_embeddings, embedding_dim) picked by the integer `input` of any shape.

    padding_idx: that row gets no gradient. max_norm: rows picked whose norm exceeds it are first rescaled
    to it in place, in `weight` itself, as torch does (norm_type: the p of the norm).
    """
    indices = input.data if isinstance(input, Tensor) else np.asarray(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{label} expects integer indices, got dtype {indices.dtype}")
    count = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= count):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise IndexError(f"{label}: index {bad} is outside 0..{count - 1} ({count} embeddings)")
    if padding_idx is not None:
        padding_idx = padding_index(padding_idx, count, label)
    if max_norm is not None:
        _renorm_rows(weight.data, np.unique(indices), max_norm, norm_type)
    return ops.Embedding.apply(weight, indices=indices, padding_idx=padding_idx)


def padding_index(padding_idx, count: int, label: str) -> int:
    """padding_idx in -count..count-1, as a non-negative row (torch accepts negative ones)."""
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)) \
            or not -count <= padding_idx < count:
        raise ValueError(f"{label}: padding_idx must be an int within the {count} embeddings, got {padding_idx!r}")
    return int(padding_idx) % count


@no_grad()
def _renorm_rows(weight: np.ndarray, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    norms = np.linalg.norm(weight[rows], ord=norm_type, axis=1)
    over = norms > max_norm
    # NOTE: torch's embedding_renorm_ scales by max_norm / (norm + 1e-7), so rows end just under max_norm
    weight[rows[over]] *= (max_norm / (norms[over] + 1e-7))[:, None].astype(weight.dtype)


def additive_mask(mask, dtype, masked_when: bool, label: str) -> Tensor | None:
    """An attention mask as a float tensor to add to the scores: a float mask as is, a boolean one as
    0 and -inf (-inf where it equals `masked_when`: True for nn.MultiheadAttention, False for SDPA)."""
    if mask is None:
        return None
    if isinstance(mask, Tensor) and mask.requires_grad:
        return mask  # NOTE: a learned bias (e.g. relative positions) keeps its graph
    data = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if data.dtype == np.bool_:
        return Tensor(np.where(data == masked_when, -np.inf, 0).astype(dtype))
    if data.dtype.kind == "f":
        return Tensor(data.astype(dtype, copy=False))
    raise TypeError(f"{label}: a mask must be boolean or floating, got dtype {data.dtype}")


def _swap_last_two(x: Tensor) -> Tensor:
    return tensor_ops.permute(x, *range(x.ndim - 2), x.ndim - 1, x.ndim - 2)


def attention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None, dropout_p: float, scale: float,
              generator: np.random.Generator | None) -> tuple[Tensor, Tensor]:
    """(softmax(q kᵀ · scale + mask) @ v, the attention weights after dropout): batched matmuls over
    every leading dimension, the math torch's MultiheadAttention and SDPA share. A query the mask lets
    attend to nothing gets zero weights and a zero output (torch's SDPA; its MultiheadAttention with
    need_weights=True gives NaN there)."""
    scores = (query * scale) @ _swap_last_two(key)
    if mask is None:
        weights = scores.softmax(axis=-1)
    else:
        weights = ops.SafeSoftmax.apply(scores + mask, axis=-1)
    weights = dropout(weights, dropout_p, training=dropout_p > 0, generator=generator)
    return weights @ value, weights


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, *, generator: np.random.Generator | None = None) -> Tensor:
    """softmax(q kᵀ / sqrt(E) + mask) @ v for q (..., L, E), k (..., S, E), v (..., S, Ev) -> (..., L, Ev).

    attn_mask: boolean (True: may attend) or float (added to the scores), broadcast to (..., L, S).
    is_causal: position i attends to 0..i only (no attn_mask then); a query that may attend to nothing
    gets a zero output. dropout_p applies whenever it is positive, as torch's (pass 0.0 in evaluation);
    its masks come from `generator`.
    """
    label = "scaled_dot_product_attention"
    query, key, value = (_as_tensor(t, label) for t in (query, key, value))
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2 or query.shape[-1] != key.shape[-1] \
            or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{label} expected query (..., L, E), key (..., S, E), value (..., S, Ev), got "
                         f"{_shape(query.shape)}, {_shape(key.shape)}, {_shape(value.shape)}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{label}: give attn_mask or is_causal=True, not both")
    length, source = query.shape[-2], key.shape[-2]
    if is_causal:
        attn_mask = np.tril(np.ones((length, source), dtype=bool))
    mask = additive_mask(attn_mask, query.dtype, masked_when=False, label=label)
    if mask is not None:
        try:
            np.broadcast_shapes(mask.shape, query.shape[:-1] + (source,))
        except ValueError:
            raise ValueError(f"{label}: attn_mask of shape {_shape(mask.shape)} does not broadcast to the scores' "
                             f"{_shape(query.shape[:-1] + (source,))}") from None
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    return attention(query, key, value, mask, dropout_p, scale, generator)[0]
