"""A table file as training data: the target column checked, rows whose target is missing left out (and
counted), the feature columns chosen; the rows stay raw until the training split is known, when the
column plan is fitted on it (presets.table.columns) and every split is encoded (presets.table.encode).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from presets.errors import DataError
from presets.table.columns import ColumnPlan, choose_features, column_width, fit_columns
from presets.table.encode import category_codes, encode_column
from presets.table.read import Table, read_table
from presets.table.scale import standardise


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


def _check_target(table: Table, target: str | None) -> str:
    """`target`, once it names a column of `table`."""
    names = ", ".join(table.names)
    if not target:
        raise DataError(f"{table.path}: say which column to predict with --target; columns: {names}")
    if target not in table.columns:
        raise DataError(f"{table.path}: no column {target!r}; columns: {names}")
    return target


def read_training_table(path, target: str | None, columns: tuple | None = None, drop: tuple | None = None) -> RawTable:
    """The table at `path` read for training on `target`; DataError naming what does not fit."""
    table = read_table(path)
    target = _check_target(table, target)
    features = choose_features(table, target, columns, drop)
    values = table.columns[target]
    missing = values == "" if table.is_text(target) else np.isnan(values)
    rows = np.flatnonzero(~missing)
    if not rows.size:
        raise DataError(f"{table.path}: the target column {target!r} has no value in any row")
    return RawTable(table, target, features, values[rows], rows, int(missing.sum()))


def _onehot_blocks(column: dict, values: np.ndarray, parts: list[np.ndarray], blocks: list[np.ndarray],
                   standardize: bool) -> dict:
    """Write a category column's one-hot rows for each split into its block (float32, one column per slot),
    standardised by the training rows' share of each slot; the statistics. One split at a time.

    NOTE: for 0/1 inputs the mean is the share p and the std sqrt(p(1-p)); computing them from counts
    spares an (n, slots) float64 matrix per split, several times the file's size for a wide column.
    """
    width = blocks[0].shape[1]
    codes = category_codes(column, values[parts[0]])
    share = np.bincount(codes, minlength=width) / len(codes)
    std = np.sqrt(share * (1 - share)) if standardize else np.ones(width)
    std = np.where(std > 0, std, 1.0)
    mean = share if standardize else np.zeros(width)
    off, on = (-mean / std).astype(np.float32), ((1 - mean) / std).astype(np.float32)
    for n, (rows, block) in enumerate(zip(parts, blocks)):
        codes = codes if n == 0 else category_codes(column, values[rows])
        block[:] = off
        block[np.arange(len(codes)), codes] = on[codes]
    return {"mean": mean.tolist(), "std": std.tolist()}


def _number_blocks(column: dict, values: np.ndarray, parts: list[np.ndarray], blocks: list[np.ndarray],
                   standardize: bool) -> dict:
    """Write a number column's inputs for each split into its block, standardised with the training split's
    statistics (returned; {} when not standardising). One split at a time: fewer large temporaries."""
    stats: dict = {}
    for rows, block in zip(parts, blocks):
        encoded = encode_column(column, values[rows])
        if standardize and not stats:
            (encoded,), stats = standardise(encoded)
        elif standardize:
            encoded = (encoded - stats["mean"]) / stats["std"]  # NOTE: as predict applies them
        with np.errstate(over="ignore"):  # NOTE: beyond float32 becomes inf, refused by name later
            block[:] = encoded
    return stats


def encode_splits(raw: RawTable, train: np.ndarray, others: list[np.ndarray], max_categories: int,
                  standardize: bool) -> tuple[list[np.ndarray], ColumnPlan, dict | None]:
    """The plan fitted on the training rows (`train`: positions among raw.rows); every split encoded as
    float32, standardised with the training statistics when asked (and those statistics, else None).

    NOTE: column by column into preallocated column-major float32 arrays, each raw column let go once
    encoded (the run needs only the encoded splits): writing a column touches only that column's pages, so
    peak memory stays near the file's size plus the result (row-major arrays were wholly touched by their
    first column, beside the whole raw table). Batches drawn by index come out row-major.
    """
    table = raw.table
    plan = fit_columns(table, raw.features, raw.rows[train], max_categories)
    parts = [raw.rows[part] for part in (train, *others)]
    out = [np.empty((len(rows), plan.width), dtype=np.float32, order="F") for rows in parts]
    starts = np.cumsum([0] + [column_width(column) for column in plan.columns])
    stats: dict[int, dict] = {}
    for i, column in enumerate(plan.columns):
        values = table.columns.pop(column["name"])
        blocks = [split[:, starts[i]:starts[i + 1]] for split in out]
        try:
            if column["kind"] == "category":
                stats[i] = _onehot_blocks(column, values, parts, blocks, standardize)
            else:
                stats[i] = _number_blocks(column, values, parts, blocks, standardize)
        except ValueError as error:
            raise DataError(f"{table.path}: {error}") from None
    if not standardize:
        return out, plan, None
    return out, plan, {key: [value for i in range(len(plan.columns)) for value in stats[i][key]]
                       for key in ("mean", "std")}


def column_report(raw: RawTable, plan: ColumnPlan) -> dict:
    """What the run did with the table, for bundle.json, metrics.json and the notes shown."""
    return {"columns": plan.columns, "column_notes": plan.notes, "rows_left_out": raw.left_out,
            "table_notes": raw.notes(), "delimiter": raw.table.delimiter}
