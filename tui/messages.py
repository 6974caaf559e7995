"""Messages the worker threads post to the UI: dataclasses carrying the run's own frozen events."""
from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from npnn.events import BatchEnded, EarlyStopped, EpochEnded, EpochStarted, Failed, Finished
from presets.events import Evaluated, RunPrepared, RunSaved, RunStarted, SamplesDrawn
from presets.run import Run, RunResult

# What a presets.Run sends its callbacks, in the order presets/events.py describes
RunEvent = (RunPrepared | Evaluated | RunStarted | EpochStarted | BatchEnded | EpochEnded | SamplesDrawn
            | EarlyStopped | Finished | Failed | RunSaved)


@dataclass
class TrainingEvents(Message):
    """Events of run `run_id` (presets.events and npnn.events), in the order the run sent them."""
    run_id: int
    events: tuple[RunEvent, ...]


@dataclass
class RunCompleted(Message):
    """Run `run_id` returned its RunResult; `run` is the Run itself (its model, best weights)."""
    run_id: int
    run: Run
    result: RunResult


@dataclass
class RunCrashed(Message):
    """Run `run_id` raised before or outside the fit loop (bad data path, missing column...)."""
    run_id: int
    message: str


@dataclass
class RunInterrupted(Message):
    """Run `run_id` stopped for a signal (RunController.interrupt) after saving what it had."""
    run_id: int


@dataclass
class SignalReceived(Message):
    """The process got SIGTERM, SIGHUP or SIGINT (tui.app_signals): the app stops its run, saves it and exits."""
    signum: int


@dataclass
class PreviewReady(Message):
    """The selected preset was prepared without training: its data source and model summary."""
    preset: str
    prepared: RunPrepared


@dataclass
class PreviewFailed(Message):
    """The selected preset could not be prepared (its data does not load, or its model does not fit it): why, in
    one line; `shapes` (input shape, outputs) when the data loaded, so the model editor can still check the model."""
    preset: str
    message: str
    shapes: tuple | None = None


@dataclass
class InsideSampled(Message):
    """Run `run_id`'s per-layer statistics on one sampled batch (sent only while the Inside tab is open)."""
    run_id: int
    sample: object  # npnn.diagnostics.InsideSample
