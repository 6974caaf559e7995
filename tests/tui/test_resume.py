"""`npnn-tui --headless --resume` through the real command line: a run of 8 epochs stopped by SIGTERM
after its 4th and resumed is the uninterrupted run, bit for bit (history.csv, model.npz, metrics.json
but its seconds), for the tabular, wine and MNIST presets, with Dropout, shuffling, a step lr schedule and
[[changes]] (hot edits) before and after the interruption. One BLAS thread and one core (so
workers="auto" trains alone): the same thread settings for both runs, as exactness asks."""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from presets.checkpoint import CHECKPOINT_FILE, CheckpointError, read_checkpoint
from tests.processes import run as run_process

EPOCHS, INTERRUPT_AFTER = 8, 4
TRAINING = """
[training]
loss = "{loss}"
optimizer = "adam"
lr = {lr}
dropout = 0.2
patience = 20
epochs = 8
batch_size = {batch}
seed = 3
lr_schedule = "step"
lr_schedule_options = {{ step_size = 3, gamma = 0.5 }}

[[changes]]
epoch = 3
batch = 2
name = "lr"
value = {edit1}

[[changes]]
epoch = 6
batch = 1
name = "lr"
value = {edit2}
"""
MLP = """task = "{task}"
model = [
    {{ type = "Linear", in_features = "auto", out_features = {width} }},
    {{ type = "ReLU" }},
    {{ type = "Dropout" }},
    {{ type = "Linear", in_features = {width}, out_features = {width} }},
    {{ type = "ReLU" }},
    {{ type = "Dropout" }},
    {{ type = "Linear", in_features = {width}, out_features = "auto" }},
]
"""
CNN = """task = "classification"
model = [
    { type = "Conv2d", in_channels = 1, out_channels = 8, kernel_size = 3, padding = 1 },
    { type = "ReLU" },
    { type = "MaxPool2d", kernel_size = 2 },
    { type = "Flatten" },
    { type = "Dropout" },
    { type = "Linear", in_features = "auto", out_features = 32 },
    { type = "ReLU" },
    { type = "Linear", in_features = 32, out_features = "auto" },
]
"""


def preset_text(kind: str, folder: Path) -> str:
    """A preset of `kind` sized so that an epoch takes ~0.15 s alone (room to interrupt between epoch 4 and the end)."""
    if kind == "tabular":
        head = 'name = "tabular_resume"\n' + MLP.format(task="regression", width=640)
        data = '[data]\nsource = "diabetes"\n'
        return head + data + TRAINING.format(loss="mse", lr=0.001, batch=4, edit1=0.002, edit2=0.0005)
    if kind == "wine":
        head = 'name = "wine_resume"\n' + MLP.format(task="classification", width=850)
        data = '[data]\nsource = "wine"\n'
        return head + data + TRAINING.format(loss="cross_entropy", lr=0.01, batch=4, edit1=0.02, edit2=0.005)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 1500)
    x = (rng.random((1500, 28, 28)) * 60).astype(np.uint8)
    for digit in range(10):  # a learnable stripe per class
        x[y == digit, 2 * digit:2 * digit + 3, :] += 150
    np.savez(folder / "mnist.npz", x=x, y=y)
    data = f'[data]\nsource = "mnist"\npath = "{folder / "mnist.npz"}"\nlimit = 1500\n'
    return 'name = "mnist_resume"\n' + CNN + data + TRAINING.format(loss="cross_entropy", lr=0.002, batch=16,
                                                                     edit1=0.004, edit2=0.001)


