"""TransformerEncoderLayer and TransformerEncoder with torch.nn's arguments, submodule names and state-dict keys."""
from __future__ import annotations

import copy

import numpy as np

from npnn.nn import functional as F
from npnn.nn.attention import MultiheadAttention
from npnn.nn.container import ModuleList
from npnn.nn.dropout import Dropout
from npnn.nn.linear import Linear
from npnn.nn.module import Module
from npnn.nn.normalization import LayerNorm

ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block (linear1, activation, dropout, linear2), each added back to
    its input and layer-normalised: after the addition (the default), or before the block (norm_first).

    `generator` draws the initial weights and, kept by the attention and Dropout layers, their masks.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, *, generator: np.random.Generator | None = None):
        super().__init__()
        if isinstance(activation, str) and activation not in ACTIVATIONS:
            raise ValueError(f"TransformerEncoderLayer activation must be 'relu', 'gelu' or a callable, "
                             f"got {activation!r}")
        if not isinstance(activation, str) and not callable(activation):
            raise TypeError(f"TransformerEncoderLayer activation must be 'relu', 'gelu' or a callable, "
                            f"got {type(activation).__name__}")
        self.self_attn = MultiheadAttention(d_model, nhead, dropout, bias, batch_first, generator=generator)
        self.linear1 = Linear(d_model, dim_feedforward, bias, generator=generator)
        self.dropout = Dropout(dropout, generator=generator)
        self.linear2 = Linear(dim_feedforward, d_model, bias, generator=generator)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout, generator=generator)
        self.dropout2 = Dropout(dropout, generator=generator)
        self.activation = ACTIVATIONS[activation] if isinstance(activation, str) else activation

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        """src (S, N, E), (N, S, E) with batch_first, or (S, E); masks as MultiheadAttention's."""
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal: bool):
        out = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                             is_causal=is_causal)[0]
        return self.dropout1(out)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def label(self) -> str:
        return f"TransformerEncoderLayer({self.self_attn.embed_dim}, heads={self.self_attn.num_heads})"


class TransformerEncoder(Module):
    """`num_layers` deep copies of `encoder_layer` (as `layers.0`, `layers.1`, ...) applied in turn, then
    `norm` if given. The copies share the layer's generators (their masks differ; their weights start equal,
    as torch's do)."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None):
        super().__init__()
        if isinstance(num_layers, bool) or not isinstance(num_layers, (int, np.integer)) or num_layers < 1:
            raise ValueError(f"TransformerEncoder num_layers must be a positive integer, got {num_layers!r}")
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"TransformerEncoder expects a Module as encoder_layer, got {type(encoder_layer).__name__}")
        # NOTE: a generator is shared state, not part of the layer's value: copies keep drawing from it
        shared = {id(m.generator): m.generator for m in encoder_layer.modules() if getattr(m, "generator", None)}
        self.layers = ModuleList(copy.deepcopy(encoder_layer, dict(shared)) for _ in range(int(num_layers)))
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal: bool | None = None):
        """src as the layer's; mask and src_key_padding_mask go to every layer."""
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)
