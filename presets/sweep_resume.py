"""A retried sweep trial goes on where the trial it retries stopped: a worker killed mid-trial (failed as
stale, presets.sweep_storage) or a sweep interrupted by Ctrl+C leaves that trial's run directory with its
checkpoint.npz; the retry continues that run in place, exactly as `npnn-tui --headless --resume` does.
"""
from __future__ import annotations

from dataclasses import dataclass

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


def continuation(study, trial) -> Continuation:
    """Where `trial` (running) starts: a new one from scratch; a retry from the checkpoint of the trial it
    retries, or from scratch with a warning when that trial left none that can be read."""
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}  # NOTE: a running Trial shows no system attributes
    number = retried_number(trials[trial.number])
    if number is None:
        return Continuation(None)
    previous = trials.get(number)
    run_dir = None if previous is None else previous.user_attrs.get(RUN_DIR_ATTR)
    if not isinstance(run_dir, str):
        return Continuation(number, warning=starting_over(trial.number, number, "it left no run directory"))
    try:
        return Continuation(number, read_checkpoint(run_dir))
    except CheckpointError as error:
        return Continuation(number, warning=starting_over(trial.number, number, str(error)))


def starting_over(trial: int, retried: int, why: str) -> str:
    """The one warning line of a retried trial that cannot go on where the trial it retries stopped."""
    return f"trial {trial} retries trial {retried} from the start: {why}"
