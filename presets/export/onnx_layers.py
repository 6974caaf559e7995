"""Each layer's ONNX translation: the nodes that apply it to its input, given to its catalog entry.

A translation takes an OnnxLayer (model[i] being converted) and the name of its input, adds nodes
through `layer.op` / `layer.param` / `layer.const`, and returns the name of its output.
"""
from __future__ import annotations

import numpy as np

from npnn.nn._norm_pool import _adaptive_means  # NOTE: PyTorch's adaptive windows, stated once in npnn
from npnn.ops.geometry import output_size
from presets.export import check_running_stats


class OnnxLayer:
    """model[i] being converted: its spec, the shape of one sample reaching it, and helpers that name
    every initializer and node after it (`3.weight`, `3.Linear`, `3.Linear.cube`, ...).

    `graph` is what collects the nodes: `const(name, array)` and `op(op_type, inputs, output, **attributes)`
    each return the name they were given."""

    def __init__(self, graph, i: int, spec: dict, shape: tuple, weights: dict) -> None:
        self.graph, self.i, self.spec, self.shape, self.weights = graph, i, spec, shape, weights
        self.out = f"{i}.{spec['type']}"

    def param(self, name: str, default=None) -> list:
        """The layer's parameter or buffer as an initializer ([] when it has none and no default)."""
        key = f"{self.i}.{name}"
        value = self.weights.get(key, default)
        return [] if value is None else [self.graph.const(key, value)]

    def const(self, name: str, value, dtype=np.float32) -> str:
        return self.graph.const(f"{self.out}.{name}", np.asarray(value, dtype=dtype))

    def op(self, op_type: str, inputs: list, step: str = "", **attributes) -> str:
        """A node; its output is the layer's output, or `<layer>.<step>` for an intermediate one."""
        return self.graph.op(op_type, inputs, f"{self.out}.{step}" if step else self.out, **attributes)


def _stride(spec: dict) -> int:
    return spec["kernel_size"] if spec["stride"] is None else spec["stride"]  # NOTE: pooling's default


def _pool(spec: dict) -> dict:
    k, s, p = spec["kernel_size"], _stride(spec), spec["padding"]
    return {"kernel_shape": [k, k], "strides": [s, s], "pads": [p, p, p, p]}


def linear(layer: OnnxLayer, x: str) -> str:
    """Gemm on vectors; on sequences (N, T, features), where Gemm takes only matrices, MatMul by weight.T."""
    if len(layer.shape) == 1:
        return layer.op("Gemm", [x, *layer.param("weight"), *layer.param("bias")], transB=1)
    product = layer.op("MatMul", [x, layer.const("weight_t", layer.weights[f"{layer.i}.weight"].T)],
                       "matmul" if f"{layer.i}.bias" in layer.weights else "")
    return layer.op("Add", [product, *layer.param("bias")]) if f"{layer.i}.bias" in layer.weights else product


def conv2d(layer: OnnxLayer, x: str) -> str:
    k, s, p = layer.spec["kernel_size"], layer.spec["stride"], layer.spec["padding"]
    return layer.op("Conv", [x, *layer.param("weight"), *layer.param("bias")], kernel_shape=[k, k],
                    strides=[s, s], pads=[p, p, p, p])


def max_pool2d(layer: OnnxLayer, x: str) -> str:
    return layer.op("MaxPool", [x], **_pool(layer.spec))


def avg_pool2d(layer: OnnxLayer, x: str) -> str:
    """AveragePool; with ceil_mode sliced to PyTorch's size.

    NOTE: ONNX keeps a last window that starts in the right padding, PyTorch drops it; slicing drops it
    too (the windows kept are the same, divisors included).
    """
    spec, ceil = layer.spec, layer.spec["ceil_mode"]
    pooled = layer.op("AveragePool", [x], "pooled" if ceil else "", **_pool(spec), ceil_mode=int(ceil),
                      count_include_pad=int(spec["count_include_pad"]))
    if not ceil:
        return pooled
    sizes = [output_size(n, spec["kernel_size"], _stride(spec), spec["padding"], ceil_mode=True)
             for n in layer.shape[1:]]
    starts, ends, axes = (layer.const(name, value, np.int64) for name, value in
                          (("starts", [0, 0]), ("ends", sizes), ("axes", [2, 3])))
    return layer.op("Slice", [pooled, starts, ends, axes])


