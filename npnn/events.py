"""Events the fit loop sends to its callbacks: plain frozen dataclasses, safe to pass between threads.

A callback is any callable taking one event. Epochs count from 1; `epochs` is the budget.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EpochStarted:
    epoch: int
    epochs: int
    batches: int


@dataclass(frozen=True)
class BatchEnded:
    """Sent at a bounded rate (not for every batch), and always for an epoch's last batch."""
    epoch: int
    epochs: int
    batch: int
    batches: int
    loss: float


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
class Finished:
    """The loop ended: reason is "completed", "early_stopped" or "stopped" (should_stop said so)."""
    reason: str
    history: object  # npnn.training.History


@dataclass(frozen=True)
class Failed:
    error: BaseException
    history: object
