"""ONNX translations of the sequence layers (given to their catalog entries through
presets.export.sequence_layers): each adds the nodes that apply model[i] to its input and returns its output.

The network takes token ids (N, T) for any T up to the context it was trained on: positions are sliced and
the causal mask cut to T from the input's shape. GRU and LSTM become ONNX's own ops, their weights
reordered from PyTorch's gate order (GRU r, z, n → z, r, h; LSTM i, f, g, o → i, o, f, c).
"""
from __future__ import annotations

import inspect

import numpy as np

from npnn import nn
from presets.export import onnx_layers
from presets.export.onnx_layers import OnnxLayer

# NOTE: TransformerBlocks keeps TransformerEncoderLayer's default epsilon (predict.py's layer_norm has it too)
_NORM_EPS = inspect.signature(nn.TransformerEncoderLayer).parameters["layer_norm_eps"].default


def _scope(layer: OnnxLayer, name: str, spec: dict | None = None) -> OnnxLayer:
    """A part of `layer` whose nodes and constants are named `<layer>.<name>...` (several sublayers, one layer)."""
    part = OnnxLayer(layer.graph, layer.i, layer.spec if spec is None else spec, layer.shape, layer.weights)
    part.out = f"{layer.out}.{name}"
    return part


def _ints(layer: OnnxLayer, name: str, values: list) -> str:
    return layer.const(name, values, np.int64)


def embedding(layer: OnnxLayer, x: str) -> str:
    """Each token id's row of the weight table: (N, T) int64 → (N, T, D)."""
    return layer.op("Gather", [*layer.param("weight"), x], axis=0)


def positional_embedding(layer: OnnxLayer, x: str) -> str:
    """x + weight[:T], T read from the input's shape."""
    steps = layer.op("Shape", [x], "steps", start=1, end=2)
    positions = layer.op("Slice", [*layer.param("weight"), _ints(layer, "zero", [0]), steps,
                                   _ints(layer, "axis", [0])], "positions")
    return layer.op("Add", [x, positions])


def _linear(part: OnnxLayer, x: str, prefix: str, step: str = "") -> str:
    """x @ weight.T + bias of the Linear under `prefix` (MatMul, as x has three axes)."""
    weight, bias = (part.weights[f"{part.i}.{prefix}.{name}"] for name in ("weight", "bias"))
    product = part.op("MatMul", [x, part.const(f"{prefix}.weight_t", weight.T)], f"{step or prefix}.matmul")
    return part.op("Add", [product, part.const(f"{prefix}.bias", bias)], step)


