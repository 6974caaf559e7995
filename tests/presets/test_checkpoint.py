"""checkpoint.npz: never pickled, read back exactly, refused in one line when damaged, intact after a
SIGKILL mid-write; a run stopped between two batches (the app's Esc) resumes to the uninterrupted run."""
from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from presets import load_preset
from presets.checkpoint import CHECKPOINT_FILE, CheckpointError, read_checkpoint, write_checkpoint
from presets.continuation import resume_run
from presets.control import RunControl
from presets.events import Paused
from presets.run import Run

LOOP = {"epoch": 2, "batch": 3, "batches": 5, "epochs": 8, "max_grad_norm": None, "total": 1.5, "count": 3,
        "lr": 0.01, "pending": [["lr", 0.5]], "history": {"val_loss": [math.nan, None], "best_value": math.inf},
        "model": {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3)},
        "optimizer": {"state": {0: {"step": 4, "exp_avg": np.ones(3)}}, "param_groups": [{"betas": (0.9, 0.99)}]},
        "scheduler": None, "early_stopping": None, "loader": {"generator": {"state": {"state": 2 ** 100}}}}
RUN = {"preset": "p", "started": 1.25, "before": {"val": {}, "test": {}}, "optimizer": "Adam", "scheduler": None}


def test_a_checkpoint_reads_back_what_was_written_and_holds_no_pickle(tmp_path):
    write_checkpoint(tmp_path, LOOP, RUN)
    with np.load(tmp_path / CHECKPOINT_FILE, allow_pickle=False) as archive:
        assert all(not archive[name].dtype.hasobject for name in archive.files)
    back = read_checkpoint(tmp_path)
    assert (back.epoch, back.batch, back.run) == (2, 3, RUN)
    assert back.loop["optimizer"]["state"][0]["step"] == 4 and list(back.loop["optimizer"]["state"]) == [0]
    assert np.array_equal(back.loop["model"]["0.weight"], LOOP["model"]["0.weight"])
    assert back.loop["model"]["0.weight"].dtype == np.float32
    assert math.isnan(back.loop["history"]["val_loss"][0]) and back.loop["history"]["best_value"] == math.inf
    assert back.loop["loader"]["generator"]["state"]["state"] == 2 ** 100


def _rewrite_meta(path, text: str) -> None:
    arrays = dict(np.load(path, allow_pickle=False))
    arrays["__meta__"] = np.array(text)
    np.savez(path, **arrays)


@pytest.mark.parametrize("damage, reason", [
    (lambda p: p.write_bytes(p.read_bytes()[:200]), "checkpoint.npz is damaged"),
    (lambda p: p.write_bytes(b""), "the file is empty"),
    (lambda p: _rewrite_meta(p, "{not json"), "checkpoint.npz is damaged"),
    (lambda p: _rewrite_meta(p, '{"format": 7}'), "its format is 7, expected 1"),
    (lambda p: _rewrite_meta(p, '{"format": 1, "loop": {}, "run": {}}'), "its loop state lacks 'epoch'"),
    (lambda p: _rewrite_meta(p, '{"format": 1, "loop": {"__array__": "zz"}, "run": {}}'),
     "names the array 'zz'"),
    (lambda p: np.savez(p, x=np.zeros(2)), "lacks its __meta__ document"),
], ids=["truncated", "empty", "not-json", "format", "missing-key", "missing-array", "no-document"])
def test_a_damaged_checkpoint_is_refused_in_one_line_naming_the_run(tmp_path, damage, reason):
    write_checkpoint(tmp_path, LOOP, RUN)
    damage(tmp_path / CHECKPOINT_FILE)
    with pytest.raises(CheckpointError) as refused:
        read_checkpoint(tmp_path)
    message = str(refused.value)
    assert message.startswith(f"cannot continue run {tmp_path}: ") and reason in message and "\n" not in message


WRITER = """
import sys
import numpy as np
from presets.checkpoint import write_checkpoint
big = {"model": {f"w{i}": np.full(1_000_000, i, dtype=np.float32) for i in range(6)}}
n = 0
while True:
    n += 1
    write_checkpoint(sys.argv[1], {**big, "epoch": n}, {"n": n})
    print(n, flush=True)
"""


def test_a_sigkill_while_writing_leaves_the_previous_checkpoint_intact(spawn, tmp_path):
    writer = spawn([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "1"  # one whole checkpoint is there
    time.sleep(0.05)  # NOTE: well inside the next 24 MB write
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    with zipfile.ZipFile(tmp_path / CHECKPOINT_FILE) as archive:
        assert archive.testzip() is None
    with np.load(tmp_path / CHECKPOINT_FILE, allow_pickle=False) as archive:
        assert all(np.all(archive[f"a{i}"] == i) for i in range(6))


PRESET = """name = "wine_stop"
task = "classification"
model = [{ type = "Linear", in_features = "auto", out_features = 32 }, { type = "ReLU" }, { type = "Dropout" },
         { type = "Linear", in_features = 32, out_features = "auto" }]
[data]
source = "wine"
[training]
loss = "cross_entropy"
optimizer = "adam"
lr = 0.01
dropout = 0.3
epochs = 8
batch_size = 16
lr_schedule = "step"
lr_schedule_options = { step_size = 2, gamma = 0.5 }
[[changes]]
epoch = 6
batch = 3
name = "lr"
value = 0.002
"""


def test_a_run_stopped_between_two_batches_resumes_to_the_uninterrupted_run(tmp_path):
    (tmp_path / "p.toml").write_text(PRESET)
    preset = load_preset(tmp_path / "p.toml")
    whole = Run(preset, out_dir=tmp_path / "whole", workers=1).execute()
    control = RunControl(paused=True)
    control.step()

    def esc(event):  # Step mode batch after batch, then the app's Esc once epoch 5's third batch is done
        if isinstance(event, Paused):
            control.stop() if (event.epoch, event.batch) == (5, 3) else control.step()
    stopped = Run(preset, out_dir=tmp_path / "parted", workers=1).execute(callbacks=[esc], control=control)
    assert stopped.reason == "stopped"
    checkpoint = read_checkpoint(stopped.run_dir)
    assert (checkpoint.epoch, checkpoint.batch) == (5, 3)
    resumed = resume_run(stopped.run_dir, workers=1).execute()
    assert resumed.run_dir == stopped.run_dir and resumed.reason == "completed"
    assert (resumed.run_dir / "history.csv").read_text() == (whole.run_dir / "history.csv").read_text()
    assert (resumed.run_dir / "model.npz").read_bytes() == (whole.run_dir / "model.npz").read_bytes()
    assert resumed.after == whole.after and resumed.before == whole.before
    assert [(c.epoch, c.batch) for c in resumed.history.changes] == [(6, 3)]
