"""Raw table columns → the network's numeric inputs, by a fitted column plan (presets.table.columns).

NumPy only, on purpose: the NumPy and PyTorch exports copy these functions' source into their scripts
(presets.export.preprocess_source), so the ejected code does exactly what Bundle.predict does.
A plan entry is {"name", "kind": "number", "fill", "indicator"} (fill: the training median, for any
missing value; indicator: a was-missing 0/1 input follows, when the training rows had gaps) or
{"name", "kind": "category", "categories"} (one-hot over the categories, "" meaning missing, then one slot
for any value unseen in training).
"""
from __future__ import annotations

import numpy as np

MISSING_MARKERS = ("", "NA", "N/A", "NaN", "nan", "null", "None", "?", "-")  # a cell that means "no value"


def number_problem(values):
    """(row from 0, what is wrong) for the first value that is neither a finite number nor a gap, else
    (None, numbers): the values as float64, NaN where missing (None, NaN or a missing marker)."""
    values = np.asarray(values, dtype=object if not hasattr(values, "dtype") else None)
    if values.dtype.kind in "fiub":
        numbers = values.astype(np.float64, copy=False)  # NOTE: read only below and by every caller
    else:
        numbers = np.empty(len(values))
        for i, value in enumerate(values):
            text = value.strip() if isinstance(value, str) else value
            try:
                numbers[i] = np.nan if text is None or text in MISSING_MARKERS else float(text)
            except (TypeError, ValueError):
                return i, f"expected a number, got {value!r}"
    if np.isinf(numbers).any():
        row = int(np.argmax(np.isinf(numbers)))
        return row, f"expected a finite number, got {str(float(numbers[row]))!r}"
    return None, numbers


def number_cells(name, values):
    """A column's values as float64, NaN where missing; ValueError naming the column and the data row
    (counted from 1) of a value that is not a finite number."""
    row, found = number_problem(values)
    if row is not None:
        raise ValueError(f"column {name!r}, data row {row + 1}: {found}")
    return found


def text_cells(values):
    """A column's values as stripped strings, "" where missing (None, NaN or a missing marker)."""
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        if value is None or (isinstance(value, float) and value != value):
            out[i] = ""
        else:
            text = str(value).strip()
            out[i] = "" if text in MISSING_MARKERS else text
    return out


def encode_column(column, values):
    """One plan entry applied to its raw values: the (n, k) float64 inputs it becomes."""
    if column["kind"] == "number":
        numbers = number_cells(column["name"], values)
        missing = np.isnan(numbers)
        if column["fill"] is None and missing.any():  # NOTE: a bundle saved before gaps were filled
            row = int(np.argmax(missing))
            raise ValueError(f"column {column['name']!r}, data row {row + 1}: expected a number, got a gap")
        filled = np.where(missing, column["fill"], numbers) if missing.any() else numbers
        parts = [filled, missing.astype(np.float64)] if column["indicator"] else [filled]
        return np.column_stack(parts)
    codes = category_codes(column, values)
    onehot = np.zeros((len(codes), len(column["categories"]) + 1))
    onehot[np.arange(len(codes)), codes] = 1.0
    return onehot


def category_codes(column, values):
    """Each value's slot among a category column's categories; a value unseen in training: the last slot."""
    categories = column["categories"]
    slot = {category: i for i, category in enumerate(categories)}
    return np.fromiter((slot.get(text, len(categories)) for text in text_cells(values)), dtype=np.int64,
                       count=len(values))


def encode(plan, table):
    """The plan's columns of `table` (a mapping column name → values) side by side, (n, inputs) float64."""
    missing = [column["name"] for column in plan if column["name"] not in table]
    if missing:
        raise ValueError(f"missing feature column(s) {', '.join(map(repr, missing))}; the model was trained on "
                         f"{', '.join(column['name'] for column in plan)}")
    return np.hstack([encode_column(column, table[column["name"]]) for column in plan])
