"""bundle.json's table section checked on the way in, as a preset is: a person may have edited it.

`check_table_section(spec, where)` raises ValueError naming the key, what it holds and what is allowed,
before a wrong type could surface as a KeyError or TypeError inside predict or an export. The bundle
validator (presets.bundle) calls it for every table bundle.
"""
from __future__ import annotations

import math

from presets.table.inputs import column_plan


def _fail(where: str, key: str, allowed: str, value) -> ValueError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return ValueError(f"{where}: {key} must be {allowed}, got {shown}")


def _check_column(where: str, i: int, column) -> None:
    key = f"columns[{i}]"
    if not isinstance(column, dict):
        raise _fail(where, key, "a table with name and kind", column)
    name = column.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(where, f"{key}.name", "a non-empty string", name)
    kind = column.get("kind")
    if kind == "number":
        fill = column.get("fill")
        if fill is not None and (isinstance(fill, bool) or not isinstance(fill, (int, float)) or not math.isfinite(fill)):
            raise _fail(where, f"{key}.fill", "a finite number or null", fill)
        if not isinstance(column.get("indicator"), bool):
            raise _fail(where, f"{key}.indicator", "true or false", column.get("indicator"))
        if column["indicator"] and fill is None:
            raise _fail(where, f"{key}.fill", "a number when indicator is true", fill)
    elif kind == "category":
        categories = column.get("categories")
        if (not isinstance(categories, list) or not categories or not all(isinstance(c, str) for c in categories)
                or len(set(categories)) != len(categories)):
            raise _fail(where, f"{key}.categories", "a non-empty list of distinct strings", categories)
    else:
        raise _fail(where, f"{key}.kind", '"number" or "category"', kind)


def check_table_section(spec: dict, where: str) -> None:
    """The column plan (or, for an older bundle, feature_names) and the sizes that must agree with it."""
    plan = spec.get("columns")
    if plan is None:
        names = spec.get("feature_names")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _fail(where, "feature_names", "a list of column names", names)
    elif not isinstance(plan, list) or not plan:
        raise _fail(where, "columns", "a non-empty list of column tables", plan)
    else:
        for i, column in enumerate(plan):
            _check_column(where, i, column)
    plan = column_plan(spec)
    names = [column["name"] for column in plan]
    if len(set(names)) != len(names):
        raise _fail(where, "columns", "columns with distinct names", names)
    width = sum((2 if c["indicator"] else 1) if c["kind"] == "number" else len(c["categories"]) + 1 for c in plan)
    if spec.get("input_shape") != [width]:
        raise _fail(where, "input_shape", f"[{width}] (the inputs the columns make)", spec.get("input_shape"))
    for key in ("feature_mean", "feature_std"):
        values = spec.get(key)
        if values is None:
            continue
        if (not isinstance(values, list) or len(values) != width
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values)):
            raise _fail(where, key, f"null or a list of {width} finite numbers", values)
        if key == "feature_std" and any(v <= 0 for v in values):
            raise _fail(where, key, "positive numbers", values)
