"""Raw rows given to a bundle (Bundle.predict, `npnn-tui predict`) as the network's numeric inputs.

Accepted: a mapping of column name → values (a dict of lists, a pandas DataFrame; extra columns are
ignored, order does not matter), a list of row dicts, or rows of values in the order of the bundle's
feature_names. Text and gaps are welcome where the plan takes them.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from presets.errors import DataError
from presets.table.columns import column_width
from presets.table.encode import encode, number_problem


def column_plan(spec: dict) -> list[dict]:
    """The bundle's column plan; a bundle saved before plans existed took its features as plain numbers."""
    if spec.get("columns"):
        return spec["columns"]
    return [{"name": name, "kind": "number", "fill": None, "indicator": False} for name in spec["feature_names"]]


def column_names(spec: dict) -> list[str]:
    """The raw columns a bundle needs, in its order."""
    return [column["name"] for column in column_plan(spec)]


def _columns(names: list[str], X) -> Mapping:
    """X as a mapping of column name → values."""
    if hasattr(X, "keys"):
        return X
    if isinstance(X, (list, tuple)) and X and all(isinstance(row, Mapping) for row in X):
        missing = [name for name in names if any(name not in row for row in X)]
        if missing:
            raise ValueError(f"missing feature column(s) {', '.join(map(repr, missing))}; the model was trained "
                             f"on {', '.join(names)}")
        return {name: [row[name] for row in X] for name in names}
    rows = np.asarray(X) if hasattr(X, "dtype") else np.asarray(X, dtype=object)
    if rows.ndim == 1:
        rows = rows.reshape(1, -1)
    if rows.ndim != 2 or rows.shape[1] != len(names):
        raise ValueError(f"expected rows of {len(names)} features ({', '.join(names)}), got shape {rows.shape}")
    return {name: rows[:, j] for j, name in enumerate(names)}


class CellError(DataError):
    """A value in one row of a table the model cannot take; `row` (from 0) and `column` say where, so a
    reader of a file can name its line."""

    def __init__(self, row: int, column: str, problem: str) -> None:
        super().__init__(f"row {row}, column {column!r}: {problem}")
        self.row, self.column, self.problem = row, column, problem


def encoded_names(spec: dict) -> list[str]:
    """The raw column each of the network's inputs comes from (a one-hot column gives several)."""
    names = []
    for column in column_plan(spec):
        names += [column["name"]] * column_width(column)
    return names


def table_inputs(spec: dict, X) -> np.ndarray:
    """The encoded (n, inputs) float64 rows for raw X, before standardisation; CellError naming the row
    and column of a value a number column cannot take, ValueError for a missing column or a bad shape."""
    plan, columns = column_plan(spec), _columns(column_names(spec), X)
    for column in plan:
        if column["kind"] == "number" and column["name"] in columns:
            row, problem = number_problem(columns[column["name"]])
            if row is not None:
                raise CellError(row, column["name"], problem)
    return encode(plan, columns)
