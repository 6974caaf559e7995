"""GRU and LSTM: PyTorch's arguments, shapes, parameter names, gate order and initialisation.

Each layer and direction runs as one fused op (npnn/ops/recurrent.py) with its own backward through
time; between layers the outputs of both directions are concatenated and, in train mode, dropped out.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from npnn.nn import functional as F
from npnn.nn import init
from npnn.nn._args import _as_tensor, _shape
from npnn.nn.linear import _check_positive
from npnn.nn.module import Module, Parameter
from npnn.ops.recurrent import GRULayer, LSTMLayer
from npnn.random import resolve
from npnn.tensor import Tensor, concatenate, get_default_dtype, stack


class _RNNBase(Module):
    """Holds the checks, the parameters and the layer-by-layer forward; subclasses name the fused op,
    the number of gates and the number of states (GRU: h; LSTM: h and c)."""

    _gates: int
    _layer_op: type
    _state_names: tuple

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 *, generator: np.random.Generator | None = None):
        super().__init__()
        name = type(self).__name__
        _check_positive(name, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        if proj_size != 0 and name != "LSTM":
            raise ValueError(f"{name}: proj_size is only supported for LSTM, got proj_size={proj_size!r}")
        if (isinstance(proj_size, bool) or not isinstance(proj_size, (int, np.integer))
                or not 0 <= proj_size < hidden_size):
            raise ValueError(f"{name} proj_size must be an integer from 0 (no projection) to hidden_size - 1 = "
                             f"{hidden_size - 1}, got {proj_size!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"{name} dropout must be a number in [0, 1) (the probability of zeroing an "
                             f"element between layers), got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout acts between recurrent layers, so non-zero dropout expects "
                          f"num_layers greater than 1, but got dropout={dropout} and num_layers=1", stacklevel=2)
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.bias, self.batch_first, self.bidirectional = bool(bias), bool(batch_first), bool(bidirectional)
        self.dropout, self.proj_size = float(dropout), int(proj_size)
        # NOTE: not saved; a run may hand the model its own generator for the dropout masks (as Dropout's)
        self.generator = None if generator is None else resolve(generator, name)
        dtype, rows, h_size = get_default_dtype(), self._gates * self.hidden_size, self._real_hidden_size
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else h_size * self._directions
            for suffix in self._suffixes():
                # NOTE: assignment order is torch's parameter order (and so state-dict and init order)
                setattr(self, f"weight_ih_l{layer}{suffix}", Parameter(np.empty((rows, layer_input), dtype)))
                setattr(self, f"weight_hh_l{layer}{suffix}", Parameter(np.empty((rows, h_size), dtype)))
                if self.bias:
                    setattr(self, f"bias_ih_l{layer}{suffix}", Parameter(np.empty(rows, dtype)))
                    setattr(self, f"bias_hh_l{layer}{suffix}", Parameter(np.empty(rows, dtype)))
                if self.proj_size:
                    setattr(self, f"weight_hr_l{layer}{suffix}",
                            Parameter(np.empty((self.proj_size, self.hidden_size), dtype)))
        self.reset_parameters(generator)

    @property
    def _real_hidden_size(self) -> int:
        """The width of h (and of each direction's output): proj_size when projected, else hidden_size."""
        return self.proj_size or self.hidden_size

    @property
    def _directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self) -> tuple:
        return ("", "_reverse") if self.bidirectional else ("",)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """PyTorch's default: every weight and bias uniform ±1/sqrt(hidden_size), in parameter order."""
        bound = 1 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            init.uniform_(parameter, -bound, bound, generator)

    def _layer_parameters(self, layer: int, suffix: str) -> list:
        names = (["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
                 + (["weight_hr"] if self.proj_size else []))
        return [getattr(self, f"{name}_l{layer}{suffix}") for name in names]

    @property
    def all_weights(self) -> list:
        """The parameters per layer and direction, [[w_ih, w_hh, b_ih, b_hh], ...] (torch's attribute)."""
        return [self._layer_parameters(layer, suffix) for layer in range(self.num_layers)
                for suffix in self._suffixes()]

    def flatten_parameters(self) -> None:
        """Nothing to do: PyTorch packs the weights into one buffer for cuDNN (a no-op on its CPU too);
        kept so that PyTorch code calling it runs unchanged."""

    # ---- forward ----------------------------------------------------------------------------------
    def forward(self, input, hx=None):
        x = _as_tensor(input, self.label())
        if x.dtype.kind != "f":
            raise TypeError(f"{self.label()} expects a floating input, got dtype {x.dtype}")
        order = "(N, L, H_in)" if self.batch_first else "(L, N, H_in)"
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size or 0 in x.shape:
            raise ValueError(f"{self.label()} expected input {order} or unbatched (L, H_in) with H_in = "
                             f"{self.input_size} and L, N > 0, got {_shape(x.shape)}")
        batched = x.ndim == 3
        if not batched:
            x = x.reshape(x.shape[0], 1, self.input_size)
        elif self.batch_first:
            x = x.transpose(1, 0, 2)
        steps, batch = x.shape[0], x.shape[1]
        states = self._initial_states(hx, batched, batch, x.dtype)
        finals = [[] for _ in self._state_names]
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(self._suffixes()):
                k = layer * self._directions + direction
                output, ends = self._layer_op.run(x, [state[k] for state in states],
                                                  self._layer_parameters(layer, suffix), reverse=direction == 1)
                outputs.append(output)
                for final, end in zip(finals, ends):
                    final.append(end)
            x = outputs[0] if len(outputs) == 1 else concatenate(outputs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True, self.generator)
        output, ends = x, [stack(states_k, axis=0) for states_k in finals]
        if not batched:
            output = output.reshape(steps, output.shape[2])
            ends = [end.reshape(end.shape[0], end.shape[2]) for end in ends]
        elif self.batch_first:
            output = output.transpose(1, 0, 2)
        return output, (ends[0] if len(ends) == 1 else tuple(ends))

    def _initial_states(self, hx, batched: bool, batch: int, dtype) -> list:
        """Per state (h, and c for LSTM), one (N, size) tensor per layer and direction; zeros without hx."""
        layers = self.num_layers * self._directions
        sizes = (self._real_hidden_size, self.hidden_size)  # h's width, c's width
        if hx is None:
            return [[Tensor(np.zeros((batch, size), dtype=dtype))] * layers for size in sizes[:len(self._state_names)]]
        states = []
        for name, state, size in zip(self._state_names, self._state_tuple(hx), sizes):
            expected = (layers, batch, size) if batched else (layers, size)
            state = _as_tensor(state, f"{self.label()} {name}")
            if state.shape != expected:
                kind = "" if batched else " for unbatched input"
                raise ValueError(f"{self.label()} expected {name} of shape {_shape(expected)}{kind} "
                                 f"(num_layers * num_directions, {'batch, ' if batched else ''}"
                                 f"{'proj_size' if size != self.hidden_size else 'hidden_size'}), "
                                 f"got {_shape(state.shape)}")
            if state.dtype.kind != "f":
                raise TypeError(f"{self.label()} expects a floating {name}, got dtype {state.dtype}")
            if not batched:
                state = state.reshape(layers, 1, size)
            states.append([state[k] for k in range(layers)])
        return states

    def _state_tuple(self, hx) -> tuple:
        return (hx,)

    # ---- description ------------------------------------------------------------------------------
    def label(self) -> str:
        return f"{type(self).__name__}({self.input_size}→{self.hidden_size})"

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class GRU(_RNNBase):
    """Multi-layer gated recurrent unit; forward(input, h0=None) -> (output, h_n), as torch.nn.GRU.

    Gates r, z, n (PyTorch's order): n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h.
    """

    _gates, _layer_op, _state_names = 3, GRULayer, ("h0",)


class LSTM(_RNNBase):
    """Multi-layer long short-term memory; forward(input, (h0, c0)=None) -> (output, (h_n, c_n)),
    as torch.nn.LSTM (gates i, f, g, o); `proj_size` > 0 projects h to that width by `weight_hr_l{k}`."""

    _gates, _layer_op, _state_names = 4, LSTMLayer, ("h0", "c0")

    def _state_tuple(self, hx) -> tuple:
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"{self.label()} expects hx as a tuple (h0, c0), got {type(hx).__name__}")
        return tuple(hx)
