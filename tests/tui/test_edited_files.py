"""Files a person edited, through the real command line in a fresh process: a preset or bundle.json at the
parsers' limits or with wrong contents exits 2 with one line naming the file and the key, never a traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.presets.test_preset_limits import GOOD, HUGE


def npnn_tui(*args: str, cwd) -> subprocess.CompletedProcess:
    """`npnn-tui ARGS` in a fresh process (killed if it outlives the timeout)."""
    return subprocess.run([sys.executable, "-m", "tui", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def assert_one_line_error(done: subprocess.CompletedProcess, *expected: str) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr
    return done.stderr


@pytest.mark.parametrize("old, new, expected", [
    ("epochs = 3", f"epochs = {'[' * 5000}{']' * 5000}", "nest too deeply (at most 32 levels)"),
    ("epochs = 3", f"epochs = {HUGE}", "training.epochs is an integer of 401 digits"),
    ("out_features = 8", f"out_features = {HUGE}", "model[0].out_features is an integer of 401 digits"),
])
def test_a_headless_run_of_a_preset_at_the_parsers_limits_exits_2_naming_file_and_key(tmp_path, old, new, expected):
    (tmp_path / "p.toml").write_text(GOOD.replace(old, new))
    done = npnn_tui("--headless", "--preset", "p.toml", "--out", "runs", cwd=tmp_path)
    assert_one_line_error(done, "npnn-tui: error: p.toml: ", expected)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
