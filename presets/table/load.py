"""A table file as training data: the target column checked, rows whose target is missing left out (and
counted), the feature columns chosen; the rows stay raw until the training split is known, when the
column plan is fitted on it (presets.table.columns) and every split is encoded (presets.table.encode).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from presets.errors import DataError
from presets.table.columns import ColumnPlan, choose_features, describe, fit_columns
from presets.table.encode import encode
from presets.table.read import Table, read_table


@dataclass
class RawTable:
    """The rows kept (those with a target), their target values, and the chosen feature columns."""
    table: Table
    target: str
    features: list[str]
    labels: np.ndarray          # the target: float64 for a number column, text otherwise
    rows: np.ndarray            # the file's data rows kept, as indices into table's columns
    left_out: int               # rows left out because their target is missing

    def notes(self) -> list[str]:
        lines = list(self.table.notes)
        if self.left_out:
            lines.append(f"{self.left_out:,} row(s) with no {self.target!r} left out")
        unchosen = [name for name in self.table.names if name != self.target and name not in self.features]
        if unchosen:
            lines.append(f"left out by data.columns / data.drop: {', '.join(unchosen)}")
        return lines


def _check_target(table: Table, target: str | None) -> None:
    names = ", ".join(table.names)
    if not target:
        raise DataError(f"{table.path}: say which column to predict with --target; columns: {names}")
    if target not in table.columns:
        raise DataError(f"{table.path}: no column {target!r}; columns: {names}")


def read_training_table(path, target: str | None, columns: tuple | None = None, drop: tuple | None = None) -> RawTable:
    """The table at `path` read for training on `target`; DataError naming what does not fit."""
    table = read_table(path)
    _check_target(table, target)
    features = choose_features(table, target, columns, drop)
    values = table.columns[target]
    missing = values == "" if table.is_text(target) else np.isnan(values)
    rows = np.flatnonzero(~missing)
    if not rows.size:
        raise DataError(f"{table.path}: the target column {target!r} has no value in any row")
    return RawTable(table, target, features, values[rows], rows, int(missing.sum()))


def encode_splits(raw: RawTable, train: np.ndarray, others: list[np.ndarray],
                  max_categories: int) -> tuple[list[np.ndarray], ColumnPlan]:
    """The plan fitted on the training rows (`train`: positions among raw.rows), and every split encoded."""
    table = raw.table
    plan = fit_columns(table, raw.features, raw.rows[train], max_categories)
    encoded = []
    for part in (train, *others):
        picked = raw.rows[part]
        try:
            encoded.append(encode(plan.columns, {c["name"]: table.columns[c["name"]][picked] for c in plan.columns}))
        except ValueError as error:
            raise DataError(f"{table.path}: {error}") from None
    return encoded, plan


def column_report(raw: RawTable, plan: ColumnPlan) -> dict:
    """What the run did with the table, for bundle.json, metrics.json and the notes shown."""
    return {"columns": plan.columns, "column_notes": plan.notes, "rows_left_out": raw.left_out,
            "table_notes": raw.notes(), "delimiter": raw.table.delimiter}


def note_lines(report: dict) -> list[str]:
    """The per-column lines the headless output and the app's data note show."""
    return [*report.get("table_notes", []), *describe(report.get("column_notes", []))]
