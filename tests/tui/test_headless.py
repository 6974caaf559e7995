"""Headless runs print like the original example (epoch lines as Keras does) and leave a run directory;
Ctrl+C, SIGTERM and SIGHUP exit 130 / 143 / 129 after saving; bad --out, bad data and failed saves;
closed, full or cp1252 stdout."""
from __future__ import annotations

import io
import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from npnn.events import EpochEnded
from tests.presets.conftest import fill_disk_under
from tui.cli import main
from tui.headless import LINES_PER_SECOND, HeadlessPrinter, duration, epoch_line
from tui.state import clock

ROOT = Path(__file__).resolve().parents[2]


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
    assert epoch_lines[0].startswith("Epoch 1/3 · train ") and epoch_lines[-1].startswith("Epoch 3/3 · train ")
    fields = [part.split()[0] for part in epoch_lines[-1].split(" · ")]
    assert fields[:5] == ["Epoch", "train", "val", "mse", "mae"] and epoch_lines[-1].split(" · ")[5].endswith("ms")
    assert "ETA" in epoch_lines[0] and "ETA" not in epoch_lines[-1]  # nothing left after the last epoch
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["MSE", "MAE"])
    assert lines[header].split()[2:] == ["MAE", "(units)", "RMSE", "(units)"]  # the target's own units beside
    assert lines[header + 1].split() == ["before", "after"] * 4
    assert lines[header + 2].split()[0] == "val" and lines[header + 3].split()[0] == "test"
    (run_dir,) = run_dirs(out)
    assert lines[-2].startswith(f"Run saved to {run_dir} (completed, ")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    advice = metrics["advice"]
    assert lines[-1] == f"Verdict: {advice['verdict']} → {advice['next_step']}" and advice["kind"] == "underfitting"  # lr 1e-4, 3 epochs
    after_test = [float(v) for v in lines[header + 3].split()[1:]]
    assert after_test == pytest.approx([metrics[stage]["test"][name] for name in ("mse", "mae", "mae_units", "rmse_units")
                                        for stage in ("before", "after")], abs=1e-4)
    std = json.loads((run_dir / "bundle.json").read_text())["target_std"][0]
    assert metrics["after"]["test"]["rmse_units"] == pytest.approx(metrics["after"]["test"]["mse"] ** 0.5 * std)


def test_a_verdict_to_train_longer_says_the_command_that_continues_the_run(capsys, tmp_path):
    out = tmp_path / "my runs"  # NOTE: a space, so the command must quote the run directory
    assert main(["--headless", "--preset", "tabular_mlp", "--epochs", "4", "--out", str(out)]) == 0
    (run_dir,) = run_dirs(out)
    advice = json.loads((run_dir / "metrics.json").read_text())["advice"]
    assert advice["kind"] == "still_improving"  # lr 1e-4, 4 epochs
    command = f"npnn-tui --headless --resume '{run_dir}' --epochs 8"
    assert capsys.readouterr().out.splitlines()[-1] == \
        f"Verdict: {advice['verdict']} → {advice['next_step']}: {command}"
    assert main(shlex.split(command)[1:]) == 0  # it does what it says: as many epochs again, in the same directory
    assert "Epoch 8/8 · " in capsys.readouterr().out and run_dirs(out) == [run_dir]
    assert json.loads((run_dir / "metrics.json").read_text())["epochs_run"] == 8


