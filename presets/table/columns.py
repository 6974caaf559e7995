"""Which columns a table run uses and how, decided from the training rows alone (no peeking at
validation or test rows), as scikit-learn's ColumnTransformer and fastai's tabular procs do.

Numbers: missing values filled with the training median plus a was-missing indicator (fastai's
FillMissing). Text with at most `max_categories` distinct training values: categories, one-hot with
an "unseen" slot ("" — a missing value — is a category of its own). Left out, each with its reason:
text with more distinct values (names, ids), dates, constants, columns with no value in training.
The plan is plain data (bundle.json); presets.table.encode applies it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from presets.errors import DataError
from presets.table.read import Table

MAX_CATEGORIES = 50  # distinct text values a column may hold to become categories (data.max_categories)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$|^\d{1,2}/\d{1,2}/\d{2,4}$")
_SHOWN = 8  # categories named in a note


def column_width(column: dict) -> int:
    """How many inputs one plan entry makes: a number (and its was-missing indicator), or a one-hot with an
    unseen slot."""
    if column["kind"] == "number":
        return 2 if column["indicator"] else 1
    return len(column["categories"]) + 1


@dataclass
class ColumnPlan:
    """The fitted plan (used columns, in file order) and the notes: one per column, used or not."""
    columns: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)

    @property
    def width(self) -> int:
        """How many numeric inputs the plan makes (the network's in_features)."""
        return sum(column_width(column) for column in self.columns)

    def dropped(self) -> list[dict]:
        return [note for note in self.notes if note["kind"] == "left out"]


def choose_features(table: Table, target: str, columns: tuple | None, drop: tuple | None) -> list[str]:
    """The feature columns: `columns` (data.columns) or every column but the target, less `drop`;
    a name that is not in the file is refused by name."""
    names = table.names
    for key, given in (("data.columns (--columns)", columns), ("data.drop (--drop)", drop)):
        unknown = [name for name in given or () if name not in names]
        if unknown:
            raise DataError(f"{table.path}: {key} names {', '.join(map(repr, unknown))}, not a column of the "
                            f"file; columns: {', '.join(names)}")
    if columns and target in columns:
        raise DataError(f"{table.path}: data.columns names the target {target!r}; a model cannot take the "
                        "column it predicts as an input")
    chosen = [name for name in names if name != target and (not columns or name in columns)]
    chosen = [name for name in chosen if name not in (drop or ())]
    if not chosen:
        hint = " (data.columns / data.drop leave none)" if columns or drop else ""
        raise DataError(f"{table.path}: needs at least one feature column besides the target {target!r}{hint}")
    return chosen


def _is_date(values: np.ndarray) -> bool:
    present = [v for v in values[:200] if v]
    return bool(present) and all(_DATE.match(v) for v in present)


def _number(name: str, values: np.ndarray) -> tuple[dict | None, dict]:
    missing = int(np.isnan(values).sum())
    present = values[~np.isnan(values)]
    if not present.size:
        return None, {"name": name, "kind": "left out", "why": "no value in the training rows"}
    if missing == 0 and np.all(present == present[0]):
        return None, {"name": name, "kind": "left out", "why": f"the same value ({present[0]:g}) in every training row"}
    # NOTE: the median is kept for every number column: a gap met only when predicting is filled with it
    fill = float(np.median(present))
    note = {"name": name, "kind": "number", "missing": missing, "why": "standardised"}
    if missing:
        note.update(filled=fill, why=f"standardised; {missing} missing filled with the median {fill:g}, "
                                     "plus a was-missing input")
    return {"name": name, "kind": "number", "fill": fill, "indicator": bool(missing)}, note


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _category(name: str, values: np.ndarray, max_categories: int) -> tuple[dict | None, dict]:
    categories, counts = np.unique(values, return_counts=True)
    missing = int(counts[categories == ""].sum())
    present = [str(c) for c in categories if c]
    words = [c for c in present if not _is_number(c)]
    mixed = f"numbers mixed with text (like {words[0]!r})" if len(words) < len(present) / 2 else ""
    if _is_date(values):
        return None, {"name": name, "kind": "left out",
                      "why": f"dates (like {present[0]!r}): npnn does not split dates into parts; add "
                             "year/month/day columns to use them"}
    if len(categories) > max_categories:
        why = (f"{mixed}: blank or fix those cells to use it as numbers" if mixed else
               f"{len(categories)} distinct text values in the training rows (more than {max_categories}: "
               "names or ids?; raise data.max_categories to keep it)")
        return None, {"name": name, "kind": "left out", "why": why}
    if len(categories) == 1:
        shown = repr(categories[0]) if categories[0] else "missing"
        return None, {"name": name, "kind": "left out", "why": f"the same value ({shown}) in every training row"}
    names = [str(c) for c in categories]
    shown = ", ".join(c or "(missing)" for c in names[:_SHOWN]) + (", ..." if len(names) > _SHOWN else "")
    note = {"name": name, "kind": "category", "categories": len(names), "missing": missing,
            "why": f"{len(names)} categories ({shown}) one-hot, plus an unseen slot" + (f"; {mixed}" if mixed else "")}
    return {"name": name, "kind": "category", "categories": names}, note


def decide(table: Table, name: str, rows: np.ndarray, max_categories: int = MAX_CATEGORIES) -> tuple[dict | None, dict]:
    """One column's plan entry (None when it is left out) and its note, from its values in `rows`."""
    values = table.columns[name][rows]
    return _category(name, values, max_categories) if table.is_text(name) else _number(name, values)


def fit_columns(table: Table, features: list[str], train_rows: np.ndarray,
                max_categories: int = MAX_CATEGORIES) -> ColumnPlan:
    """The plan for `features`, from the values in `train_rows` only."""
    plan = ColumnPlan()
    for name in features:
        column, note = decide(table, name, train_rows, max_categories)
        if column is not None:
            plan.columns.append(column)
        plan.notes.append(note)
    if not plan.columns:
        reasons = "; ".join(f"{n['name']}: {n['why']}" for n in plan.notes)
        raise DataError(f"{table.path}: every feature column is left out ({reasons})")
    return plan


def describe(notes: list[dict]) -> list[str]:
    """One line per column for the headless output and the app's data note."""
    lines = []
    for note in notes:
        why = note.get("why", "")
        text = f"{note['name']}: {note['kind']}" + (f" — {why}" if why else "")
        lines.append(text)
    return lines


TARGET_NAMES = ("target", "label", "class", "y")  # a column so named is the default target


def default_target(names: list[str]) -> tuple[str, str]:
    """The column to predict when none was chosen, and why: one called target/label/class/y, else the last."""
    lowered = {name.lower(): name for name in names}
    for wanted in TARGET_NAMES:
        if wanted in lowered:
            return lowered[wanted], f"a column called {wanted}"
    return names[-1], "the last column"


def preview(table: Table, target: str, max_categories: int = MAX_CATEGORIES) -> dict[str, dict]:
    """Column name → its note as training would decide it, judged on the rows given (a preview)."""
    rows = np.arange(len(table))
    return {name: decide(table, name, rows, max_categories)[1] for name in table.names if name != target}
