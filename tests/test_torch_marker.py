"""Every PyTorch comparison goes through the `torch` fixture (tests/conftest.py), so CI runs them all."""
import ast
from pathlib import Path

from tests import processes

TESTS = Path(__file__).resolve().parent


def torch_imports(path: Path) -> list[int]:
    """Lines that import torch directly or through pytest.importorskip."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "torch" for a in node.names):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch":
            lines.append(node.lineno)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "importorskip", "import_module") and node.args and isinstance(node.args[0], ast.Constant) \
                and str(node.args[0].value).split(".")[0] == "torch":
            lines.append(node.lineno)
    return lines


def test_tests_reach_torch_only_through_the_fixture():
    offenders = [f"{path.relative_to(TESTS.parent)}:{line}" for path in sorted(TESTS.rglob("*.py"))
                 if path != TESTS / "conftest.py" for line in torch_imports(path)]
    assert not offenders, ("import torch through the `torch` fixture of tests/conftest.py (a test argument named "
                           f"`torch`), so that CI's parity pass runs it: {offenders}")


def test_the_check_sees_each_way_of_importing_torch(tmp_path):
    source = tmp_path / "t.py"
    source.write_text("import torch\nfrom torch import nn\nimport pytest\nt = pytest.importorskip('torch')\n")
    assert torch_imports(source) == [1, 2, 4]


def run_pytest(tmp_path, *args, require=False):
    """pytest on a one-test project that uses this conftest, in a process where torch cannot be imported."""
    import os
    import subprocess
    import sys
    conftest = (TESTS / "conftest.py").read_text()
    (tmp_path / "conftest.py").write_text(conftest)
    (tmp_path / "test_it.py").write_text("import sys\nsys.modules['torch'] = None  # no torch here\n\n"
                                         "def test_uses_torch(torch):\n    pass\n\ndef test_plain():\n    pass\n")
    env = {k: v for k, v in os.environ.items() if k != "NPNN_REQUIRE_TORCH"}
    if require:
        env["NPNN_REQUIRE_TORCH"] = "1"
    done = processes.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout.strip().splitlines()[-1]


def test_without_torch_the_fixture_skips_and_with_npnn_require_torch_it_errors(tmp_path):
    code, summary = run_pytest(tmp_path)
    assert code == 0 and summary.startswith("1 passed, 1 skipped")
    code, summary = run_pytest(tmp_path, "-m", "torch", require=True)
    assert code == 1 and "1 error" in summary and "1 deselected" in summary and "passed" not in summary
