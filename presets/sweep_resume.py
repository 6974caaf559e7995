"""A retried sweep trial goes on where the trial it retries stopped: a worker killed mid-trial (failed as
stale, presets.sweep_storage) or a sweep interrupted by Ctrl+C leaves that trial's run directory with its
checkpoint.npz; the retry continues that run in place, exactly as `npnn-tui --headless --resume` does.
A trial locks its run directory while it trains, so a retry never continues a run that a live worker
still writes (one whose heartbeats stopped for longer than the grace period, then came back).
"""
from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from presets.checkpoint import Checkpoint, CheckpointError, read_checkpoint

RUN_DIR_ATTR = "run_dir"        # a trial's user attribute: its run directory, recorded as soon as it exists
CONTINUED_ATTR = "continued"    # a trial's user attribute: [trial it retried, epoch it went on after] or None


@dataclass(frozen=True)
class Continuation:
    """What a retried trial does: go on from `checkpoint` (None: start over, `warning` saying why)."""
    retried: int | None                 # the number of the trial it retries; None for a new trial
    checkpoint: Checkpoint | None = None
    warning: str | None = None


def retried_number(frozen) -> int | None:
    """The trial `frozen` (a FrozenTrial) retries: the last of its retry history (Optuna's `failed_trial`
    names the first of a chain of retries; the last one holds the newest checkpoint)."""
    history = frozen.system_attrs.get("retry_history") or []
    return int(history[-1]) if history else None


class RunDirLock:
    """An exclusive flock on the run directory this process trains a trial in; the system drops it when
    the process dies, however it dies."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.fd: int | None = None

    def take(self, run_dir) -> bool:
        """Lock `run_dir` (letting go of the one held before); False when another process holds it."""
        if self.path == Path(run_dir):
            return True
        fd = os.open(run_dir, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.release()
        self.path, self.fd = Path(run_dir), fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
        self.path = self.fd = None


def continuation(study, trial, lock: RunDirLock) -> Continuation:
    """Where `trial` (running) starts: a new one from scratch; a retry from the checkpoint of the trial it
    retries (its run directory then locked by `lock`), or from scratch with a warning when that trial left
    none that can be read or its worker still trains it."""
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}  # NOTE: a running Trial shows no system attributes
    number = retried_number(trials[trial.number])
    if number is None:
        return Continuation(None)
    previous = trials.get(number)
    run_dir = None if previous is None else previous.user_attrs.get(RUN_DIR_ATTR)
    if not isinstance(run_dir, str):
        return Continuation(number, warning=starting_over(trial.number, number, "it left no run directory"))
    try:
        if not lock.take(run_dir):
            why = f"its run directory {run_dir} is in use by a worker still training it"
            return Continuation(number, warning=starting_over(trial.number, number, why))
    except OSError:
        pass  # NOTE: a run directory that is gone or unreadable: read_checkpoint says which
    try:
        return Continuation(number, read_checkpoint(run_dir))
    except CheckpointError as error:
        return Continuation(number, warning=starting_over(trial.number, number, str(error)))


def starting_over(trial: int, retried: int, why: str) -> str:
    """The one warning line of a retried trial that cannot go on where the trial it retries stopped."""
    return f"trial {trial} retries trial {retried} from the start: {why}"
