"""A table bundle's column plan as plain Python for the NumPy and PyTorch ejects: the plan and the
missing markers as constants, presets.table.encode's functions copied verbatim (so the script encodes
exactly as Bundle.predict does), a `prepare` taking raw rows, and a `__main__` reading any delimiter.
"""
from __future__ import annotations

import inspect

from presets.table import encode as encode_module
from presets.table.inputs import column_plan

_FUNCTIONS = (encode_module.number_problem, encode_module.number_cells, encode_module.text_cells,
              encode_module.encode_column, encode_module.category_codes, encode_module.encode)

# The ejected __main__'s reading of a table: the delimiter sniffed among the usual four, names stripped.
READ_TABLE = '''    with open(sys.argv[1], newline="", encoding="utf-8-sig") as fh:
        sample = fh.read(65536)
        fh.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\\t|")
        except csv.Error:
            dialect = csv.excel
        rows = [{key.strip(): value for key, value in row.items() if key is not None}
                for row in csv.DictReader(fh, dialect=dialect) if any((value or "").strip() for value in row.values())]
    x = {name: [row[name] for row in rows] for name in FEATURE_NAMES}'''


def table_constants(spec: dict) -> list[tuple[str, object]]:
    """(name, value) of the constants the encoding reads: FEATURE_NAMES, COLUMNS (the plan), MISSING_MARKERS."""
    plan = column_plan(spec)
    return [("FEATURE_NAMES", [column["name"] for column in plan]), ("COLUMNS", plan),
            ("MISSING_MARKERS", encode_module.MISSING_MARKERS)]


def table_prepare(spec: dict) -> str:
    """The encoding functions and `prepare(x)`: raw rows in, the network's float32 input out."""
    functions = "\n\n\n".join(inspect.getsource(function) for function in _FUNCTIONS)
    scale = " - FEATURE_MEAN) / FEATURE_STD" if spec.get("feature_mean") is not None else ")"
    return functions + f'''


def prepare(x):
    """Raw rows as the network's float32 input: a mapping of column → values (a dict of lists, a pandas
    DataFrame; extra columns ignored), a list of row dicts, or rows of values in FEATURE_NAMES order.
    Text and gaps (None, NaN, "" or a MISSING_MARKERS cell) are taken as in training."""
    if isinstance(x, list) and x and isinstance(x[0], dict):
        x = {{name: [row[name] for row in x] for name in FEATURE_NAMES}}
    elif not hasattr(x, "keys"):
        rows = np.asarray(x, dtype=object).reshape(-1, len(FEATURE_NAMES))
        x = {{name: rows[:, j] for j, name in enumerate(FEATURE_NAMES)}}
    return ((encode(COLUMNS, x){scale}).astype(np.float32)'''
