"""Files a person edited, through the real command line in a fresh process: a preset or bundle.json at the
parsers' limits or with wrong contents exits 2 with one line naming the file and the key, never a traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.bundles import regressor  # noqa: F401  (module-scoped fixture)
from tests.presets.test_bundle_schema import EDITS, edited_run
from tests.presets.test_preset_limits import GOOD, HUGE
from tests.tui.test_predict import _diabetes_csv
from tui.cli import main


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


@pytest.mark.parametrize("edit, expected", [case[1:] for case in EDITS], ids=[case[0] for case in EDITS])
def test_predict_and_export_with_a_hand_edited_bundle_exit_2_with_one_line(regressor, tmp_path, capsys, edit,
                                                                          expected):
    run = edited_run(regressor, tmp_path, edit)
    data = tmp_path / "new.csv"
    _diabetes_csv(data)
    for argv in (["predict", str(run), str(data), "-o", str(tmp_path / "out.csv")],
                 ["export", str(run), "--numpy", str(tmp_path / "np")]):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert err.startswith("npnn-tui: error: ") and expected in err and len(err.splitlines()) == 1, err
        assert not (tmp_path / "out.csv").exists() and not (tmp_path / "np").exists()


@pytest.mark.parametrize("case", ["huge-layer", "deep", "absolute-weights", "no-task"])
def test_predict_in_a_fresh_process_with_a_hand_edited_bundle_exits_2(regressor, tmp_path, case):
    _, edit, expected = next(c for c in EDITS if c[0] == case)
    run = edited_run(regressor, tmp_path, edit)
    _diabetes_csv(tmp_path / "new.csv")
    assert_one_line_error(npnn_tui("predict", str(run), "new.csv", cwd=tmp_path), "bundle.json: ", expected)


def test_predict_with_weights_that_are_not_a_model_never_prints_their_contents(regressor, tmp_path):
    run = edited_run(regressor, tmp_path, lambda b: dict(b, weights="notes.npz"))
    (run / "notes.npz").write_text("PASSWORD=hunter2\n")
    _diabetes_csv(tmp_path / "new.csv")
    err = assert_one_line_error(npnn_tui("predict", str(run), "new.csv", cwd=tmp_path), "not a readable npnn model")
    assert "PASS" not in err and "hunter" not in err


def test_a_user_preset_folder_with_deep_and_huge_presets_still_lists_the_others(tmp_path):
    presets = tmp_path / "mine"
    presets.mkdir()
    (presets / "deep.toml").write_text(GOOD.replace("epochs = 3", f"epochs = {'[' * 5000}{']' * 5000}"))
    (presets / "huge.toml").write_text(GOOD.replace("epochs = 3", f"epochs = {HUGE}"))
    (presets / "fine.toml").write_text(GOOD)
    done = npnn_tui("--list-presets", "--presets-dir", str(presets), cwd=tmp_path)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert str(presets / "fine.toml") in done.stdout
    assert "deep.toml: arrays or tables nest too deeply" in done.stderr
    assert "huge.toml: training.epochs is an integer of 401 digits" in done.stderr
