"""NumPy export ("eject"): a directory with predict.py — the whole forward pass and the preprocessing in
plain NumPy, straight-line and readable — and weights.npz (the state dict under PyTorch's keys).

predict.py holds only the functions its model uses; each layer is one line of `forward`.
"""
from __future__ import annotations

from pathlib import Path

from presets.bundle import Bundle
from presets.export import check_running_stats, full_specs
from presets.export._source import WEIGHTS, answers, constants, main, prepare, usage, write_export

SCRIPT = "predict.py"

# The helper functions predict.py may hold, in the order they are written; each names what it needs.
FUNCTIONS = {
    "windows": ((), '''def windows(x, k, stride):
    """Every k x k window over the last two axes, stepping by stride: a view (..., out_h, out_w, k, k)."""
    return np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(-2, -1))[..., ::stride, ::stride, :, :]'''),
    "linear": ((), '''def linear(x, weight, bias=None):
    return x @ weight.T if bias is None else x @ weight.T + bias'''),
    "conv2d": (("windows",), '''def conv2d(x, weight, bias=None, stride=1, padding=0):
    """Each output pixel: the dot product of a filter with the window of every channel under it."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    y = np.einsum("ncyxij,ocij->noyx", windows(x, weight.shape[-1], stride), weight, optimize=True)
    return y if bias is None else y + bias[:, None, None]'''),
    "max_pool2d": (("windows",), '''def max_pool2d(x, kernel_size, stride, padding):
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=-np.inf)
    return windows(x, kernel_size, stride).max(axis=(-2, -1))'''),
    "avg_pool2d": (("windows",), '''def avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad):
    """Window means as PyTorch takes them: the padding counts in the divisor when count_include_pad,
    the room ceil_mode adds past it never does, and no window starts in the right padding alone."""
    k, s, p = kernel_size, stride, padding
    sizes = []
    for n in x.shape[2:]:
        out = (n + 2 * p - k + (s - 1 if ceil_mode else 0)) // s + 1
        sizes.append(out - 1 if ceil_mode and (out - 1) * s >= n + p else out)
    counted = np.pad(np.ones(x.shape[2:], x.dtype), p, constant_values=float(count_include_pad))
    counted = np.pad(counted, ((0, k), (0, k)))  # room for ceil_mode's last windows, never counted
    x = np.pad(x, ((0, 0), (0, 0), (p, p + k), (p, p + k)))
    total = windows(x, k, s)[:, :, :sizes[0], :sizes[1]].sum(axis=(-2, -1))
    return total / windows(counted, k, s)[:sizes[0], :sizes[1]].sum(axis=(-2, -1))'''),
    "adaptive_avg_pool2d": ((), '''def adaptive_avg_pool2d(x, size):
    """rows @ x @ columns.T: output i of an axis of length n averages [floor(i·n/size), ceil((i+1)·n/size))."""
    def means(n):
        i, j = np.arange(size)[:, None], np.arange(n)
        inside = (j >= i * n // size) & (j < -(-(i + 1) * n // size))
        return (inside / inside.sum(axis=1, keepdims=True)).astype(x.dtype)
    return means(x.shape[2]) @ x @ means(x.shape[3]).T'''),
    "batch_norm": ((), '''def batch_norm(x, mean, var, weight=None, bias=None, eps=1e-5):
    """Each channel (axis 1) normalised by the running statistics of training, then scaled and shifted."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    x = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    return x if weight is None else x * weight.reshape(shape) + bias.reshape(shape)'''),
    "layer_norm": ((), '''def layer_norm(x, weight=None, bias=None, eps=1e-5):
    """Each sample's last axis normalised by its own mean and (biased) variance."""
    x = (x - x.mean(axis=-1, keepdims=True)) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    x = x if weight is None else x * weight
    return x if bias is None else x + bias'''),
    "sigmoid": ((), '''def sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))  # NOTE: 1 / (1 + exp(-x)) without overflow'''),
    "gelu": ((), '''def gelu(x):
    """x·Φ(x), Φ the standard normal CDF (from math.erfc: NumPy has no erf)."""
    return x * (0.5 * np.vectorize(math.erfc, otypes=[float])(-x / math.sqrt(2))).astype(x.dtype)'''),
    "gelu_tanh": (("sigmoid",), '''def gelu_tanh(x):
    """GELU's tanh approximation: x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))) / 2."""
    return x * sigmoid(1.5957691216057308 * (x + 0.044715 * x ** 3))'''),
    "elu": ((), '''def elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))'''),
    "softplus": ((), '''def softplus(x, beta, threshold):
    """log(1 + exp(beta·x)) / beta, and x itself where beta·x > threshold."""
    return np.where(beta * x > threshold, x, np.logaddexp(0, beta * x) / beta)'''),
}


def _pool(spec: dict) -> str:
    stride = spec["kernel_size"] if spec["stride"] is None else spec["stride"]  # NOTE: pooling's default
    return f"{spec['kernel_size']}, stride={stride}, padding={spec['padding']}"


