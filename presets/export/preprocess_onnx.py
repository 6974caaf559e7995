"""A table bundle's column plan as ONNX nodes: one graph input per feature column, named after it, shape
(N, 1), tensor(double) for a number column (a gap is NaN) and tensor(string) for a text column (a gap
is "" or any other missing marker) — the convention skl2onnx uses for a ColumnTransformer.

The nodes repeat presets.table.encode: the median where a number is NaN (and a was-missing 0/1 input),
text to a category index with ai.onnx.ml's LabelEncoder (unseen values to the last slot), then a
one-hot by comparing that index with 0..k. Their outputs are concatenated, (N, inputs) float64.
"""
from __future__ import annotations

import numpy as np

from presets.table.encode import MISSING_MARKERS
from presets.table.inputs import column_plan

ML_DOMAIN, ML_OPSET = "ai.onnx.ml", 2  # LabelEncoder with keys_strings / values_int64s
RESERVED = ("label", "probabilities", "prediction")  # the graph's outputs: no column may take their names


def _number(g, column: dict, x: str, prefix: str) -> list[str]:
    if column["fill"] is None:  # NOTE: a bundle saved before gaps were filled takes numbers as they are
        return [x]
    missing = g.op("IsNaN", [x], f"{prefix}.missing")
    fill = g.const(f"{prefix}.fill", np.array([[column["fill"]]], dtype=np.float64))
    filled = g.op("Where", [missing, fill, x], f"{prefix}.filled")
    if not column["indicator"]:
        return [filled]
    return [filled, g.op("Cast", [missing], f"{prefix}.was_missing", to=_double(g))]


def _category(g, column: dict, x: str, prefix: str) -> list[str]:
    categories = column["categories"]
    slot = {category: i for i, category in enumerate(categories)}
    unseen = len(categories)
    gap = slot.get("", unseen)  # NOTE: a gap is a category when training had gaps, else unseen
    keys = list(categories) + [marker for marker in MISSING_MARKERS if marker not in slot]
    values = [slot.get(key, gap) for key in keys]
    index = g.helper.make_node("LabelEncoder", [x], [f"{prefix}.index"], name=f"{prefix}.index", domain=ML_DOMAIN,
                               keys_strings=keys, values_int64s=values, default_int64=unseen)
    g.nodes.append(index)
    slots = g.const(f"{prefix}.slots", np.arange(unseen + 1, dtype=np.int64))
    onehot = g.op("Equal", [f"{prefix}.index", slots], f"{prefix}.onehot")
    return [g.op("Cast", [onehot], f"{prefix}.inputs", to=_double(g))]


def _double(g) -> int:
    return g.helper.np_dtype_to_tensor_dtype(np.dtype(np.float64))


def table_graph(g, spec: dict) -> tuple[list, str]:
    """The graph inputs (value infos, one per column) and the name of the encoded (N, inputs) float64."""
    plan = column_plan(spec)
    taken = [column["name"] for column in plan if column["name"] in RESERVED]
    if taken:
        raise ValueError(f"column {taken[0]!r}: the ONNX export names an output so; rename the column and "
                         "train again to export it")
    string = g.helper.np_dtype_to_tensor_dtype(np.dtype(object))
    inputs, parts = [], []
    for i, column in enumerate(plan):
        name, prefix = column["name"], f"column{i}"
        text = column["kind"] == "category"
        inputs.append(g.helper.make_tensor_value_info(name, string if text else _double(g), ["N", 1]))
        parts += (_category if text else _number)(g, column, name, prefix)
    encoded = g.op("Concat", parts, "encoded", axis=1) if len(parts) > 1 else parts[0]
    return inputs, encoded


def input_doc(spec: dict) -> str:
    """The graph's doc string for a table: each input and what a gap is."""
    kinds = ", ".join(f"{c['name']} ({'string' if c['kind'] == 'category' else 'double'})" for c in column_plan(spec))
    return (f"inputs, one per column, shape (N, 1): {kinds}; a gap is NaN in a double input, '' (or a "
            f"missing marker: {', '.join(repr(m) for m in MISSING_MARKERS[1:])}) in a string input; strings "
            "are compared as given (strip spaces first)")
