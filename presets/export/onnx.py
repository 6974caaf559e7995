"""ONNX export: the trained network with the bundle's preprocessing, built node by node with onnx.helper.

Inputs are raw, as Bundle.predict takes them: table rows (float64, the training's feature order) or
float32 images (N, C, H, W) in 0..255 or 0..1. Outputs answer as Bundle.predict / predict_proba:
regression `prediction` in the target's units; classification `label` and `probabilities`.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import npnn
from npnn import Tensor, no_grad
from npnn._atomic import write_atomic
from npnn.ops.geometry import output_size
from npnn.nn._norm_pool import _adaptive_means  # NOTE: PyTorch's adaptive windows, stated once in npnn
from presets.bundle import Bundle
from presets.export import MissingExtra, check_running_stats, full_specs

OPSET = 17  # LayerNormalization; onnxruntime and onnx.reference both run it
INPUT = "input"


def _onnx():
    try:
        import onnx
    except ImportError:
        raise MissingExtra("ONNX export needs the onnx package: pip install 'npnn-tui[onnx]'") from None
    return onnx


class _Graph:
    """The nodes and initializers collected so far; `op` returns the name of the node's output."""

    def __init__(self, onnx) -> None:
        self.helper, self.numpy_helper = onnx.helper, onnx.numpy_helper
        self.nodes, self.initializers = [], []

    def const(self, name: str, array) -> str:
        self.initializers.append(self.numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type: str, inputs: list, output: str, **attributes) -> str:
        self.nodes.append(self.helper.make_node(op_type, inputs, [output], name=output, **attributes))
        return output


class _Layer:
    """model[i] being converted: its spec, the shape of one sample reaching it, and helpers that name
    every initializer and node after it (`3.weight`, `3.Linear`, `3.Linear.cube`, ...)."""

    def __init__(self, g: _Graph, i: int, spec: dict, shape: tuple, weights: dict) -> None:
        self.g, self.i, self.spec, self.shape, self.weights = g, i, spec, shape, weights
        self.out = f"{i}.{spec['type']}"

    def param(self, name: str, default=None) -> list:
        """The layer's parameter or buffer as an initializer ([] when it has none and no default)."""
        key = f"{self.i}.{name}"
        value = self.weights.get(key, default)
        return [] if value is None else [self.g.const(key, value)]

    def const(self, name: str, value, dtype=np.float32) -> str:
        return self.g.const(f"{self.out}.{name}", np.asarray(value, dtype=dtype))

    def op(self, op_type: str, inputs: list, step: str = "", **attributes) -> str:
        """A node; its output is the layer's output, or `<layer>.<step>` for an intermediate one."""
        return self.g.op(op_type, inputs, f"{self.out}.{step}" if step else self.out, **attributes)


def _stride(spec: dict) -> int:
    return spec["kernel_size"] if spec["stride"] is None else spec["stride"]  # NOTE: pooling's default


def _pool(spec: dict) -> dict:
    k, s, p = spec["kernel_size"], _stride(spec), spec["padding"]
    return {"kernel_shape": [k, k], "strides": [s, s], "pads": [p, p, p, p]}


def _avg_pool(layer: _Layer, x: str) -> str:
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


def _adaptive_avg_pool(layer: _Layer, x: str) -> str:
    """rows (oh, H) @ x @ columns (W, ow): each output the mean of its window."""
    size, (_, height, width) = layer.spec["output_size"], layer.shape
    rows = layer.const("rows", _adaptive_means(height, size, np.float32))
    columns = layer.const("columns", _adaptive_means(width, size, np.float32).T)
    return layer.op("MatMul", [layer.op("MatMul", [rows, x], "rows_mean"), columns])


def _gelu(layer: _Layer, x: str) -> str:
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


def _softplus(layer: _Layer, x: str) -> str:
    """log(1 + exp(beta·x)) / beta, and x itself where beta·x > threshold."""
    beta = layer.const("beta", layer.spec["beta"])
    bx = layer.op("Mul", [x, beta], "bx")
    soft = layer.op("Div", [layer.op("Softplus", [bx], "soft"), beta], "scaled")
    linear = layer.op("Greater", [bx, layer.const("threshold", layer.spec["threshold"])], "linear")
    return layer.op("Where", [linear, x, soft])


