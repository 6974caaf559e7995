"""ONNX export: the trained network with the bundle's preprocessing, built node by node with onnx.helper.

Inputs are raw, as Bundle.predict takes them: one (N, 1) input per table column, double or string
(presets.export.preprocess_onnx), or float32 images (N, C, H, W) in 0..255 or 0..1. Outputs answer as
Bundle.predict / predict_proba: regression `prediction` in the target's units;
classification `label` and `probabilities`. A sequence run's network takes token ids `input` (N, T) int64
and gives `logits` (N, T, len(vocab)); generation is left to the caller (the graph's doc string says how).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import npnn
from npnn import Tensor, no_grad
from npnn._atomic import write_atomic
from presets.bundle import Bundle
from presets.catalog import LAYERS
from presets.errors import OutputError
from presets.export import MissingExtra
from presets.export.onnx_layers import OnnxLayer
from presets.export.preprocess_onnx import ML_DOMAIN, ML_OPSET, input_doc, table_graph
from presets.export.targets import check_targets

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
        self.nodes: list = []
        self.initializers: list = []

    def const(self, name: str, array) -> str:
        self.initializers.append(self.numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type: str, inputs: list, output: str, **attributes) -> str:
        self.nodes.append(self.helper.make_node(op_type, inputs, [output], name=output, **attributes))
        return output


def _shapes(bundle: Bundle) -> list[tuple]:
    """The shape of one sample reaching each layer, and of the output last (a zero sample run through)."""
    dtype = np.int64 if bundle.is_sequence else np.float32
    x, shapes = Tensor(np.zeros((1, *bundle.input_shape), dtype=dtype)), []
    with no_grad():
        for layer in bundle.model.children():
            shapes.append(tuple(x.shape[1:]))
            x = layer(x)
    return [*shapes, tuple(x.shape[1:])]


def _preprocess(g: _Graph, bundle: Bundle, encoded: str) -> str:
    """Raw input to the network's float32 input: the table's encoded columns standardised as Bundle._table
    does, or images scaled as as_images does."""
    if bundle.is_image:  # NOTE: as_images divides by 255 when any pixel of the batch exceeds 1
        big = g.op("Greater", [g.op("ReduceMax", [INPUT], "pixels.max", keepdims=0),
                               g.const("pixels.one", np.float32(1))], "pixels.big")
        divisor = g.op("Where", [big, g.const("pixels.255", np.float32(255)), "pixels.one"], "pixels.divisor")
        return g.op("Div", [INPUT, divisor], "pixels")
    x = encoded
    if bundle.spec.get("feature_mean") is not None:
        centred = g.op("Sub", [x, g.const("feature_mean", np.asarray(bundle.spec["feature_mean"], np.float64))],
                       "centred")
        x = g.op("Div", [centred, g.const("feature_std", np.asarray(bundle.spec["feature_std"], np.float64))],
                 "standardised")
    return g.op("Cast", [x], "features", to=g.helper.np_dtype_to_tensor_dtype(np.dtype(np.float32)))


def _postprocess(g: _Graph, bundle: Bundle, outputs: str, targets: int) -> list:
    """The answers and their value infos: Bundle.predict's (and predict_proba's) in float64."""
    make, double = g.helper.make_tensor_value_info, g.helper.np_dtype_to_tensor_dtype(np.dtype(np.float64))
    if bundle.is_sequence:
        g.op("Identity", [outputs], "logits")
        return [make("logits", g.helper.np_dtype_to_tensor_dtype(np.dtype(np.float32)), ["N", "T", len(bundle.vocab)])]
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
    """The bundle as an onnx.ModelProto (checked by onnx.checker); each layer is its catalog entry's ONNX
    translation (presets.export.onnx_layers)."""
    onnx = _onnx()
    g = _Graph(onnx)
    weights = bundle.model.state_dict()
    shapes = _shapes(bundle)
    inputs, encoded = ([], INPUT) if bundle.is_image or bundle.is_sequence else table_graph(g, bundle.spec)
    x = INPUT if bundle.is_sequence else _preprocess(g, bundle, encoded)
    for i, (spec, shape) in enumerate(zip(bundle.spec["model"], shapes)):
        entry = LAYERS[spec["type"]]
        x = entry.to_onnx(OnnxLayer(g, i, entry.full_spec(spec), shape, weights), x)
    outputs = _postprocess(g, bundle, x, shapes[-1][0])
    if bundle.is_image:
        inputs = [g.helper.make_tensor_value_info(INPUT, g.helper.np_dtype_to_tensor_dtype(np.dtype(np.float32)),
                                                  ["N", *bundle.input_shape])]
    elif bundle.is_sequence:
        inputs = [g.helper.make_tensor_value_info(INPUT, g.helper.np_dtype_to_tensor_dtype(np.dtype(np.int64)),
                                                  ["N", "T"])]
    graph = g.helper.make_graph(g.nodes, bundle.run_dir.name, inputs, outputs, g.initializers,
                                doc_string=_input_doc(bundle))
    model = g.helper.make_model(graph, opset_imports=[g.helper.make_opsetid("", OPSET),
                                                      g.helper.make_opsetid(ML_DOMAIN, ML_OPSET)],
                                producer_name="npnn-tui", producer_version=npnn.__version__)
    onnx.helper.set_model_props(model, {key: json.dumps(bundle.spec.get(key)) for key in
                                        ("task", "feature_names", "target_name", "class_names", "vocab",
                                         "prompt_length")})
    onnx.checker.check_model(model, full_check=True)
    return model


def _input_doc(bundle: Bundle) -> str:
    if bundle.is_sequence:
        return (f"input: token ids (N, T) int64, 1 <= T <= {bundle.input_shape[0]}, token i the character vocab[i] "
                f"of {bundle.vocab!r}; logits (N, T, {len(bundle.vocab)}): at each position, the scores of the next "
                "character. Generation is left to the caller: greedily, append the argmax of logits[:, -1] and run "
                f"again on the last {bundle.input_shape[0]} ids (npnn-tui predict's answers); to sample, draw from "
                "softmax(logits[:, -1] / temperature)")
    if bundle.is_image:
        return (f"input: float32 images (N, {', '.join(map(str, bundle.input_shape))}), pixels 0..255 or 0..1 "
                "(divided by 255 when any pixel of the batch exceeds 1)")
    return input_doc(bundle.spec)


def export_onnx(bundle: Bundle, path, force: bool = False) -> Path:
    """Write the bundle as an ONNX model to `path`; returns the path written. A file already there is replaced
    only with `force`, and only a regular file outside the run (else OutputError, nothing written)."""
    path = Path(path)
    if check_targets([path], bundle.run_dir) and not force:
        raise OutputError(f"{path}: already exists; pass --force to replace it")
    model = onnx_model(bundle)
    try:
        write_atomic(path, model.SerializeToString())
    except OSError as error:
        raise OSError(error.errno, f"cannot write the ONNX model ({error.strerror or error})", str(path)) from None
    return path