# Each registered layer type: (i, spec, w) → (the expression of x it becomes, the helper functions it
# calls); w(*names) writes the layer's weights it has as keyword arguments.
CALLS = {
    "Linear": lambda i, spec, w: (f'linear(x, W["{i}.weight"]{w("bias")})', ["linear"]),
    "Conv2d": lambda i, spec, w: (f'conv2d(x, W["{i}.weight"]{w("bias")}, stride={spec["stride"]}, '
                                  f'padding={spec["padding"]})', ["conv2d"]),
    "MaxPool2d": lambda i, spec, w: (f"max_pool2d(x, {_pool(spec)})", ["max_pool2d"]),
    "AvgPool2d": lambda i, spec, w: (f"avg_pool2d(x, {_pool(spec)}, ceil_mode={spec['ceil_mode']}, "
                                     f"count_include_pad={spec['count_include_pad']})", ["avg_pool2d"]),
    "AdaptiveAvgPool2d": lambda i, spec, w: (f"adaptive_avg_pool2d(x, {spec['output_size']})",
                                             ["adaptive_avg_pool2d"]),
    "BatchNorm1d": lambda i, spec, w: _batch_norm(i, spec, w),
    "BatchNorm2d": lambda i, spec, w: _batch_norm(i, spec, w),
    "LayerNorm": lambda i, spec, w: (f"layer_norm(x{w('weight', 'bias')}, eps={spec['eps']!r})", ["layer_norm"]),
    "Flatten": lambda i, spec, w: ("x.reshape(len(x), -1)", []),
    "Identity": lambda i, spec, w: (None, []),
    "Dropout": lambda i, spec, w: (None, []),
    "ReLU": lambda i, spec, w: ("np.maximum(x, 0)", []),
    "Tanh": lambda i, spec, w: ("np.tanh(x)", []),
    "Sigmoid": lambda i, spec, w: ("sigmoid(x)", ["sigmoid"]),
    "SiLU": lambda i, spec, w: ("x * sigmoid(x)", ["sigmoid"]),
    "LeakyReLU": lambda i, spec, w: (f"np.where(x > 0, x, {spec['negative_slope']!r} * x)", []),
    "ELU": lambda i, spec, w: (f"elu(x, {spec['alpha']!r})", ["elu"]),
    "GELU": lambda i, spec, w: (("gelu_tanh(x)", ["gelu_tanh"]) if spec["approximate"] == "tanh"
                                else ("gelu(x)", ["gelu"])),
    "Softplus": lambda i, spec, w: (f"softplus(x, {spec['beta']!r}, {spec['threshold']!r})", ["softplus"]),
}


def _batch_norm(i: int, spec: dict, w) -> tuple[str, list]:
    check_running_stats(i, spec, "NumPy")
    return (f'batch_norm(x, W["{i}.running_mean"], W["{i}.running_var"]{w("weight", "bias")}, '
            f'eps={spec["eps"]!r})', ["batch_norm"])


def _call(i: int, spec: dict, weights: dict) -> tuple[str, list]:
    """model[i] as one line of `forward` and the helper functions the line calls."""
    kind = spec["type"]
    if kind not in CALLS:
        raise ValueError(f"model[{i}] ({kind}): the NumPy export does not support this layer; it supports "
                         f"{', '.join(CALLS)}")

    def w(*names: str) -> str:
        return "".join(f', {name}=W["{i}.{name}"]' for name in names if f"{i}.{name}" in weights)

    expression, needs = CALLS[kind](i, spec, w)
    if expression is None:
        return f"# model[{i}] {kind}: nothing to do when predicting", needs
    return f"x = {expression}", needs


def _functions(needs: set) -> str:
    """The source of the helper functions needed (and the ones they call), in FUNCTIONS order."""
    todo = set(needs)
    for name in needs:
        todo.update(FUNCTIONS[name][0])
    return "\n\n\n".join(source for name, (_, source) in FUNCTIONS.items() if name in todo)


def predict_source(bundle: Bundle) -> str:
    """The text of predict.py for `bundle`."""
    weights, lines, needs = bundle.model.state_dict(), [], set()
    for i, spec in enumerate(full_specs(bundle.spec["model"])):
        line, used = _call(i, spec, weights)
        lines.append(f"    {line}")
        needs.update(used)
    proba = ", predict_proba" if bundle.task == "classification" else ""
    functions = _functions(needs)
    uses_math = "math." in functions
    return f'''"""The npnn run {bundle.run_dir.name} ({bundle.task}) with NumPy alone: preprocessing, network, answers.

{usage(bundle, SCRIPT, (f"from predict import predict{proba}", "raw inputs in, answers as npnn's Bundle gives them"))}

The weights are in {WEIGHTS} beside this file, under PyTorch's state-dict keys ("0.weight", ...).
"""
import csv
{"import math" + chr(10) if uses_math else ""}import sys
from pathlib import Path

import numpy as np

{constants(bundle)}
W = dict(np.load(Path(__file__).with_name("{WEIGHTS}")))


{functions + (chr(10) * 3 if functions else "")}def forward(x):
    """The network, one layer a line: prepared float32 input in, raw outputs (logits or standardised
    predictions) out."""
{chr(10).join(lines)}
    return x


{prepare(bundle)}


{answers(bundle)}


{main(bundle)}
'''


def export_numpy(bundle: Bundle, directory, force: bool = False) -> Path:
    """Write predict.py and weights.npz into `directory` (created if needed); returns the directory. Files of
    those names already there are replaced only with `force` (else OutputError, nothing written)."""
    return write_export(directory, SCRIPT, predict_source(bundle), bundle.model.state_dict(), force)
