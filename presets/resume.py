"""How a Run keeps and uses checkpoint.npz: written at the end of each epoch (within a time budget), where
a stop ended the run and when it is interrupted; loaded before a resumed or forked run trains (refused
before anything is written when it does not fit); the [[changes]] still to come after it."""
from __future__ import annotations

from time import perf_counter
from typing import Any

from npnn.events import EpochEnded, StopReason
from presets.checkpoint import Checkpoint, refuse, write_checkpoint
from presets.control import Change, next_position
from presets.events import Evaluated
from presets.settings import OPTIONS_KEY

BUDGET = 0.05  # the share of the training time (the epochs' own seconds) checkpoint writes may take


class Checkpointer:
    """A fit-loop callback keeping the run's checkpoint (set `loop` before training).

    Each epoch's end state is kept in memory and written when the writes so far have taken at most
    BUDGET of the training time (every epoch, unless epochs take milliseconds); `flush()` writes the kept
    one when the run ends, fails or is interrupted. Either way the file holds a consistent epoch end.
    """

    def __init__(self, run, state) -> None:
        self.run, self.state = run, state
        self.loop: Any = None  # the run's FitLoop, set once it is built
        self.latest: dict | None = None  # the last epoch end's state, not yet written when `unwritten`
        self.unwritten = False
        self.trained = self.spent = 0.0  # seconds of training, seconds of checkpointing

    def __call__(self, event) -> None:
        if isinstance(event, EpochEnded) and self.state.run_dir is not None:
            start = perf_counter()
            self.latest, self.unwritten = self.loop.state_dict(), True
            self.trained += event.seconds
            if self.spent <= BUDGET * self.trained:
                self.flush()
            self.spent += perf_counter() - start

    def flush(self) -> None:
        """Write the last epoch end's state if it is not on disk yet."""
        if self.unwritten:
            assert self.latest is not None  # NOTE: set with unwritten
            self.write(self.latest)
            self.unwritten = False

    def at_end(self, loop) -> None:
        """A stopped run's checkpoint is where it stopped, between two batches; an ended run's is its last
        epoch's (an interrupted or failed one keeps its last finished epoch's: `flush`)."""
        if loop.history.stop_reason == StopReason.STOPPED and loop.final_state is not None:
            self.write(loop.final_state, stopped=True)
            self.unwritten = False
        else:
            self.flush()

    def write(self, loop_state: dict, stopped: bool = False) -> None:
        run = self.run
        part = {"preset": run.preset.name, "started": self.state.started, "before": self.state.before,
                "optimizer": _class(run.optimizer), "scheduler": _class(run.scheduler), "stopped": stopped,
                "changes": [[c.epoch, c.batch, c.name, c.value] for c in _planned(run)], "parent": parent(run),
                "vocab": run.splits.preprocessing.get("vocab")}
        write_checkpoint(self.state.run_dir, loop_state, part)


def _class(obj) -> str | None:
    return None if obj is None else type(obj).__name__


def _planned(run) -> tuple:
    """The [[changes]] this run replays: a resumed run's are its checkpoint's (config.toml lists only those
    already made when it was saved), a fork's and a new run's its preset's."""
    if run.resume is not None and run.fork is None:
        return tuple(Change(*item) for item in run.resume.run.get("changes", []))
    return run.preset.changes


def check_tokens(checkpoint: Checkpoint, vocab: str | None) -> None:
    """A sequence run goes on over the same characters: token i must still mean the character it was trained
    on (a changed text would silently scramble every embedding). CheckpointError names both vocabularies."""
    saved = checkpoint.run.get("vocab")
    if saved is not None and saved != vocab:
        def shown(text) -> str:
            return "none" if text is None else repr(text if len(text) <= 40 else text[:37] + "...")
        refuse(checkpoint.run_dir, f"its data's characters changed since it was trained (vocabulary {shown(saved)} "
                                   f"-> {shown(vocab)}): token ids would mean other characters; continue it on the "
                                   "text it was trained on")


def continue_loop(run, loop) -> tuple:
    """Load the run's checkpoint into `loop` (CheckpointError when it does not fit); return the [[changes]]
    still to make. A fork makes none of its parent's later ones: its settings are the command line's."""
    checkpoint: Checkpoint = run.resume
    fresh = dict(run.optimizer.param_groups[0])  # the hyperparameters this run's settings give
    try:
        for part, obj in (("optimizer", run.optimizer), ("scheduler", run.scheduler)):
            if checkpoint.run[part] != _class(obj):
                refuse(checkpoint.run_dir, f"it was saved by a run with {part} {checkpoint.run[part]}, "
                                           f"this run has {_class(obj)}")
        saved = checkpoint.loop
        if saved["epoch"] + (saved["batch"] >= saved["batches"]) > loop.epochs:
            refuse(checkpoint.run_dir, f"it has trained {saved['epoch']} epoch(s), and this run's budget is "
                                       f"{loop.epochs}: give a larger epoch budget (--epochs, in all) to go on")
        try:
            loop.load_state_dict(checkpoint.loop)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, RuntimeError) as error:
            refuse(checkpoint.run_dir, f"it does not fit this run ({str(error).splitlines()[0]})")
    except BaseException:
        if loop.parallel is not None:
            loop.parallel.close()
        raise
    if run.fork is not None:
        _apply_changed_settings(run, loop, fresh)
        return ()
    upcoming, stopped = next_position(loop), bool(checkpoint.run.get("stopped"))
    return tuple(c for c in _planned(run) if (c.epoch, c.batch) > upcoming
                 or ((c.epoch, c.batch) == upcoming and not stopped))


def _apply_changed_settings(run, loop, fresh: dict) -> None:
    """A fork's settings from its command line win over the parent's optimizer state (lr, momentum, ...)."""
    changed = {**run.fork, **run.fork.get(OPTIONS_KEY, {})}
    for name in run.optimizer.hyperparameters():
        if name in changed:
            for group in run.optimizer.param_groups:
                group[name] = fresh[name]
    if "max_grad_norm" in changed:
        loop.max_grad_norm = run.preset.max_grad_norm


def before(run, emit) -> dict:
    """The metrics before training, as the first part of the run measured them (sent again as events)."""
    result = run.resume.run["before"]
    for split in ("val", "test"):
        emit(Evaluated("before", split, dict(result[split])))
    return result


def parent(run) -> dict | None:
    """The run this one was forked from (its directory and epoch), kept through later resumes."""
    if run.resume is None:
        return None
    if run.fork is not None:
        return {"run": str(run.resume.run_dir), "epoch": run.resume.epoch}
    return run.resume.run.get("parent")
