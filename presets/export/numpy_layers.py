"""Each layer's NumPy translation: one line of predict.py's `forward`, given to its catalog entry.

A translation takes (i, spec, w) — model[i]'s index and full spec, and `w(*names)`, which writes the
layer's weights it has as keyword arguments — and returns (the expression of `x` the layer becomes, or
None when it does nothing when predicting; the helper functions of FUNCTIONS the expression calls).
"""
from __future__ import annotations

from presets.export import check_running_stats

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


def linear(i: int, spec: dict, w) -> tuple:
    return f'linear(x, W["{i}.weight"]{w("bias")})', ["linear"]


def conv2d(i: int, spec: dict, w) -> tuple:
    return (f'conv2d(x, W["{i}.weight"]{w("bias")}, stride={spec["stride"]}, padding={spec["padding"]})',
            ["conv2d"])


def max_pool2d(i: int, spec: dict, w) -> tuple:
    return f"max_pool2d(x, {_pool(spec)})", ["max_pool2d"]


def avg_pool2d(i: int, spec: dict, w) -> tuple:
    return (f"avg_pool2d(x, {_pool(spec)}, ceil_mode={spec['ceil_mode']}, "
            f"count_include_pad={spec['count_include_pad']})", ["avg_pool2d"])


def adaptive_avg_pool2d(i: int, spec: dict, w) -> tuple:
    return f"adaptive_avg_pool2d(x, {spec['output_size']})", ["adaptive_avg_pool2d"]


def batch_norm(i: int, spec: dict, w) -> tuple:
    check_running_stats(i, spec, "NumPy")
    return (f'batch_norm(x, W["{i}.running_mean"], W["{i}.running_var"]{w("weight", "bias")}, '
            f'eps={spec["eps"]!r})', ["batch_norm"])


def layer_norm(i: int, spec: dict, w) -> tuple:
    return f"layer_norm(x{w('weight', 'bias')}, eps={spec['eps']!r})", ["layer_norm"]


def flatten(i: int, spec: dict, w) -> tuple:
    return "x.reshape(len(x), -1)", []


def unchanged(i: int, spec: dict, w) -> tuple:
    """Identity, and Dropout (nothing to do when predicting)."""
    return None, []


def relu(i: int, spec: dict, w) -> tuple:
    return "np.maximum(x, 0)", []


def tanh(i: int, spec: dict, w) -> tuple:
    return "np.tanh(x)", []


def sigmoid(i: int, spec: dict, w) -> tuple:
    return "sigmoid(x)", ["sigmoid"]


def silu(i: int, spec: dict, w) -> tuple:
    return "x * sigmoid(x)", ["sigmoid"]


def leaky_relu(i: int, spec: dict, w) -> tuple:
    return f"np.where(x > 0, x, {spec['negative_slope']!r} * x)", []


def elu(i: int, spec: dict, w) -> tuple:
    return f"elu(x, {spec['alpha']!r})", ["elu"]


def gelu(i: int, spec: dict, w) -> tuple:
    return ("gelu_tanh(x)", ["gelu_tanh"]) if spec["approximate"] == "tanh" else ("gelu(x)", ["gelu"])


def softplus(i: int, spec: dict, w) -> tuple:
    return f"softplus(x, {spec['beta']!r}, {spec['threshold']!r})", ["softplus"]
