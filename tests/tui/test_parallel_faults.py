"""Faults with worker processes through the real entry point: signals stop every worker and save the partial
run, a killed worker fails the run with one line, a killed main process leaves no worker behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat") or not hasattr(signal, "SIGKILL"),
                                reason="reads processes from /proc; POSIX signals")
LONG_RUN = ["--headless", "--batch-size", "64", "--epochs", "100000", "--patience", "100000", "--out", "runs"]


def _spawn(spawn, args, tmp_path):
    """`python -m tui ARGS` in tmp_path, started by the `spawn` fixture (its group killed when the test ends)."""
    env = dict(os.environ, SCIKIT_LEARN_DATA=str(tmp_path / "sklearn_home"), PYTHONPATH=str(ROOT))
    return spawn([sys.executable, "-m", "tui", *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, text=True)


def _state(pid: int) -> str | None:
    """The process's state letter from /proc (R, S, Z, ...); None when there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return None


def _children(pid: int) -> list[int]:
    """The pids whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _training_with_workers(proc, count: int) -> list[int]:
    """Wait for the first epoch line (the workers are running by then) and return the workers' pids."""
    for line in proc.stdout:
        if line.startswith("Epoch "):
            break
    else:
        pytest.fail(f"the run ended before its first epoch: {proc.stderr.read()}")
    workers = _children(proc.pid)
    assert len(workers) == count, workers
    return workers


def _summary(tmp_path) -> dict:
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (run_dir / "model.npz").is_file()
    return json.loads((run_dir / "metrics.json").read_text())


@pytest.mark.parametrize("signum, code, name, group", [
    (signal.SIGTERM, 143, "SIGTERM", False), (signal.SIGINT, 130, "Ctrl+C", False),
    (signal.SIGTERM, 143, "SIGTERM", True), (signal.SIGINT, 130, "Ctrl+C", True), (signal.SIGHUP, 129, "SIGHUP", True)])
def test_a_signal_mid_run_stops_every_worker_and_saves_the_partial_run(spawn, tmp_path, signum, code, name, group):
    """`group`: sent to the whole process group, as a terminal's Ctrl+C or `kill -TERM -PGID` is."""
    proc = _spawn(spawn, [*LONG_RUN, "--workers", "2"], tmp_path)
    workers = _training_with_workers(proc, 1)
    time.sleep(0.3)  # NOTE: well inside an epoch's batches by now
    os.killpg(proc.pid, signum) if group else proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert f"Interrupted ({name})." in out and "Partial run saved to" in out and "Traceback" not in err
    assert [_state(pid) for pid in workers] == [None]  # NOTE: reaped by the run itself, not left to init
    summary = _summary(tmp_path)
    assert summary["reason"] == "interrupted" and summary["workers"] == 2


def test_a_killed_worker_fails_the_run_with_one_line_naming_it(spawn, tmp_path):
    proc = _spawn(spawn, [*LONG_RUN, "--workers", "3"], tmp_path)
    victim, other = _training_with_workers(proc, 2)
    os.kill(victim, signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"(pid {victim}) died (killed by signal 9)" in err and "worker" in err
    assert "Partial run saved to" in out
    assert _state(victim) is None and _state(other) is None
    summary = _summary(tmp_path)
    assert summary["reason"] == "failed" and f"pid {victim}" in summary["error"]


def test_workers_end_by_themselves_when_the_main_process_is_killed(spawn, tmp_path):
    proc = _spawn(spawn, [*LONG_RUN, "--workers", "3"], tmp_path)
    workers = _training_with_workers(proc, 2)
    os.kill(proc.pid, signal.SIGKILL)  # NOTE: only the main process: its workers are left to notice
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_state(pid) not in (None, "Z") for pid in workers):
        time.sleep(0.05)
    assert [_state(pid) in (None, "Z") for pid in workers] == [True, True]  # Z: exited, init reaps it