def one_core() -> None:
    """In the child: one core, so workers="auto" never splits a batch (both runs train the same way)."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def environment(tmp_path: Path) -> dict:
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "SCIKIT_LEARN_DATA": str(tmp_path / "sklearn_home")}


def cli(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    done = run_process([sys.executable, "-m", "tui.cli", *args], capture_output=True, timeout=300, text=True,
                       env=environment(tmp_path), preexec_fn=one_core)
    return done.returncode, done.stdout, done.stderr


def only_run(out: Path) -> Path:
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return run_dir


def interrupted_run(spawn, tmp_path: Path, preset: Path, out: Path) -> Path:
    """Start the run, SIGTERM it as soon as it reports an epoch >= 4 ended; its run directory."""
    import subprocess
    process = spawn([sys.executable, "-m", "tui.cli", "--headless", "--preset", str(preset), "--out", str(out)],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(tmp_path),
                    preexec_fn=one_core)
    seen = []
    for line in process.stdout:  # NOTE: the printer flushes each line; one at least every 0.25 s of epochs
        seen.append(line)
        if line.startswith("Epoch ") and int(line.split()[1].split("/")[0]) >= INTERRUPT_AFTER:
            process.send_signal(signal.SIGTERM)
            break
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 128 + signal.SIGTERM, ("".join(seen) + stdout, stderr)
    assert "Interrupted (SIGTERM)." in stdout
    return only_run(out)


def metrics_without_time(run_dir: Path) -> dict:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    metrics.pop("seconds")
    return metrics


@pytest.mark.parametrize("kind", ["tabular", "wine", "mnist"])
def test_a_run_interrupted_after_epoch_4_and_resumed_is_the_uninterrupted_run(spawn, tmp_path, kind):
    (tmp_path / "sklearn_home").mkdir()
    preset = tmp_path / f"{kind}.toml"
    preset.write_text(preset_text(kind, tmp_path))
    code, out, err = cli(tmp_path, "--headless", "--preset", str(preset), "--out", str(tmp_path / "whole"))
    assert code == 0, err
    whole = only_run(tmp_path / "whole")

    parted = interrupted_run(spawn, tmp_path, preset, tmp_path / "parted")
    stopped_at = read_checkpoint(parted).epoch
    assert INTERRUPT_AFTER <= stopped_at < EPOCHS
    assert json.loads((parted / "metrics.json").read_text())["reason"] == "interrupted"
    code, out, err = cli(tmp_path, "--headless", "--resume", str(parted))
    assert code == 0, err
    assert f"Epoch {EPOCHS}/{EPOCHS}" in out and only_run(tmp_path / "parted") == parted

    whole_history = (whole / "history.csv").read_text()
    assert len(whole_history.splitlines()) == EPOCHS + 1
    assert (parted / "history.csv").read_text() == whole_history
    assert (parted / "model.npz").read_bytes() == (whole / "model.npz").read_bytes()
    assert metrics_without_time(parted) == metrics_without_time(whole)
    changes = metrics_without_time(whole)["changes"]
    assert [(c["epoch"], c["batch"]) for c in changes] == [(3, 2), (6, 1)]  # one before, one after the stop
    lrs = [float(row.split(",")[3]) for row in whole_history.splitlines()[1:]]
    assert len(set(lrs)) >= 3  # the schedule and the edits moved the lr
    assert (parted / "config.toml").read_text() == (whole / "config.toml").read_text()


def test_resume_and_fork_refuse_what_does_not_fit(tmp_path):
    (tmp_path / "sklearn_home").mkdir()
    preset = tmp_path / "wine.toml"
    preset.write_text(preset_text("wine", tmp_path).replace("epochs = 8", "epochs = 2"))
    assert cli(tmp_path, "--headless", "--preset", str(preset), "--out", str(tmp_path / "a"))[0] == 0
    run_dir = only_run(tmp_path / "a")
    code, out, err = cli(tmp_path, "--headless", "--resume", str(run_dir))
    assert code == 2 and err.count("\n") == 1 and str(run_dir) in err
    assert "it has trained 2 epoch(s), and this run's budget is 2: give a larger epoch budget" in err
    code, out, err = cli(tmp_path, "--headless", "--resume", str(run_dir), "--lr", "0.1")
    assert code == 2 and "only --epochs may change" in err and "--fork" in err
    code, out, err = cli(tmp_path, "--headless", "--fork", str(run_dir), "--optimizer", "sgd", "--out", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "optimizer Adam, this run has SGD" in err
    code, out, err = cli(tmp_path, "--resume", str(run_dir))
    assert code == 2 and "only with --headless" in err
    preset.write_text(preset_text("wine", tmp_path).replace("epochs = 8", "epochs = 1").replace("850", "16"))
    assert cli(tmp_path, "--headless", "--preset", str(preset), "--out", str(tmp_path / "b"))[0] == 0
    other = only_run(tmp_path / "b")
    (other / CHECKPOINT_FILE).write_bytes((run_dir / CHECKPOINT_FILE).read_bytes())  # another model's
    code, out, err = cli(tmp_path, "--headless", "--resume", str(other), "--epochs", "5")
    assert code == 2 and err.count("\n") == 1 and f"cannot continue run {other}: it does not fit this run" in err
    assert "shape" in err
    checkpoint = run_dir / CHECKPOINT_FILE
    checkpoint.write_bytes(checkpoint.read_bytes()[:300])  # truncated, as a full disk or a copy cut short
    code, out, err = cli(tmp_path, "--headless", "--resume", str(run_dir), "--epochs", "4")
    assert code == 2 and err.count("\n") == 1 and f"cannot continue run {run_dir}: checkpoint.npz is damaged" in err
    with pytest.raises(CheckpointError, match="has no checkpoint.npz"):
        read_checkpoint(tmp_path)


def test_fork_starts_a_new_run_naming_its_parent_with_the_settings_changed(tmp_path):
    (tmp_path / "sklearn_home").mkdir()
    preset = tmp_path / "wine.toml"
    preset.write_text(preset_text("wine", tmp_path).replace("epochs = 8", "epochs = 5"))
    assert cli(tmp_path, "--headless", "--preset", str(preset), "--out", str(tmp_path / "a"))[0] == 0
    parent = only_run(tmp_path / "a")
    code, out, err = cli(tmp_path, "--headless", "--fork", str(parent), "--from-epoch", "2", "--lr", "0.003",
                         "--epochs", "4", "--out", str(tmp_path / "b"))
    assert code == 0, err
    fork = only_run(tmp_path / "b")
    config = (fork / "config.toml").read_text()
    assert config.startswith(f"# forked from run {parent} at epoch 2\n") and "lr = 0.003" in config
    metrics = json.loads((fork / "metrics.json").read_text())
    assert metrics["parent"] == {"run": str(parent), "epoch": 2} and metrics["epochs_run"] == 4
    parent_rows, fork_rows = ((d / "history.csv").read_text().splitlines() for d in (parent, fork))
    assert fork_rows[:3] == parent_rows[:3]  # epochs 1 and 2 replayed from the seed: the parent's, exactly
    assert [float(row.split(",")[3]) for row in fork_rows[3:]] == [0.003, 0.0015]  # the new lr, then the schedule
    code, out, err = cli(tmp_path, "--headless", "--fork", str(parent), "--from-epoch", "9", "--out", str(tmp_path))
    assert code == 2 and "--from-epoch 9: it has finished epochs 1 to 5" in err
