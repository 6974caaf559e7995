"""The sequence layers a preset's `model` list chains, each an npnn module taking (batch, time, ...) and
giving (batch, time, ...), so a Sequential can hold them.

PyTorch's modules take and give other things (GRU returns (output, h_n); TransformerEncoder needs a mask
argument for causal attention; learned positions are a model's own code), so each here is a small
subclass or module whose state-dict keys are PyTorch's; the PyTorch export writes the same classes.
"""
from __future__ import annotations

import numpy as np

from npnn import Tensor, get_default_dtype, nn
from npnn.nn import init
from presets.errors import PresetError


class PositionalEmbedding(nn.Module):
    """Learned absolute positions (GPT-2's position table): input (N, T, D) plus weight[:T], weight
    (num_positions, embedding_dim) drawn from N(0, 1) as nn.Embedding's."""

    def __init__(self, num_positions: int, embedding_dim: int, *, generator: np.random.Generator | None = None):
        super().__init__()
        for name, value in (("num_positions", num_positions), ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"PositionalEmbedding {name} must be a positive integer, got {value!r}")
        self.num_positions, self.embedding_dim = int(num_positions), int(embedding_dim)
        self.weight = nn.Parameter(np.empty((self.num_positions, self.embedding_dim), dtype=get_default_dtype()))
        init.normal_(self.weight, generator=generator)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim != 3 or input.shape[-1] != self.embedding_dim or input.shape[1] > self.num_positions:
            raise ValueError(f"PositionalEmbedding({self.num_positions}, {self.embedding_dim}) expects (N, T, "
                             f"{self.embedding_dim}) with T <= {self.num_positions}, "
                             f"got {tuple(input.shape)}")
        return input + self.weight[:input.shape[1]]

    def label(self) -> str:
        """Short, as the model summary's column is narrow."""
        return f"Positions({self.num_positions}, {self.embedding_dim})"

    def extra_repr(self) -> str:
        return f"{self.num_positions}, {self.embedding_dim}"


class TransformerBlocks(nn.TransformerEncoder):
    """`num_layers` batch-first TransformerEncoderLayers (keys `layers.0.self_attn.in_proj_weight`, ... as
    torch.nn.TransformerEncoder's); `causal` (the default): position t attends to positions 0..t only (a
    decoder-only language model, GPT's blocks); causal=False: every position attends to all."""

    def __init__(self, d_model: int, nhead: int, num_layers: int = 2, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str = "relu", norm_first: bool = False, causal: bool = True, *,
                 generator: np.random.Generator | None = None):
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation, batch_first=True,
                                           norm_first=norm_first, generator=generator)
        super().__init__(layer, num_layers)
        self.d_model, self.nhead, self.causal = int(d_model), int(nhead), bool(causal)

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        if src.ndim != 3 or src.shape[-1] != self.d_model:
            raise ValueError(f"{self.label()} expects (N, T, {self.d_model}), got {tuple(src.shape)}")
        return super().forward(src, mask, src_key_padding_mask, is_causal=self.causal if is_causal is None
                               else is_causal)

    def label(self) -> str:
        """`Transformer×2(64)`: short, as the model summary's column is narrow (heads and causality are in
        the preset and the model editor)."""
        return f"Transformer×{self.num_layers}({self.d_model})"


class _Outputs:
    """A batch-first recurrent layer that returns its outputs (N, T, D·directions) only, as a Sequential
    needs; the final states stay inside (torch's `output, h_n = rnn(x)`, keeping `output`)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0,
                 bidirectional: bool = False, *, generator: np.random.Generator | None = None):
        super().__init__(input_size, hidden_size, num_layers, batch_first=True, dropout=dropout,  # type: ignore[call-arg]
                         bidirectional=bidirectional, generator=generator)

    def forward(self, input, hx=None):
        return super().forward(input, hx)[0]  # type: ignore[misc]

    def label(self) -> str:
        return super().label().replace("Outputs", "", 1)  # type: ignore[misc]


class GRUOutputs(_Outputs, nn.GRU):
    """nn.GRU(batch_first=True) giving its outputs only (keys weight_ih_l0, bias_hh_l0, ... as torch's)."""


class LSTMOutputs(_Outputs, nn.LSTM):
    """nn.LSTM(batch_first=True) giving its outputs only (keys as torch's)."""


# The options that let a layer read later positions, with the value a next-token model needs
_CAUSAL = {"TransformerBlocks": ("causal", True), "GRU": ("bidirectional", False), "LSTM": ("bidirectional", False)}


def check_causal(specs: list, defaults, where: str = "model") -> None:
    """A next-token model must not read the token it predicts: refuse a layer whose options let position t
    see later positions (a non-causal transformer, a bidirectional GRU/LSTM). Its scores would be
    excellent and meaningless, and generation, which has no later tokens, would fail. `defaults(type,
    option)` gives an option's default (the catalog's)."""
    for i, spec in enumerate(specs):
        option, needed = _CAUSAL.get(spec.get("type"), (None, None))
        if option is not None and spec.get(option, defaults(spec["type"], option)) != needed:
            value = "true" if not needed else "false"
            error = PresetError(f"{where}[{i}] ({spec['type']}): {option} = {value} lets each position read the "
                                f"tokens after it, which a next-token model must predict; set {option} = "
                                f"{str(needed).lower()}")
            error.layer = i  # type: ignore[attr-defined]  # NOTE: the model editor selects the layer it names
            raise error
