"""Events the fit loop sends to its callbacks: plain frozen dataclasses, safe to pass between threads.

A callback is any callable taking one event. Epochs count from 1; `epochs` is the budget.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # NOTE: npnn.history imports this module at run time
    from npnn.history import History


class StopReason(str, Enum):
    """How a run ended: History.stop_reason, Finished.reason, and "reason" in a run's metrics.json.

    A str, so `reason == "completed"` and JSON keep working; str() and f-strings give the value.
    """
    COMPLETED = "completed"          # the epoch budget ran out
    EARLY_STOPPED = "early_stopped"  # early stopping saw no improvement for `patience` epochs
    DIVERGED = "diverged"            # a batch of finite data gave a non-finite loss
    STOPPED = "stopped"              # should_stop() or FitLoop.stop(): asked to stop
    FAILED = "failed"                # an exception ended it (Failed)
    INTERRUPTED = "interrupted"      # KeyboardInterrupt (Ctrl+C, or a signal a front end turns into one)
    PRUNED = "pruned"                # a sweep's pruner cut the trial short (set by presets.run)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class EpochStarted:
    epoch: int
    epochs: int
    batches: int


@dataclass(frozen=True)
class BatchEnded:
    """Sent at a bounded rate (not for every batch), and always for an epoch's last batch. `loss` is this
    batch's; `running_loss` the exact sample-weighted mean of the epoch's finite batch losses so far (Keras'
    progress bar) over `samples` samples, None before any was finite; `lr` the one this batch trained with."""
    epoch: int
    epochs: int
    batch: int
    batches: int
    loss: float
    running_loss: float | None = None
    samples: int = 0
    lr: float | None = None


@dataclass(frozen=True)
class EpochEnded:
    epoch: int
    epochs: int
    train_loss: float
    val_loss: float | None
    metrics: dict = field(default_factory=dict)  # validation metrics by name, e.g. {"mse": .., "mae": ..}
    lr: float = 0.0
    skipped_steps: int = 0                       # non-finite steps the optimizer refused, in total
    best_epoch: int | None = None
    best_value: float | None = None
    improved: bool = False
    seconds: float = 0.0


@dataclass(frozen=True)
class EarlyStopped:
    epoch: int
    best_epoch: int
    best_value: float


@dataclass(frozen=True)
class Diverged:
    """The loss of a batch whose data is finite became NaN or Inf: the run stops (Keras' TerminateOnNaN).

    Sent after the EpochEnded of that (partial) epoch; the best weights, if an epoch was finite and
    early stopping keeps them, are restored. `origin` says which layer first produced non-finite
    values (npnn.diagnostics.nan_origin), None when a replay of the batch could not tell."""
    epoch: int
    batch: int
    loss: float
    best_epoch: int | None
    best_value: float | None
    origin: str | None = None


@dataclass(frozen=True)
class HyperparameterChanged:
    """A hyperparameter changed between batches; batch `batch` of epoch `epoch` is the first to use `new`.

    The same record is kept in History.changes."""
    epoch: int
    batch: int
    name: str
    old: object
    new: object


@dataclass(frozen=True)
class Finished:
    """The loop ended: reason is COMPLETED, EARLY_STOPPED, DIVERGED or STOPPED (should_stop or stop())."""
    reason: StopReason
    history: History


@dataclass(frozen=True)
class Failed:
    """An exception ended the loop (history.stop_reason is FAILED, or INTERRUPTED for KeyboardInterrupt)."""
    error: BaseException
    history: History