def _batch_norm(layer: _Layer, x: str) -> str:
    """Eval mode: the running statistics; without affine, scale 1 and shift 0."""
    spec = layer.spec
    check_running_stats(layer.i, spec, "ONNX")
    n = spec["num_features"]
    inputs = [x, *layer.param("weight", np.ones(n, dtype=np.float32)),
              *layer.param("bias", np.zeros(n, dtype=np.float32)), *layer.param("running_mean"),
              *layer.param("running_var")]
    return layer.op("BatchNormalization", inputs, epsilon=float(spec["eps"]))


def _layer_norm(layer: _Layer, x: str) -> str:
    scale = layer.param("weight", np.ones(layer.spec["normalized_shape"], dtype=np.float32))
    return layer.op("LayerNormalization", [x, *scale, *layer.param("bias")], axis=-1,
                    epsilon=float(layer.spec["eps"]))


def _conv(layer: _Layer, x: str) -> str:
    k, s, p = layer.spec["kernel_size"], layer.spec["stride"], layer.spec["padding"]
    return layer.op("Conv", [x, *layer.param("weight"), *layer.param("bias")], kernel_shape=[k, k],
                    strides=[s, s], pads=[p, p, p, p])


# Each registered layer type: the nodes that apply it to `x`, returning the name of its output.
_CONVERT = {
    "Linear": lambda layer, x: layer.op("Gemm", [x, *layer.param("weight"), *layer.param("bias")], transB=1),
    "Conv2d": _conv,
    "MaxPool2d": lambda layer, x: layer.op("MaxPool", [x], **_pool(layer.spec)),
    "AvgPool2d": _avg_pool,
    "AdaptiveAvgPool2d": _adaptive_avg_pool,
    "BatchNorm1d": _batch_norm,
    "BatchNorm2d": _batch_norm,
    "LayerNorm": _layer_norm,
    "Flatten": lambda layer, x: layer.op("Flatten", [x], axis=1),
    "Identity": lambda layer, x: x,
    "Dropout": lambda layer, x: x,  # nothing to do when predicting
    "ReLU": lambda layer, x: layer.op("Relu", [x]),
    "Sigmoid": lambda layer, x: layer.op("Sigmoid", [x]),
    "Tanh": lambda layer, x: layer.op("Tanh", [x]),
    "LeakyReLU": lambda layer, x: layer.op("LeakyRelu", [x], alpha=float(layer.spec["negative_slope"])),
    "ELU": lambda layer, x: layer.op("Elu", [x], alpha=float(layer.spec["alpha"])),
    "SiLU": lambda layer, x: layer.op("Mul", [x, layer.op("Sigmoid", [x], "sigmoid")]),
    "GELU": _gelu,
    "Softplus": _softplus,
}


def _shapes(bundle: Bundle) -> list[tuple]:
    """The shape of one sample reaching each layer, and of the output last (a zero sample run through)."""
    x, shapes = Tensor(np.zeros((1, *bundle.input_shape), dtype=np.float32)), []
    with no_grad():
        for layer in bundle.model.children():
            shapes.append(tuple(x.shape[1:]))
            x = layer(x)
    return [*shapes, tuple(x.shape[1:])]


def _preprocess(g: _Graph, bundle: Bundle) -> str:
    """Raw input to the network's float32 input: Bundle._table's standardisation or as_images' scaling."""
    if bundle.is_image:  # NOTE: as_images divides by 255 when any pixel of the batch exceeds 1
        big = g.op("Greater", [g.op("ReduceMax", [INPUT], "pixels.max", keepdims=0),
                               g.const("pixels.one", np.float32(1))], "pixels.big")
        divisor = g.op("Where", [big, g.const("pixels.255", np.float32(255)), "pixels.one"], "pixels.divisor")
        return g.op("Div", [INPUT, divisor], "pixels")
    x = INPUT
    if bundle.spec.get("feature_mean") is not None:
        centred = g.op("Sub", [x, g.const("feature_mean", np.asarray(bundle.spec["feature_mean"], np.float64))],
                       "centred")
        x = g.op("Div", [centred, g.const("feature_std", np.asarray(bundle.spec["feature_std"], np.float64))],
                 "standardised")
    return g.op("Cast", [x], "features", to=g.helper.np_dtype_to_tensor_dtype(np.dtype(np.float32)))


