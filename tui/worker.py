"""The bodies of the app's thread workers: they train or prepare a presets.Run and only post Messages.

Training runs with NumPy's BLAS pool sized by tui.blas (one thread: the UI thread takes the other core).
"""
from __future__ import annotations

from collections.abc import Callable
from time import monotonic

from npnn.events import BatchEnded, EpochEnded, EpochStarted
from tui.blas import training_blas_limit
from tui.messages import PreviewFailed, PreviewReady, RunCompleted, RunCrashed, RunInterrupted, TrainingEvents

POST_INTERVAL = 0.1  # seconds between posts of routine events
ROUTINE = (EpochStarted, BatchEnded, EpochEnded)  # everything else (Paused too) is posted at once


class EventBatcher:
    """Collects a run's events and posts them as one TrainingEvents message at most every POST_INTERVAL
    seconds; other events (prepared, evaluations, the end) are posted at once with what was pending.
    NOTE: each message wakes the UI thread, which then takes the GIL from the training thread, so a
    preset with 30 short epochs a second must not cost 90 wake-ups a second."""

    def __init__(self, run_id: int, post: Callable) -> None:
        self.run_id, self.post = run_id, post
        self.pending: list = []
        self.last = 0.0

    def __call__(self, event) -> None:
        self.pending.append(event)
        if not isinstance(event, ROUTINE) or monotonic() - self.last >= POST_INTERVAL:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.post(TrainingEvents(self.run_id, tuple(self.pending)))
            self.pending, self.last = [], monotonic()


def train(active, post: Callable) -> None:
    """Execute `active` (a presets.controller.ActiveRun), posting its events as TrainingEvents, then
    RunCompleted, RunCrashed or RunInterrupted."""
    batcher = EventBatcher(active.id, post)
    try:
        with training_blas_limit():
            result = active.execute(callbacks=(batcher,))
    except KeyboardInterrupt:  # NOTE: only the interrupt the controller handed its control (a signal) lands here
        batcher.flush()
        post(RunInterrupted(active.id))
        return
    except Exception as error:  # NOTE: any failure must reach the UI as a message, never kill the app
        batcher.flush()
        post(RunCrashed(active.id, str(error) or type(error).__name__))
        return
    batcher.flush()
    post(RunCompleted(active.id, active.run, result))


def preview(run, preset: str, post: Callable) -> None:
    """Prepare `run` (load data, build the model) to show the data source and model summary.
    NOTE: no threadpool_limits here: its exit restores the process-wide pool size, which would undo
    the training worker's limit if a preview ended while a run was going."""
    try:
        prepared = run.prepare()
    except Exception as error:  # NOTE: a preset whose data cannot load is shown as an error, not raised
        splits = run.splits  # set when the data loaded and the model did not fit it
        shapes = None if splits is None else (splits.input_shape, splits.num_outputs)
        post(PreviewFailed(preset, str(error) or type(error).__name__, shapes))
        return
    post(PreviewReady(preset, prepared))
