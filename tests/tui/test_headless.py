"""Headless runs print like the original example and leave a run directory; Ctrl+C exits 130 after saving."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest

from npnn.events import EpochEnded
from tui.cli import main
from tui.headless import HeadlessPrinter, epoch_interval


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """No MNIST anywhere: an empty scikit-learn data home, and fetch_openml must not be called."""
    home = tmp_path / "sklearn_home"
    home.mkdir()
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(home))
    monkeypatch.setattr("sklearn.datasets.fetch_openml", lambda *a, **k: pytest.fail("network use"))


def run_dirs(out):
    return sorted(p for p in out.iterdir() if p.is_dir())


def test_tabular_preset_headless(capsys, tmp_path):
    out = tmp_path / "runs"
    assert main(["--headless", "--preset", "tabular_mlp", "--epochs", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert "\r" not in text  # not a terminal: plain lines only
    assert lines[0] == "Preset tabular_mlp: diabetes (442 rows, built in)"
    assert lines[1].startswith("Model: Linear(10→128) ReLU Dropout(0.3)") and "34,689 parameters" in lines[1]
    assert lines[2].startswith("Settings: optimizer adam · lr 0.0001 · dropout 0.3 · patience 30")
    start = lines.index("MSE and MAE before train:")
    assert lines[start + 1].startswith("  val   MSE: ") and lines[start + 2].startswith("  test  MSE: ")
    epoch_lines = [line for line in lines if line.startswith("Epoch ")]
    assert [line.split(":")[0] for line in epoch_lines] == ["Epoch    1", "Epoch    2", "Epoch    3"]
    assert "train loss" in epoch_lines[0] and "val loss" in epoch_lines[0]
    header = next(i for i, line in enumerate(lines) if line.split() == ["MSE", "MAE"])
    assert lines[header + 1].split() == ["before", "after"] * 2
    assert lines[header + 2].split()[0] == "val" and lines[header + 3].split()[0] == "test"
    (run_dir,) = run_dirs(out)
    assert lines[-1].startswith(f"Run saved to {run_dir} (completed, ")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    after_test = [float(v) for v in lines[header + 3].split()[1:]]
    assert after_test == pytest.approx([metrics["before"]["test"]["mse"], metrics["after"]["test"]["mse"],
                                        metrics["before"]["test"]["mae"], metrics["after"]["test"]["mae"]], abs=1e-4)


def test_mnist_preset_headless_falls_back_to_digits(capsys, tmp_path):
    out = tmp_path / "runs"
    assert main(["--headless", "--preset", "mnist_cnn", "--epochs", "1", "--batch-size", "256",
                 "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Preset mnist_cnn: digits 8x8 (1,797 images, built in)"
    assert lines[1].startswith("Notice: MNIST not found") and "--download" in lines[1]
    assert "MSE and MAE and accuracy before train:" in lines
    assert any(line.startswith("Epoch    1:") and "val accuracy" in line for line in lines)
    assert next(line for line in lines if "Accuracy" in line).split() == ["MSE", "MAE", "Accuracy"]
    assert len(run_dirs(out)) == 1


def test_mnist_preset_headless_from_an_npz(capsys, tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "few.npz"
    np.savez(path, x=rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8), y=np.arange(40) % 10)
    assert main(["--headless", "--preset", "mnist_cnn", "--epochs", "1", "--data", str(path),
                 "--out", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert "Preset mnist_cnn: few.npz (40 images)" in out and "Linear(784→32)" in out and "Notice" not in out


def test_csv_data_with_a_target_column(capsys, tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 3))
    rows = ["a,b,c,y"] + [f"{r[0]},{r[1]},{r[2]},{r.sum():.4f}" for r in x]
    path = tmp_path / "mine.csv"
    path.write_text("\n".join(rows) + "\n")
    assert main(["--headless", "--data", str(path), "--target", "y", "--epochs", "2",
                 "--out", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert "Preset tabular_mlp: mine.csv (60 rows, target 'y')" in out and "Linear(3→128)" in out


def test_early_stopping_line(capsys, tmp_path):
    assert main(["--headless", "--epochs", "80", "--patience", "1", "--lr", "0.05", "--min-delta", "0.05",
                 "--out", str(tmp_path / "runs")]) == 0
    lines = capsys.readouterr().out.splitlines()
    stop = next(line for line in lines if line.startswith("Early stopping at epoch "))
    epoch, best = int(stop.split()[4]), int(stop.split()[7])
    assert best < epoch and stop.endswith(f"(best epoch {best} restored)")
    assert lines[lines.index(stop) - 1].startswith(f"Epoch {epoch:>4}:")  # the last epoch is always shown


def test_ctrl_c_saves_a_partial_run_and_exits_130(capsys, tmp_path, monkeypatch):
    original = HeadlessPrinter.__call__

    def interrupt_at_epoch_2(self, event):
        original(self, event)
        if isinstance(event, EpochEnded) and event.epoch == 2:
            raise KeyboardInterrupt
    monkeypatch.setattr(HeadlessPrinter, "__call__", interrupt_at_epoch_2)
    out = tmp_path / "runs"
    assert main(["--headless", "--epochs", "50", "--out", str(out)]) == 130
    lines = capsys.readouterr().out.splitlines()
    (run_dir,) = run_dirs(out)
    assert "Interrupted after 2 epoch(s)." in lines
    assert f"Partial run saved to {run_dir} (interrupted" in lines[-2] and lines[-1] == "Interrupted (Ctrl+C)."
    assert json.loads((run_dir / "metrics.json").read_text())["epochs_run"] == 2


def test_other_failures_exit_1_without_a_traceback(capsys, tmp_path, monkeypatch):
    def broken_fit(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr("presets.run.fit", broken_fit)
    assert main(["--headless", "--out", str(tmp_path / "runs")]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == "npnn-tui: error: training failed: RuntimeError: disk on fire"
    assert "Traceback" not in captured.out + captured.err


def test_a_terminal_gets_a_progress_line_redrawn_in_place(tmp_path):
    from presets import Run, load_preset
    stream = io.StringIO()
    Run(load_preset("tabular_mlp", {"epochs": 3}), out_dir=tmp_path).execute(
        callbacks=[HeadlessPrinter(stream, tty=True)])
    text = stream.getvalue()
    assert "\r\x1b[K" in text and "epoch 1/3 · batch" in text
    assert "\nEpoch    3:" in text.replace("\r\x1b[K", "\n")


@pytest.mark.parametrize("epochs, step", [(1, 1), (20, 1), (21, 2), (100, 5), (300, 20), (2000, 100),
                                          (5000, 250)])
def test_epoch_lines_come_at_a_round_interval(epochs, step):
    assert epoch_interval(epochs) == step
