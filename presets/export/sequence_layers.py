"""Translations of the sequence layers (presets.sequence.layers, nn.Embedding) for the PyTorch and NumPy
exports; the ONNX ones are presets.export.sequence_onnx's.

model.py defines the same classes as presets.sequence.layers (PyTorch's modules with the arguments a
Sequential needs), so weights.npz loads under npnn's keys; predict.py computes them in plain NumPy.
"""
from __future__ import annotations

from presets.export.pytorch_layers import same_class

# NOTE: the catalog takes each sequence layer's three translations from this module
from presets.export.sequence_onnx import embedding as onnx_embedding  # noqa: F401
from presets.export.sequence_onnx import positional_embedding as onnx_positional_embedding  # noqa: F401
from presets.export.sequence_onnx import recurrent as onnx_recurrent  # noqa: F401
from presets.export.sequence_onnx import transformer_blocks as onnx_transformer_blocks  # noqa: F401

# The classes model.py defines, each written when a layer's expression names it.
PYTORCH_CLASSES = {
    "PositionalEmbedding": '''class PositionalEmbedding(nn.Module):
    """Learned absolute positions: input (N, T, D) plus weight[:T] (npnn's presets.sequence.layers)."""

    def __init__(self, num_positions, embedding_dim):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_positions, embedding_dim))
        nn.init.normal_(self.weight)

    def forward(self, input):
        return input + self.weight[:input.shape[1]]''',
    "TransformerBlocks": '''class TransformerBlocks(nn.TransformerEncoder):
    """num_layers batch-first TransformerEncoderLayers; causal: position t attends to 0..t only."""

    def __init__(self, d_model, nhead, num_layers=2, dim_feedforward=2048, dropout=0.1, activation="relu",
                 norm_first=False, causal=True):
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation, batch_first=True,
                                           norm_first=norm_first)
        super().__init__(layer, num_layers, enable_nested_tensor=False)
        self.causal = causal

    def forward(self, src):
        if not self.causal:
            return super().forward(src)
        mask = nn.Transformer.generate_square_subsequent_mask(src.shape[1], dtype=src.dtype)
        return super().forward(src, mask=mask, is_causal=True)''',
    **{f"{kind}Outputs": f'''class {kind}Outputs(nn.{kind}):
    """nn.{kind}(batch_first=True) giving its outputs (N, T, D·directions) only, as a Sequential needs."""

    def __init__(self, input_size, hidden_size, num_layers=1, dropout=0.0, bidirectional=False):
        super().__init__(input_size, hidden_size, num_layers, batch_first=True, dropout=dropout,
                         bidirectional=bidirectional)

    def forward(self, input, hx=None):
        return super().forward(input, hx)[0]''' for kind in ("GRU", "LSTM")},
}


def _own_class(name: str, spec: dict) -> str:
    """`<name>(<every option>)`, a class model.py defines (PYTORCH_CLASSES)."""
    options = ", ".join(f"{key}={value!r}" for key, value in spec.items() if key != "type")
    return f"{name}({options})"


pytorch_embedding = same_class


def pytorch_positional_embedding(spec: dict) -> str:
    return _own_class("PositionalEmbedding", spec)


def pytorch_transformer_blocks(spec: dict) -> str:
    return _own_class("TransformerBlocks", spec)


def pytorch_recurrent(spec: dict) -> str:
    """GRU → GRUOutputs, LSTM → LSTMOutputs."""
    return _own_class(f"{spec['type']}Outputs", spec)