def test_mnist_preset_headless_falls_back_to_digits(capsys, tmp_path):
    out = tmp_path / "runs"
    assert main(["--headless", "--preset", "mnist_cnn", "--epochs", "1", "--batch-size", "256",
                 "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Preset mnist_cnn: digits 8x8 (1,797 images, built in)"
    assert lines[1].startswith("Notice: MNIST not found") and "--download" in lines[1]
    assert "MSE and MAE and accuracy before train:" in lines
    assert any(line.startswith("Epoch 1/1 · accuracy ") for line in lines)  # accuracy first
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
    assert lines[lines.index(stop) - 1].startswith(f"Epoch {epoch}/80 · ")  # the last epoch is always shown
    assert any(line.startswith(f"Epoch {best}/80 · ") and line.endswith(" · new best") for line in lines)


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
    assert f"Partial run saved to {run_dir} (interrupted" in lines[-3] and lines[-2].startswith("Verdict: ")
    assert lines[-1] == "Interrupted (Ctrl+C)."
    assert json.loads((run_dir / "metrics.json").read_text())["epochs_run"] == 2


def test_other_failures_exit_1_without_a_traceback(capsys, tmp_path, monkeypatch):
    def broken_drive(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr("presets.run.drive", broken_drive)
    assert main(["--headless", "--out", str(tmp_path / "runs")]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == "npnn-tui: error: training failed: RuntimeError: disk on fire"
    assert "Traceback" not in captured.out + captured.err


def test_a_terminal_gets_a_bar_over_the_epochs_batches_redrawn_in_place(tmp_path, monkeypatch):
    from presets import Run, load_preset
    monkeypatch.setenv("COLUMNS", "45")
    stream = io.StringIO()
    Run(load_preset("tabular_mlp", {"epochs": 3}), out_dir=tmp_path).execute(
        callbacks=[HeadlessPrinter(stream, tty=True)])
    text = stream.getvalue()
    bars = [part for part in text.split("\r\x1b[K") if part.startswith("Epoch 1/3 ━")]
    done, batches = bars[-1].split()[3].split("/")
    assert done == batches and bars[-1].count("━") == 24  # the epoch's last batch: a full bar
    redrawn = [part for part in text.split("\r\x1b[K") if "━" in part.split("\n")[0]]
    assert max(len(part.split("\n")[0]) for part in redrawn) == 44  # cut to the terminal's width
    assert "\nEpoch 3/3 · train " in text.replace("\r\x1b[K", "\n")


def _epoch(epoch, epochs=100, improved=False, seconds=0.005, **metrics):
    return EpochEnded(epoch, epochs, 0.5, 0.6, metrics or {"mse": 0.6, "mae": 0.55}, improved=improved,
                      seconds=seconds)


class FakeClock:
    """Seconds that pass only when the test says so."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_fast_run_prints_a_few_epoch_lines_a_second_but_every_best_and_the_last():
    time_now, stream = FakeClock(), io.StringIO()
    printer = HeadlessPrinter(stream, tty=False, clock=time_now)
    bests = {1, 2, 3, 40, 41, 77}
    for epoch in range(1, 101):
        printer(_epoch(epoch, improved=epoch in bests))
        time_now.now += 0.02  # 50 epochs a second
    printed = [int(line.split()[1].split("/")[0]) for line in stream.getvalue().splitlines()]
    assert bests <= set(printed) and printed[-1] == 100
    paced = [e for e in printed if e not in bests and e != 100]
    assert paced and all(b - a >= 1 / LINES_PER_SECOND / 0.02 for a, b in zip(printed, printed[1:]) if b in paced)
    assert len(printed) < 100 * 0.02 * LINES_PER_SECOND + len(bests) + 2


def test_a_slow_run_prints_every_epoch():
    time_now, stream = FakeClock(), io.StringIO()
    printer = HeadlessPrinter(stream, tty=False, clock=time_now)
    for epoch in range(1, 6):
        time_now.now += 1.0
        printer(_epoch(epoch, epochs=5, seconds=1.0))
    assert [line.split(" · ")[0] for line in stream.getvalue().splitlines()] == [f"Epoch {e}/5" for e in range(1, 6)]


def test_an_epoch_line_reads_as_keras_does():
    line = epoch_line(_epoch(3, epochs=60, improved=True, seconds=0.006), eta=2.4)
    assert line == ("Epoch 3/60 · train 0.5000 · val 0.6000 · mse 0.6000 · mae 0.5500 · 6 ms · ETA 0:02"
                    " · new best")
    line = epoch_line(EpochEnded(2, 10, 0.31, float("nan"), {"mse": 0.01, "mae": 0.02, "accuracy": 0.9125},
                                 seconds=1.5), eta=None)
    assert line == "Epoch 2/10 · accuracy 0.9125 · train 0.3100 · val nan · mse 0.01000 · mae 0.02000 · 1.50 s"


def test_the_eta_is_the_mean_epoch_time_times_the_epochs_left():
    time_now, stream = FakeClock(), io.StringIO()
    printer = HeadlessPrinter(stream, tty=False, clock=time_now)
    for epoch, seconds in ((1, 30.0), (2, 90.0)):
        time_now.now += seconds
        printer(_epoch(epoch, epochs=4, seconds=seconds))
    assert [line.split(" · ")[-1] for line in stream.getvalue().splitlines()] == ["ETA 1:30", "ETA 2:00"]


@pytest.mark.parametrize("seconds, text", [(0.0061, "6 ms"), (0.9994, "999 ms"), (1.25, "1.25 s")])
def test_epoch_durations(seconds, text):
    assert duration(seconds) == text


@pytest.mark.parametrize("seconds, text", [(2.4, "0:02"), (59.6, "1:00"), (725, "12:05"), (3723, "1:02:03")])
def test_times_left_read_as_a_clock(seconds, text):
    assert clock(seconds) == text


# --- faults (issue 11): fail before training, failed saves, divergence, signals and streams -----------



def test_an_out_that_is_a_file_exits_2_before_loading_data(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("presets.run.load_data", lambda *a, **k: pytest.fail("data loaded"))
    blocker = tmp_path / "afile"
    blocker.write_text("")
    assert main(["--headless", "--out", str(blocker)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"npnn-tui: error: --out {blocker}: is a file, not a directory for run directories\n"
    assert captured.out == ""
    assert main(["--headless", "--out", str(blocker / "runs")]) == 2
    assert capsys.readouterr().err.startswith(f"npnn-tui: error: --out {blocker / 'runs'}: cannot create or write")


def test_bad_data_and_a_non_utf8_preset_exit_2_naming_the_file(capsys, tmp_path):
    path = tmp_path / "nan.csv"
    path.write_text("a,y\n" + "".join(f"{i},{i}\n" for i in range(20)) + "inf,3\n")
    assert main(["--headless", "--data", str(path), "--target", "y", "--out", str(tmp_path / "runs")]) == 2
    assert capsys.readouterr().err == (f"npnn-tui: error: {path}: line 22, column 'a': expected a finite number, "
                                       "got 'inf'\n")
    preset = tmp_path / "latin.toml"
    preset.write_bytes(b'title = "Caf\xe9"\n')
    assert main(["--headless", "--preset", str(preset)]) == 2
    assert "a preset file must be UTF-8 text" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_failed_save_says_saving_failed_and_where_the_model_went(capsys, tmp_path, monkeypatch):
    out = tmp_path / "runs"
    fill_disk_under(out, monkeypatch, tmp_path)
    assert main(["--headless", "--epochs", "2", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    (fallback,) = tmp_path.glob("npnn-unsaved-tabular_mlp-*")
    assert captured.err.startswith("npnn-tui: error: saving the run to ") and "training failed" not in captured.err
    assert captured.err.rstrip().endswith(f"the model and history were written to {fallback} instead")
    assert "Run saved" not in captured.out and (fallback / "model.npz").is_file()


def _spawn(spawn, args, tmp_path, **kwargs):
    """`python -m tui ARGS` in tmp_path, started by the `spawn` fixture (killed when the test ends)."""
    env = dict(os.environ, SCIKIT_LEARN_DATA=str(tmp_path / "sklearn_home"), PYTHONPATH=str(ROOT),
               **kwargs.pop("env", {}))
    return spawn([sys.executable, "-m", "tui", *args], cwd=tmp_path, env=env,
                 **{"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, **kwargs})


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
@pytest.mark.parametrize("signum, code, name", [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGHUP, 129, "SIGHUP"),
                                                (signal.SIGINT, 130, "Ctrl+C")])
def test_a_signal_mid_run_saves_the_partial_run(spawn, tmp_path, signum, code, name):
    proc = _spawn(spawn, ["--headless", "--epochs", "100000", "--patience", "100000", "--out", "runs"], tmp_path)
    for line in proc.stdout:
        if line.startswith("Epoch "):
            break
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert f"Interrupted ({name})." in out and "Partial run saved to" in out and "Traceback" not in err
    (run_dir,) = (tmp_path / "runs").iterdir()
    summary = json.loads((run_dir / "metrics.json").read_text())
    assert summary["reason"] == "interrupted" and summary["epochs_run"] >= 1
    assert (run_dir / "model.npz").is_file()


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="watches /proc/PID/maps to see imports run")
@pytest.mark.parametrize("library", ["_multiarray_umath", "sklearn"])
def test_ctrl_c_while_imports_run_exits_130_without_a_traceback(spawn, tmp_path, library):
    """The interrupt lands while NumPy (and what follows it) is being imported, once its library is mapped."""
    import time
    proc = _spawn(spawn, ["--headless", "--epochs", "1", "--out", "runs"], tmp_path)
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if library in Path(f"/proc/{proc.pid}/maps").read_text():
                break
        except OSError:
            pass
        time.sleep(0.002)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err and err == "", err
    assert "Run saved" not in out


def _completed_run(tmp_path) -> dict:
    (run_dir,) = (tmp_path / "runs").iterdir()
    return json.loads((run_dir / "metrics.json").read_text())


def test_stdout_closed_after_the_first_line_does_not_stop_the_run(spawn, tmp_path):
    proc = _spawn(spawn, ["--headless", "--epochs", "3", "--out", "runs"], tmp_path)
    first = proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert first.startswith("Preset tabular_mlp") and proc.returncode == 0 and err == ""
    assert _completed_run(tmp_path)["reason"] == "completed"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_stdout_does_not_stop_the_run(spawn, tmp_path):
    with open("/dev/full", "w") as full:
        proc = _spawn(spawn, ["--headless", "--epochs", "2", "--out", "runs"], tmp_path, stdout=full)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == ""
    assert _completed_run(tmp_path)["reason"] == "completed"


def test_a_closed_stdout_does_not_stop_the_run(spawn, tmp_path):
    proc = _spawn(spawn, ["--headless", "--epochs", "2", "--out", "runs"], tmp_path, stdout=None,
                  preexec_fn=lambda: os.close(1))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == ""
    assert _completed_run(tmp_path)["reason"] == "completed"


def test_a_non_utf8_stdout_prints_replacement_characters(spawn, tmp_path):
    proc = _spawn(spawn, ["--headless", "--epochs", "1", "--out", "runs"], tmp_path, env={"PYTHONIOENCODING": "cp1252"},
                  encoding="cp1252")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == ""
    assert "Model: Linear(10?128)" in out and "optimizer adam · lr" in out and "Run saved to" in out


def test_a_download_without_network_exits_1_saying_so(capsys, tmp_path, monkeypatch):
    from urllib.error import URLError

    def no_network(*args, **kwargs):
        raise URLError("[Errno 101] Network is unreachable")
    monkeypatch.setattr("sklearn.datasets.fetch_openml", no_network)
    assert main(["--headless", "--preset", "mnist_cnn", "--download", "--out", str(tmp_path / "runs")]) == 1
    captured = capsys.readouterr()
    assert captured.err == ("npnn-tui: error: could not download MNIST from OpenML ([Errno 101] Network is "
                            "unreachable): check the network connection (or proxy settings), or pass --data PATH "
                            "with the MNIST IDX files or an .npz with arrays x and y\n")
    assert "training failed" not in captured.err and "Traceback" not in captured.err
