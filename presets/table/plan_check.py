"""bundle.json's table section checked on the way in, as a preset is: a person may have edited it.

presets.bundle_schema calls `table_section` for every table bundle: the column plan (each column's kind,
fill, indicator and categories; distinct names; as many inputs as input_shape says) and the notes the
run recorded, or, for a bundle saved before plans existed, feature_names. Every refusal is a
PresetError naming the file, the key and what is allowed.
"""
from __future__ import annotations

import math
from typing import NoReturn

from presets.errors import PresetError
from presets.option import shown

NOTE_KEYS = ("column_notes", "rows_left_out", "table_notes", "delimiter")  # what the run said, kept as is


def _fail(where: str, key: str, allowed: str, value) -> NoReturn:
    raise PresetError(f"{where}: {key} must be {allowed}, got {shown(value)}")


def _number_column(where: str, key: str, column: dict) -> int:
    fill, indicator = column.get("fill"), column.get("indicator")
    if fill is not None and (isinstance(fill, bool) or not isinstance(fill, (int, float)) or not math.isfinite(fill)):
        _fail(where, f"{key}.fill", "a finite number or null", fill)
    if not isinstance(indicator, bool):
        _fail(where, f"{key}.indicator", "true or false", indicator)
    if indicator and fill is None:
        _fail(where, f"{key}.fill", "a number when indicator is true", fill)
    return 2 if indicator else 1


def _category_column(where: str, key: str, column: dict) -> int:
    categories = column.get("categories")
    if (not isinstance(categories, list) or not categories or not all(isinstance(c, str) for c in categories)
            or len(set(categories)) != len(categories)):
        _fail(where, f"{key}.categories", "a non-empty list of distinct strings", categories)
    return len(categories) + 1


def _plan(where: str, plan) -> tuple[list[dict], int]:
    """The checked plan and the number of inputs it makes."""
    if not isinstance(plan, list) or not plan:
        _fail(where, "columns", "a non-empty list of column tables", plan)
    width, names = 0, set()
    for i, column in enumerate(plan):
        key = f"columns[{i}]"
        if not isinstance(column, dict):
            _fail(where, key, "a table with name and kind", column)
        name = column.get("name")
        if not isinstance(name, str) or not name:
            _fail(where, f"{key}.name", "a non-empty string", name)
        if name in names:
            _fail(where, f"{key}.name", "a name no other column has", name)
        names.add(name)
        kinds = {"number": _number_column, "category": _category_column}
        if column.get("kind") not in kinds:
            _fail(where, f"{key}.kind", '"number" or "category"', column.get("kind"))
        width += kinds[column["kind"]](where, key, column)
    return plan, width


def table_section(where: str, raw: dict, shape: list) -> dict:
    """The plan and the notes, checked against input_shape; {} for a bundle without a plan."""
    if raw.get("columns") is None:
        return {}
    plan, width = _plan(where, raw["columns"])
    if shape != [width]:
        _fail(where, "input_shape", f"[{width}] (the inputs the columns make)", shape)
    names = [column["name"] for column in plan]
    if raw.get("feature_names") not in (None, names):
        _fail(where, "feature_names", f"the columns' names {names}", raw["feature_names"])
    notes = {key: raw.get(key) for key in NOTE_KEYS}
    if notes["column_notes"] is not None and not (isinstance(notes["column_notes"], list)
                                                  and all(isinstance(n, dict) for n in notes["column_notes"])):
        _fail(where, "column_notes", "a list of tables", notes["column_notes"])
    if notes["table_notes"] is not None and not (isinstance(notes["table_notes"], list)
                                                 and all(isinstance(n, str) for n in notes["table_notes"])):
        _fail(where, "table_notes", "a list of strings", notes["table_notes"])
    left_out = notes["rows_left_out"]
    if left_out is not None and (isinstance(left_out, bool) or not isinstance(left_out, int) or left_out < 0):
        _fail(where, "rows_left_out", "an integer >= 0", left_out)
    if notes["delimiter"] is not None and not isinstance(notes["delimiter"], str):
        _fail(where, "delimiter", "a string", notes["delimiter"])
    return {"columns": plan, "feature_names": names, **notes}