def _postprocess(g: _Graph, bundle: Bundle, outputs: str, targets: int) -> list:
    """The answers and their value infos: Bundle.predict's (and predict_proba's) in float64."""
    make, double = g.helper.make_tensor_value_info, g.helper.np_dtype_to_tensor_dtype(np.dtype(np.float64))
    y = g.op("Cast", [outputs], "outputs.double", to=double)
    if bundle.task == "classification":
        names = np.asarray(bundle.class_names)
        names = names.astype(object) if names.dtype.kind == "U" else names  # NOTE: numpy_helper's string form
        index = g.op("ArgMax", [outputs], "label.index", axis=1, keepdims=0)
        g.op("Gather", [g.const("class_names", names), index], "label", axis=0)
        g.op("Softmax", [y], "probabilities", axis=1)
        kind = g.helper.np_dtype_to_tensor_dtype(np.dtype(str) if names.dtype == object else names.dtype)
        return [make("label", kind, ["N"]), make("probabilities", double, ["N", len(names)])]
    if bundle.spec.get("target_mean") is not None:
        scaled = g.op("Mul", [y, g.const("target_std", np.asarray(bundle.spec["target_std"], np.float64))],
                      "outputs.scaled")
        y = g.op("Add", [scaled, g.const("target_mean", np.asarray(bundle.spec["target_mean"], np.float64))],
                 "outputs.target")
    if targets == 1:  # NOTE: one target answers (N,), as Bundle.predict does
        g.op("Squeeze", [y, g.const("target_axis", np.array([1], dtype=np.int64))], "prediction")
        return [make("prediction", double, ["N"])]
    g.op("Identity", [y], "prediction")
    return [make("prediction", double, ["N", targets])]


def onnx_model(bundle: Bundle):
    """The bundle as an onnx.ModelProto (checked by onnx.checker)."""
    onnx = _onnx()
    g = _Graph(onnx)
    weights = bundle.model.state_dict()
    shapes = _shapes(bundle)
    x = _preprocess(g, bundle)
    for i, (spec, shape) in enumerate(zip(full_specs(bundle.spec["model"]), shapes)):
        if spec["type"] not in _CONVERT:
            raise ValueError(f"model[{i}] ({spec['type']}): the ONNX export does not support this layer; it "
                             f"supports {', '.join(_CONVERT)}")
        x = _CONVERT[spec["type"]](_Layer(g, i, spec, shape, weights), x)
    outputs = _postprocess(g, bundle, x, shapes[-1][0])
    dtype = np.float32 if bundle.is_image else np.float64
    inputs = [g.helper.make_tensor_value_info(INPUT, g.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)),
                                              ["N", *bundle.input_shape])]
    graph = g.helper.make_graph(g.nodes, bundle.run_dir.name, inputs, outputs, g.initializers,
                                doc_string=_input_doc(bundle))
    model = g.helper.make_model(graph, opset_imports=[g.helper.make_opsetid("", OPSET)],
                                producer_name="npnn-tui", producer_version=npnn.__version__)
    onnx.helper.set_model_props(model, {key: json.dumps(bundle.spec.get(key)) for key in
                                        ("task", "feature_names", "target_name", "class_names")})
    onnx.checker.check_model(model, full_check=True)
    return model


def _input_doc(bundle: Bundle) -> str:
    if bundle.is_image:
        return (f"input: float32 images (N, {', '.join(map(str, bundle.input_shape))}), pixels 0..255 or 0..1 "
                "(divided by 255 when any pixel of the batch exceeds 1)")
    return f"input: float64 rows of the raw features {', '.join(bundle.feature_names)}"


def export_onnx(bundle: Bundle, path) -> Path:
    """Write the bundle as an ONNX model to `path`; returns the path written."""
    model = onnx_model(bundle)
    path = Path(path)
    try:
        write_atomic(path, model.SerializeToString())
    except OSError as error:
        raise OSError(error.errno, f"cannot write the ONNX model ({error.strerror or error})", str(path)) from None
    return path
