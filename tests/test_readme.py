"""The README stays true: its Python examples run and its Quickstart holds exactly two commands."""
import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize("source", PYTHON_BLOCKS, ids=[f"block{i}" for i in range(len(PYTHON_BLOCKS))])
def test_python_examples_run(source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(source, "README.md", "exec"), {"__name__": "readme"})


def test_quickstart_holds_an_install_and_open_command_and_a_test_command():
    block = re.search(r"## Quickstart\n+```\n(.*?)```", README, flags=re.S).group(1)
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].endswith("npnn-tui") and "pip install" in commands[0]
    assert "pytest" in commands[1] and "[test]" in commands[1]