def adaptive_avg_pool2d(layer: OnnxLayer, x: str) -> str:
    """rows (oh, H) @ x @ columns (W, ow): each output the mean of its window."""
    size, (_, height, width) = layer.spec["output_size"], layer.shape
    rows = layer.const("rows", _adaptive_means(height, size, np.float32))
    columns = layer.const("columns", _adaptive_means(width, size, np.float32).T)
    return layer.op("MatMul", [layer.op("MatMul", [rows, x], "rows_mean"), columns])


def batch_norm(layer: OnnxLayer, x: str) -> str:
    """Eval mode: the running statistics; without affine, scale 1 and shift 0."""
    spec = layer.spec
    check_running_stats(layer.i, spec, "ONNX")
    n = spec["num_features"]
    inputs = [x, *layer.param("weight", np.ones(n, dtype=np.float32)),
              *layer.param("bias", np.zeros(n, dtype=np.float32)), *layer.param("running_mean"),
              *layer.param("running_var")]
    return layer.op("BatchNormalization", inputs, epsilon=float(spec["eps"]))


def layer_norm(layer: OnnxLayer, x: str) -> str:
    scale = layer.param("weight", np.ones(layer.spec["normalized_shape"], dtype=np.float32))
    return layer.op("LayerNormalization", [x, *scale, *layer.param("bias")], axis=-1,
                    epsilon=float(layer.spec["eps"]))


def flatten(layer: OnnxLayer, x: str) -> str:
    return layer.op("Flatten", [x], axis=1)


def unchanged(layer: OnnxLayer, x: str) -> str:
    """Identity, and Dropout (nothing to do when predicting): no node at all."""
    return x


def relu(layer: OnnxLayer, x: str) -> str:
    return layer.op("Relu", [x])


def sigmoid(layer: OnnxLayer, x: str) -> str:
    return layer.op("Sigmoid", [x])


def tanh(layer: OnnxLayer, x: str) -> str:
    return layer.op("Tanh", [x])


def leaky_relu(layer: OnnxLayer, x: str) -> str:
    return layer.op("LeakyRelu", [x], alpha=float(layer.spec["negative_slope"]))


def elu(layer: OnnxLayer, x: str) -> str:
    return layer.op("Elu", [x], alpha=float(layer.spec["alpha"]))


def silu(layer: OnnxLayer, x: str) -> str:
    return layer.op("Mul", [x, layer.op("Sigmoid", [x], "sigmoid")])


def gelu(layer: OnnxLayer, x: str) -> str:
    """x·Φ(x) from Erf, or the tanh form as npnn computes it: x·sigmoid(2·sqrt(2/π)·(x + 0.044715·x³)).

    NOTE: Gelu is an ONNX op only from opset 20.
    """
    if layer.spec["approximate"] == "tanh":
        cube = layer.op("Mul", [x, layer.op("Mul", [x, x], "square")], "cube")
        inner = layer.op("Add", [x, layer.op("Mul", [cube, layer.const("c", 0.044715)], "cx3")], "inner")
        gate = layer.op("Sigmoid", [layer.op("Mul", [inner, layer.const("k", 1.5957691216057308)], "scaled")], "gate")
        return layer.op("Mul", [x, gate])
    erf = layer.op("Erf", [layer.op("Mul", [x, layer.const("rsqrt2", 1 / np.sqrt(2))], "u")], "erf")
    cdf = layer.op("Mul", [layer.op("Add", [erf, layer.const("one", 1)], "erf1"), layer.const("half", 0.5)], "cdf")
    return layer.op("Mul", [x, cdf])


def softplus(layer: OnnxLayer, x: str) -> str:
    """log(1 + exp(beta·x)) / beta, and x itself where beta·x > threshold."""
    beta = layer.const("beta", layer.spec["beta"])
    bx = layer.op("Mul", [x, beta], "bx")
    soft = layer.op("Div", [layer.op("Softplus", [bx], "soft"), beta], "scaled")
    linear_part = layer.op("Greater", [bx, layer.const("threshold", layer.spec["threshold"])], "linear")
    return layer.op("Where", [linear_part, x, soft])
