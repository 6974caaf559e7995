"""`npnn-tui lr-find`: the table of lr against the smoothed loss, the suggestion marked, and exit codes."""
from __future__ import annotations

import pytest

from tui.cli import main


def test_lr_find_prints_the_table_and_the_suggestion(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["lr-find", "--preset", "tabular_mlp"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Preset tabular_mlp: diabetes (442 rows, built in)"
    assert lines[1].split() == ["lr", "smoothed", "loss"]
    rows = lines[2:-1]
    lrs = [float(row.split()[0]) for row in rows]
    assert lrs[0] == pytest.approx(1e-7) and lrs == sorted(lrs) and len(rows) >= 10
    (marked,) = [row for row in rows if row.endswith("← suggested")]
    assert lines[-1].startswith(f"Suggested lr: {marked.split()[0]} (steepest fall of the smoothed loss; now 0.0001")
    assert list(tmp_path.iterdir()) == []  # nothing written, no runs folder


def test_lr_find_on_a_csv_with_its_target(capsys, tmp_path):
    path = tmp_path / "mine.csv"
    rows = ["a,b,y"] + [f"{i % 7},{i % 3},{(i % 7) * 2 + (i % 3)}" for i in range(90)]
    path.write_text("\n".join(rows) + "\n")
    assert main(["lr-find", "--data", str(path), "--target", "y", "--num-iter", "40", "--end-lr", "1"]) == 0
    out = capsys.readouterr().out
    assert "Preset tabular_mlp: mine.csv (90 rows, target 'y')" in out and ("Suggested lr" in out or "No suggestion" in out)


@pytest.mark.parametrize("flags, message", [
    (["--start-lr", "0"], "npnn-tui: error: --start-lr 0: expected a number above 0"),
    (["--start-lr", "1", "--end-lr", "0.1"], "npnn-tui: error: --end-lr 0.1: expected a finite number above"),
    (["--num-iter", "x"], "npnn-tui lr-find: error: argument --num-iter: invalid int value: 'x'"),
    (["--preset", "nope"], "npnn-tui: error: unknown preset 'nope'"),
    (["--target", "y"], "npnn-tui: error: --target y: needs --data FILE.csv"),
    (["--data", "/nonexistent.csv", "--target", "y"], "npnn-tui: error: "),
])
def test_bad_flags_exit_2_with_one_line(capsys, flags, message):
    try:
        code = main(["lr-find", *flags])
    except SystemExit as exit_:  # NOTE: argparse's own errors exit through SystemExit
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(message) and len(err.strip().splitlines()) == 1
