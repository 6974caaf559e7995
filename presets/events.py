"""Run-level events a preset Run sends to its callbacks, beside the fit loop's (npnn.events).

A front end (TUI or headless printer) receives, in order: RunPrepared, Evaluated(before, val/test),
RunStarted, the fit loop's events (EpochStarted, BatchEnded, EpochEnded, then a sequence run's SamplesDrawn
for that epoch, EarlyStopped, Finished | Failed, a sequence run's SamplesDrawn of its best weights),
Evaluated(after, val/test), then RunSaved. All are frozen dataclasses, safe to pass between threads.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from npnn.events import StopReason


@dataclass(frozen=True)
class RunPrepared:
    preset: str                  # the preset's name
    task: str                    # "regression", "classification" or "sequence"
    data_description: str        # e.g. "diabetes (442 rows, built in)"
    notice: str | None           # e.g. the MNIST fallback notice, None when nothing to say
    model_summary: tuple         # rows of (layer repr, output shape tuple, parameter count)
    num_parameters: int
    config: dict                 # the exact resolved config, seed included
    train_samples: int = 0       # rows (or images) in the training split
    target_std: tuple | None = None  # a standardised regression target's std per column, in its own units
    input_shape: tuple = ()      # one sample's shape, e.g. (10,) or (1, 8, 8): what the model editor checks against
    num_outputs: int = 0         # what the model must output per sample (classes, or regression targets)
    columns: tuple = ()          # a table's per-column notes (dicts: name, kind, why; presets.table.columns)
    table_notes: tuple = ()      # what the table reader did (delimiter, index column, rows left out)
    answers: bool = False        # a sequence task's rows are prompts and answers: exact match applies


@dataclass(frozen=True)
class Evaluated:
    stage: str                   # "before" or "after" (after: best weights restored)
    split: str                   # "val" or "test"
    metrics: dict = field(default_factory=dict)  # "loss", "mse", "mae", and "accuracy" for classification


@dataclass(frozen=True)
class RunStarted:
    """Training begins; its run directory exists (a sweep records it at once: a killed worker's trial is
    continued from the checkpoint there)."""
    run_dir: str


@dataclass(frozen=True)
class RunSaved:
    run_dir: str
    reason: StopReason           # the fit loop's reason, or FAILED, INTERRUPTED, PRUNED when an exception ended it
    workers: int | None = None   # the processes that computed its batches ("auto" resolved); None: no training
    advice: object = None        # presets.advice.Advice: the verdict and next step on the run


@dataclass(frozen=True)
class Paused:
    """A Step-mode run trained batch `batch` of `batches` in epoch `epoch` (loss `loss`) and waits;
    `running_loss` is the epoch's mean so far (FitLoop.running_loss), `lr` the optimizer's lr now."""
    epoch: int
    epochs: int
    batch: int
    batches: int
    loss: float | None
    running_loss: float | None = None
    lr: float | None = None


@dataclass(frozen=True)
class Answer:
    """A held-out prompt ("123+456="), the answer the data holds ("0579") and the one the model wrote greedily."""
    prompt: str
    expected: str
    answer: str

    @property
    def right(self) -> bool:
        return self.answer == self.expected


@dataclass(frozen=True)
class SamplesDrawn:
    """What a sequence model writes at the end of epoch `epoch` (presets.sequence.samples): its answers to
    fixed held-out prompts when the data has answers (the sums), else a line it generated after `prompt`
    (a fixed start of the validation text) at a temperature. Sent right after that epoch's EpochEnded
    when the samples fit their time budget, and after Finished with the best weights the run keeps
    (`best`: `epoch` is the best epoch) unless the last samples were of them."""
    epoch: int
    answers: tuple = ()          # Answer per held-out prompt
    prompt: str = ""             # text: the characters the line continues
    text: str | None = None      # text: the characters the model wrote
    best: bool = False           # drawn after the run with its best weights restored
