"""A table file as training data: the target column checked, rows whose target is missing left out (and
counted), the feature columns chosen; the rows stay raw until the training split is known, when the
column plan is fitted on it (presets.table.columns) and every split is encoded (presets.table.encode).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from presets.errors import DataError
from presets.table.columns import ColumnPlan, choose_features, describe, fit_columns
from presets.table.encode import encode_column
from presets.table.scale import standardise
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


def encode_splits(raw: RawTable, train: np.ndarray, others: list[np.ndarray], max_categories: int,
                  standardize: bool) -> tuple[list[np.ndarray], ColumnPlan, dict | None]:
    """The plan fitted on the training rows (`train`: positions among raw.rows); every split encoded as
    float32, standardised with the training statistics when asked (and those statistics, else None).

    NOTE: column by column into preallocated float32 arrays: a float64 matrix of every split's
    one-hot inputs would be several times the file's size.
    """
    table = raw.table
    plan = fit_columns(table, raw.features, raw.rows[train], max_categories)
    parts = [raw.rows[part] for part in (train, *others)]
    out = [np.empty((len(rows), plan.width), dtype=np.float32) for rows in parts]
    means, stds, at = [], [], 0
    for column in plan.columns:
        try:
            encoded = [encode_column(column, table.columns[column["name"]][rows]) for rows in parts]
        except ValueError as error:
            raise DataError(f"{table.path}: {error}") from None
        if standardize:
            encoded, stats = standardise(*encoded)
            means += stats["mean"]
            stds += stats["std"]
        width = encoded[0].shape[1]
        for target, values in zip(out, encoded):
            target[:, at:at + width] = values
        at += width
    return out, plan, {"mean": means, "std": stds} if standardize else None


def column_report(raw: RawTable, plan: ColumnPlan) -> dict:
    """What the run did with the table, for bundle.json, metrics.json and the notes shown."""
    return {"columns": plan.columns, "column_notes": plan.notes, "rows_left_out": raw.left_out,
            "table_notes": raw.notes(), "delimiter": raw.table.delimiter}


def note_lines(report: dict) -> list[str]:
    """The per-column lines the headless output and the app's data note show."""
    return [*report.get("table_notes", []), *describe(report.get("column_notes", []))]
