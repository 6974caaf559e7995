"""Runs that continue an earlier one: `resume_run` goes on in its directory, `fork_run` starts a new run
directory from its state (where it stopped, or after an earlier epoch, replayed from its seed)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from npnn.training import FitLoop
from presets.checkpoint import Checkpoint, read_checkpoint, refuse
from presets.control import drive
from presets.registry import load_preset
from presets.run import Run

CONFIG_FILE = "config.toml"


def resume_run(run_dir, epochs: int | None = None, workers: int | str | None = None) -> Run:
    """The run of `run_dir` set to go on from its checkpoint, in place; `epochs` a new budget (in all)."""
    run_dir = Path(run_dir)
    checkpoint = read_checkpoint(run_dir)
    preset = load_preset(run_dir / CONFIG_FILE, {} if epochs is None else {"epochs": epochs})
    return Run(preset, out_dir=run_dir.parent, resume=checkpoint, workers=workers)


def fork_run(run_dir, overrides: dict, out_dir, from_epoch: int | str | None = None,
             workers: int | str | None = None) -> Run:
    """A new run from `run_dir`'s state after `from_epoch` (a number, "best", or None: where it stopped),
    with `overrides` (key → value) changed; it makes none of the parent's later [[changes]]."""
    run_dir = Path(run_dir)
    checkpoint = read_checkpoint(run_dir)
    history = checkpoint.loop["history"]
    epoch = history["best_epoch"] if from_epoch == "best" else None if from_epoch is None else int(from_epoch)
    if from_epoch == "best" and epoch is None:
        refuse(run_dir, "it has no best epoch yet")
    between = checkpoint.batch >= checkpoint.loop["batches"]
    if epoch is not None and not (epoch == checkpoint.epoch and between):
        checkpoint = _replayed(run_dir, checkpoint, epoch, workers)
    preset = replace(load_preset(run_dir / CONFIG_FILE, overrides), changes=())
    return Run(preset, out_dir=out_dir, resume=checkpoint, fork=dict(overrides), workers=workers)


def _replayed(run_dir: Path, checkpoint: Checkpoint, epoch: int, workers) -> Checkpoint:
    """The state after `epoch`, trained again from the run's seed and [[changes]]: a run is the same run
    however often it is trained (on one machine, with the same threads), so this is the state it had."""
    done = len(checkpoint.loop["history"]["epoch"])
    if not 1 <= epoch <= done:
        refuse(run_dir, f"--from-epoch {epoch}: it has finished epochs 1 to {done}")
    if checkpoint.run.get("parent") is not None:
        refuse(run_dir, f"--from-epoch {epoch}: it is a fork, whose earlier epochs its config.toml cannot replay; "
                        f"fork it from where it stopped, or fork its parent")
    preset = load_preset(run_dir / CONFIG_FILE)
    run = Run(preset, out_dir=run_dir.parent, workers=workers)
    run.prepare()
    loop: FitLoop = run.fit_loop((), should_stop=lambda: loop.epoch >= epoch and loop.batch >= loop.batches)
    drive(loop, None, preset.changes)
    assert loop.final_state is not None  # NOTE: set when the run ended
    return Checkpoint(run_dir, loop.final_state, {**checkpoint.run, "stopped": False})
