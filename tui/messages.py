"""Messages the worker threads post to the UI: dataclasses carrying the run's own frozen events."""
from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class TrainingEvents(Message):
    """Events of run `run_id` (presets.events and npnn.events), in the order the run sent them."""
    run_id: int
    events: tuple


@dataclass
class RunCompleted(Message):
    """Run `run_id` returned its presets.RunResult; `run` is the presets.Run (its model, best weights)."""
    run_id: int
    run: object
    result: object


@dataclass
class RunCrashed(Message):
    """Run `run_id` raised before or outside the fit loop (bad data path, missing column...)."""
    run_id: int
    message: str


@dataclass
class PreviewReady(Message):
    """The selected preset was prepared without training: its data source and model summary."""
    preset: str
    prepared: object


@dataclass
class PreviewFailed(Message):
    preset: str
    message: str