def _attention(part: OnnxLayer, x: str, prefix: str, heads: int, mask: str | None) -> str:
    """Multi-head self-attention as torch.nn.MultiheadAttention computes it (in_proj_weight's query, key and
    value rows), every head at once: (N, T, D) → (N, H, T, D/H) → softmax(q·kᵀ/√(D/H) + mask)·v."""
    d = part.spec["d_model"]
    weight, bias = (part.weights[f"{part.i}.{prefix}.self_attn.{name}"] for name in ("in_proj_weight", "in_proj_bias"))
    heads_shape = _ints(part, "heads_shape", [0, 0, heads, d // heads])
    q, k, v = (part.op("Reshape", [part.op("Add", [
        part.op("MatMul", [x, part.const(f"{name}.weight_t", weight[j * d:(j + 1) * d].T)], f"{name}.matmul"),
        part.const(f"{name}.bias", bias[j * d:(j + 1) * d])], f"{name}.projected"), heads_shape], name)
               for j, name in enumerate("qkv"))
    scores = part.op("MatMul", [part.op("Transpose", [q], "q.heads", perm=[0, 2, 1, 3]),
                                part.op("Transpose", [k], "k.heads", perm=[0, 2, 3, 1])], "scores")
    scores = part.op("Mul", [scores, part.const("scale", (d // heads) ** -0.5)], "scaled")
    if mask is not None:
        scores = part.op("Add", [scores, mask], "masked")
    weights = part.op("Softmax", [scores], "weights", axis=-1)
    attended = part.op("MatMul", [weights, part.op("Transpose", [v], "v.heads", perm=[0, 2, 1, 3])], "attended")
    merged = part.op("Reshape", [part.op("Transpose", [attended], "attended.steps", perm=[0, 2, 1, 3]),
                                 _ints(part, "merged_shape", [0, 0, d])], "merged")
    return _linear(part, merged, f"{prefix}.self_attn.out_proj", "attention")


def _causal_mask(layer: OnnxLayer, x: str) -> str:
    """0 where position t may read position s (s <= t), -inf above the diagonal: a (context, context)
    constant cut to (T, T)."""
    context = layer.shape[0]
    full = np.triu(np.full((context, context), -np.inf, dtype=np.float32), 1)
    steps = layer.op("Shape", [x], "steps", start=1, end=2)
    ends = layer.op("Concat", [steps, steps], "mask.ends", axis=0)
    return layer.op("Slice", [layer.const("mask.full", full), _ints(layer, "mask.starts", [0, 0]), ends,
                              _ints(layer, "mask.axes", [0, 1])], "mask")


def _norm(part: OnnxLayer, y: str, prefix: str, n: int) -> str:
    weight, bias = (part.weights[f"{part.i}.{prefix}.norm{n}.{name}"] for name in ("weight", "bias"))
    return part.op("LayerNormalization", [y, part.const(f"norm{n}.weight", weight), part.const(f"norm{n}.bias", bias)],
                   f"norm{n}", axis=-1, epsilon=_NORM_EPS)


def _feed_forward(part: OnnxLayer, y: str, prefix: str) -> str:
    """linear1, the activation (ReLU, or GELU from Erf), linear2."""
    hidden = _linear(part, y, f"{prefix}.linear1", "linear1")
    if part.spec["activation"] == "gelu":
        hidden = onnx_layers.gelu(_scope(part, "gelu", {"type": "GELU", "approximate": "none"}), hidden)
    else:
        hidden = part.op("Relu", [hidden], "relu")
    return _linear(part, hidden, f"{prefix}.linear2", "feed_forward")


def transformer_blocks(layer: OnnxLayer, x: str) -> str:
    """Each torch.nn.TransformerEncoderLayer: attention and feed-forward (linear1, activation, linear2) added
    back to their input, LayerNormalization after each sum (or before each sublayer when norm_first)."""
    spec = layer.spec
    mask = _causal_mask(layer, x) if spec["causal"] else None
    for k in range(spec["num_layers"]):
        part, prefix = _scope(layer, f"layers.{k}"), f"layers.{k}"
        if spec["norm_first"]:
            x = part.op("Add", [x, _attention(part, _norm(part, x, prefix, 1), prefix, spec["nhead"], mask)], "sum1")
            x = part.op("Add", [x, _feed_forward(part, _norm(part, x, prefix, 2), prefix)], "sum2")
        else:
            x = _norm(part, part.op("Add", [x, _attention(part, x, prefix, spec["nhead"], mask)], "sum1"), prefix, 1)
            x = _norm(part, part.op("Add", [x, _feed_forward(part, x, prefix)], "sum2"), prefix, 2)
    return layer.op("Identity", [x])


def _recurrent(layer: OnnxLayer, x: str, op_type: str, order: list, **attributes) -> str:
    """Each layer an ONNX GRU / LSTM over time-major input (T, N, I), both directions in one node when
    bidirectional; PyTorch's gate blocks put in ONNX's `order`, biases as [input, hidden]."""
    spec = layer.spec
    hidden, directions = spec["hidden_size"], 1 + spec["bidirectional"]

    def stacked(name: str, n: int) -> np.ndarray:
        blocks = [layer.weights[f"{layer.i}.{name}_l{n}{suffix}"] for suffix in ("", "_reverse")[:directions]]
        return np.stack([np.concatenate([w[g * hidden:(g + 1) * hidden] for g in order]) for w in blocks])

    y = layer.op("Transpose", [x], "time_major", perm=[1, 0, 2])
    for n in range(spec["num_layers"]):
        inputs = [layer.const(f"l{n}.W", stacked("weight_ih", n)), layer.const(f"l{n}.R", stacked("weight_hh", n)),
                  layer.const(f"l{n}.B", np.concatenate([stacked("bias_ih", n), stacked("bias_hh", n)], axis=1))]
        out = layer.op(op_type, [y, *inputs], f"l{n}", hidden_size=hidden,
                       direction="bidirectional" if directions == 2 else "forward", **attributes)
        steps = layer.op("Transpose", [out], f"l{n}.steps", perm=[0, 2, 1, 3])  # (T, dirs, N, H) → (T, N, dirs, H)
        y = layer.op("Reshape", [steps, _ints(layer, f"l{n}.shape", [0, 0, -1])], f"l{n}.outputs")
    return layer.op("Transpose", [y], perm=[1, 0, 2])


def recurrent(layer: OnnxLayer, x: str) -> str:
    """GRU or LSTM; torch.nn.GRU's reset gate scales the hidden part after its linear map (linear_before_reset)."""
    if layer.spec["type"] == "GRU":
        return _recurrent(layer, x, "GRU", [1, 0, 2], linear_before_reset=1)
    return _recurrent(layer, x, "LSTM", [0, 3, 1, 2])
