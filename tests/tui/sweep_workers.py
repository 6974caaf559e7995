"""Sweep worker processes for tests: started with known signal dispositions in their own process group,
killed (the whole group) whatever the test's outcome; and workers that start at the same instant."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from presets.checkpoint import read_checkpoint
from presets.sweep_storage import creation_lock
from tests import processes as test_processes

FAST = ["--preset", "tabular_mlp", "--epochs", "3", "--param", "lr=1e-4:1e-1:log", "--param", "dropout=0:0.5"]
# NOTE: one Python per worker runs every try: importing Optuna takes seconds, a try a fraction of one.
# Before each try a worker waits until every worker has arrived (a file each), so all start the same
# storage's creation within milliseconds of each other.
SIMULTANEOUS = """
import json, os, sys, time
from pathlib import Path
from tui.cli import main
barrier, me, workers, tries = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
codes = []
for number, argv in enumerate(tries):
    (barrier / f"{number}-{me}").touch()
    while len(list(barrier.glob(f"{number}-*"))) < workers:
        time.sleep(0.001)
    codes.append(main(argv))
print(json.dumps(codes))
"""


@contextmanager
def processes() -> Iterator:
    """`start(argv)` → a Popen of `python argv` (text pipes; tests.processes.start: signals at their defaults,
    its own process group); every one is killed with its group when the block ends."""
    started: list[subprocess.Popen] = []

    def start(argv: list[str]) -> subprocess.Popen:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "OPENBLAS_NUM_THREADS": "1"}
        process = test_processes.start([sys.executable, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, env=env)
        started.append(process)
        return process
    try:
        yield start
    finally:
        for process in started:
            test_processes.stop(process)


def sweep_worker(start, out: Path, trials: int, *extra: str) -> subprocess.Popen:
    """`npnn-tui sweep` on the FAST settings, its trials' run directories in `out`."""
    return start(["-m", "tui", "sweep", "--trials", str(trials), "--out", str(out), *FAST, *extra])


def start_simultaneously(tmp_path: Path, workers: int, tries: list[list[str]], timeout: float = 600) -> list:
    """Run each argv of `tries` in `workers` processes at the same instant, one try after another;
    the exit codes of each worker (a list per worker) and the stderr of any worker that did not finish."""
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    with processes() as start:
        running = [start(["-c", SIMULTANEOUS, str(barrier), str(n), str(workers), json.dumps(tries)])
                   for n in range(workers)]
        results = []
        for process in running:
            out, err = process.communicate(timeout=timeout)
            lines = out.strip().splitlines()
            results.append((process.returncode, lines[-1] if lines else "", err[-3000:]))
        return results


def _load_study(optuna, storage):
    """The study "s"; a database is opened under the workers' creation lock (opening one that a worker is
    creating at that instant would race it for Optuna's version table)."""
    if not isinstance(storage, str):
        return optuna.load_study(study_name="s", storage=storage)
    import sqlalchemy
    with creation_lock(sqlalchemy.engine.make_url(storage)):
        return optuna.load_study(study_name="s", storage=storage)


def _trial_training(storage) -> bool:
    """A trial is RUNNING and has reported an epoch's validation loss."""
    import optuna
    try:
        trials = _load_study(optuna, storage).trials
    except KeyError:  # NOTE: the study is not created yet
        return False
    return any(t.state.name == "RUNNING" and t.intermediate_values for t in trials)


def _checkpointed_run(storage) -> Path | None:
    """The run directory of the first trial once it is RUNNING and has a checkpoint (its first epoch ended)."""
    import optuna
    try:
        trials = _load_study(optuna, storage).trials
    except KeyError:  # NOTE: the study is not created yet
        return None
    # NOTE: the checkpoint is written before the epoch's validation loss is reported
    if not trials or trials[0].state.name != "RUNNING" or not trials[0].intermediate_values:
        return None
    return Path(trials[0].user_attrs["run_dir"])


def check_a_killed_workers_trial_is_failed_and_retried(out: Path, storage_argv: str, storage) -> None:
    """Start a worker, SIGKILL it mid-trial, start another: the stale trial is FAIL, and its retry continues
    its run from the checkpoint, ending exactly as an uninterrupted run with the same settings does."""
    import optuna
    preset = (Path(__file__).parents[2] / "presets" / "tabular_mlp.toml").read_text()
    endless = out / "endless.toml"  # NOTE: no early stopping, so the first worker is surely mid-trial;
    # one process per batch, so the retry and the reference run compute alike
    endless.write_text(preset.replace("patience = 30", "patience = 1000000")
                       .replace("\nseed = 0", "\nseed = 0\nworkers = 1"))
    common = ("--study", "s", "--storage", storage_argv, "--heartbeat", "1", "--preset", str(endless))
    with processes() as start:
        doomed = sweep_worker(start, out, 1, *common, "--epochs", "100000")
        deadline = time.monotonic() + 180
        while _checkpointed_run(storage) is None:
            assert doomed.poll() is None, doomed.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the first worker never started training"
            time.sleep(0.2)
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
        run_dir = _checkpointed_run(storage)
        assert run_dir is not None
        stopped_at = read_checkpoint(run_dir).epoch
        epochs = str(stopped_at + 2)
        params = _load_study(optuna, storage).trials[0].params
        reference = start(["-m", "tui", "--headless", "--preset", str(endless), "--epochs", epochs, "--out",
                           str(out / "reference"), *(f"--{name}={value!r}" for name, value in params.items())])
        time.sleep(5)  # NOTE: the grace period is 4 heartbeats of 1 s
        survivor = sweep_worker(start, out, 2, *common, "--epochs", epochs)
        stdout, stderr = survivor.communicate(timeout=240)
        assert reference.wait(timeout=240) == 0, reference.communicate()[1][-2000:]
    assert survivor.returncode == 0 and "Warning" not in stderr and "warning" not in stderr, stderr[-2000:]
    assert "1 already in the study" in stdout
    trials = _load_study(optuna, storage).trials
    assert [t.state.name for t in trials][0] == "FAIL" and len(trials) == 3
    retry = trials[1]
    assert retry.system_attrs["failed_trial"] == 0 and retry.params == trials[0].params
    assert [t.state.name in ("COMPLETE", "PRUNED") for t in trials[1:]] == [True, True]
    assert stdout.count("Trial ") == 2 and f"continued trial 0 after epoch {stopped_at}" in stdout
    # the retry went on in the killed trial's run directory from its checkpoint: the epochs after it only
    assert retry.user_attrs["run_dir"] == str(run_dir) and retry.user_attrs["continued"] == [0, stopped_at]
    assert sorted(retry.intermediate_values) == [stopped_at + 1, stopped_at + 2]
    (whole,) = (out / "reference").iterdir()
    assert (run_dir / "history.csv").read_text() == (whole / "history.csv").read_text()
    assert (run_dir / "model.npz").read_bytes() == (whole / "model.npz").read_bytes()
    continued, uninterrupted = (json.loads((d / "metrics.json").read_text()) for d in (run_dir, whole))
    assert continued["after"] == uninterrupted["after"] and retry.value == uninterrupted["best_val_loss"]
    assert json.loads((run_dir / "sweep.json").read_text())["trial"] == 1