# The NumPy functions predict.py may hold (presets.export.numpy_layers.FUNCTIONS takes them in): each names
# the functions it calls.
NUMPY_FUNCTIONS = {
    "relu": ((), '''def relu(x):
    return np.maximum(x, 0)'''),
    "self_attention": ((), '''def self_attention(x, in_weight, in_bias, out_weight, out_bias, heads, causal):
    """Multi-head self-attention (in_weight: the query, key and value projections stacked, as PyTorch's
    in_proj_weight): each head's softmax(q·kᵀ/√d)·v; causal: position t reads positions 0..t only."""
    n, t, d = x.shape
    q, k, v = (part.reshape(n, t, heads, d // heads).transpose(0, 2, 1, 3)
               for part in np.split(x @ in_weight.T + in_bias, 3, axis=-1))
    scores = q @ k.transpose(0, 1, 3, 2) * (d // heads) ** -0.5
    if causal:
        scores = np.where(np.triu(np.ones((t, t), dtype=bool), 1), -np.inf, scores)
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    attended = (scores / scores.sum(axis=-1, keepdims=True)) @ v
    return attended.transpose(0, 2, 1, 3).reshape(n, t, d) @ out_weight.T + out_bias'''),
    "transformer_blocks": (("self_attention", "layer_norm", "linear"), '''def transformer_blocks(x, prefix, num_layers,
                       nhead, activation, norm_first, causal):
    """torch.nn.TransformerEncoderLayers (weights W[prefix + "layers.<k>. ..."]): self-attention, then
    linear1, activation, linear2, each added back to its input; LayerNorm after each sum, or before each
    sublayer when norm_first."""
    for k in range(num_layers):
        w = {key[len(f"{prefix}layers.{k}."):]: value for key, value in W.items()
             if key.startswith(f"{prefix}layers.{k}.")}

        def attention(y):
            return self_attention(y, w["self_attn.in_proj_weight"], w["self_attn.in_proj_bias"],
                                  w["self_attn.out_proj.weight"], w["self_attn.out_proj.bias"], nhead, causal)

        def feed_forward(y):
            hidden = activation(linear(y, w["linear1.weight"], w["linear1.bias"]))
            return linear(hidden, w["linear2.weight"], w["linear2.bias"])

        def norm(y, i):
            return layer_norm(y, w[f"norm{i}.weight"], w[f"norm{i}.bias"])

        if norm_first:
            x = x + attention(norm(x, 1))
            x = x + feed_forward(norm(x, 2))
        else:
            x = norm(x + attention(x), 1)
            x = norm(x + feed_forward(x), 2)
    return x'''),
    "gru_step": (("sigmoid",), '''def gru_step(gates_x, state, weight_hh, bias_hh):
    """One step of torch.nn.GRU: gates r, z, n in PyTorch's row order; n's hidden part scaled by r."""
    h, = state
    gates_h = h @ weight_hh.T + bias_hh
    (xr, xz, xn), (hr, hz, hn) = np.split(gates_x, 3, axis=-1), np.split(gates_h, 3, axis=-1)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    return ((1 - z) * np.tanh(xn + r * hn) + z * h,)'''),
    "lstm_step": (("sigmoid",), '''def lstm_step(gates_x, state, weight_hh, bias_hh):
    """One step of torch.nn.LSTM: gates i, f, g, o in PyTorch's row order; state (h, c)."""
    h, c = state
    i, f, g, o = np.split(gates_x + h @ weight_hh.T + bias_hh, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c'''),
    "recurrent": ((), '''def recurrent(x, prefix, step, states, num_layers, hidden_size, bidirectional):
    """A batch-first torch.nn.GRU / LSTM from zero states: each layer reads the sequence forwards (and
    backwards, "_reverse" weights, when bidirectional); the input projections of all steps at once."""
    n, t = x.shape[:2]
    for layer in range(num_layers):
        outputs = []
        for suffix, order in (("", range(t)), ("_reverse", range(t - 1, -1, -1)))[:1 + bidirectional]:
            w = {name: W[f"{prefix}{name}_l{layer}{suffix}"]
                 for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
            gates_x = x @ w["weight_ih"].T + w["bias_ih"]
            state = tuple(np.zeros((n, hidden_size), dtype=x.dtype) for _ in range(states))
            out = np.empty((n, t, hidden_size), dtype=x.dtype)
            for s in order:
                state = step(gates_x[:, s], state, w["weight_hh"], w["bias_hh"])
                out[:, s] = state[0]
            outputs.append(out)
        x = np.concatenate(outputs, axis=-1)
    return x'''),
}


def numpy_embedding(i: int, spec: dict, w) -> tuple:
    return f'W["{i}.weight"][x]', []


def numpy_positional_embedding(i: int, spec: dict, w) -> tuple:
    return f'x + W["{i}.weight"][:x.shape[1]]', []


def numpy_transformer_blocks(i: int, spec: dict, w) -> tuple:
    activation, needs = ("gelu", ["gelu"]) if spec["activation"] == "gelu" else ("relu", ["relu"])
    return (f'transformer_blocks(x, "{i}.", {spec["num_layers"]}, nhead={spec["nhead"]}, activation={activation}, '
            f'norm_first={spec["norm_first"]}, causal={spec["causal"]})', ["transformer_blocks", *needs])


def numpy_recurrent(i: int, spec: dict, w) -> tuple:
    """GRU (state h) or LSTM (state h, c): the shared time loop with the layer's step."""
    step, states = ("gru_step", 1) if spec["type"] == "GRU" else ("lstm_step", 2)
    return (f'recurrent(x, "{i}.", {step}, {states}, num_layers={spec["num_layers"]}, '
            f'hidden_size={spec["hidden_size"]}, bidirectional={spec["bidirectional"]})', ["recurrent", step])
