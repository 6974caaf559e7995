"""docs/tensor_ops.md cannot rot: every npnn name in its table exists, and every torch-named op is listed."""
import functools
import re
from pathlib import Path

import npnn
from npnn import Tensor, creation, tensor_ops

DOC = Path(__file__).resolve().parents[2] / "docs" / "tensor_ops.md"


def table_cells(column: int) -> list[str]:
    """The cells of one column (0: torch, 1: npnn function, 2: Tensor method) of every table row."""
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    return [row.strip().strip("|").split("|")[column] for row in rows if not row.startswith("| torch |")]


def named(column: int, prefix: str) -> set[str]:
    return {name for cell in table_cells(column) for name in re.findall(rf"`{prefix}\.([\w.]+)`", cell)}


def test_every_npnn_function_in_the_table_exists():
    functions = named(1, "npnn")
    assert len(functions) > 30
    missing = [name for name in functions if not _resolves(npnn, name)]
    assert not missing, f"docs/tensor_ops.md names npnn.{missing}, which do not exist"


def test_every_tensor_method_in_the_table_exists():
    methods = named(2, "x")
    assert len(methods) > 40
    missing = [name for name in methods if not hasattr(Tensor, name)]
    assert not missing, f"docs/tensor_ops.md names Tensor methods {missing}, which do not exist"


def test_every_torch_named_op_is_in_the_table():
    functions, methods = named(1, "npnn"), named(2, "x")
    undocumented = sorted(set(tensor_ops.__all__ + creation.__all__) - functions) + \
        sorted(set(tensor_ops.TENSOR_METHODS) - methods)
    assert not undocumented, f"add {undocumented} to docs/tensor_ops.md"


def _resolves(root, dotted: str) -> bool:
    try:
        functools.reduce(getattr, dotted.split("."), root)
    except AttributeError:
        return False
    return True
