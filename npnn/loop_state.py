"""A FitLoop's state dict (FitLoop.state_dict / load_state_dict): everything to continue a run exactly.

Between two batches a run is: (epoch, batch), the open epoch's loss sum, the hyperparameter changes asked
for and not yet applied, the history so far, the last weights, and the state dicts of the optimizer, lr
schedule, early stopping and loader (the loader's holds the generator that also draws the Dropout masks).
Copies only; no worker state, so a state does not depend on `workers`.
"""
from __future__ import annotations

from collections import deque
from time import perf_counter

import numpy as np


def state_dict(loop) -> dict:
    """`loop`'s state now; after the run has ended, the state it had when it ended (`final_state`)."""
    if loop.done:
        if loop.final_state is not None:
            return loop.final_state
        raise RuntimeError(f"FitLoop.state_dict: the run failed ({loop.history.stop_reason}); "
                           "take the state at its last EpochEnded event")
    return {"epoch": loop.epoch, "batch": loop.batch, "batches": loop.batches, "epochs": loop.epochs,
            "max_grad_norm": loop.max_grad_norm, "total": loop._total, "count": loop._count, "lr": loop._lr,
            "pending": [list(change) for change in loop._pending], "history": loop.history.state_dict(),
            "model": {k: np.copy(v) for k, v in loop.model.state_dict().items()},
            "optimizer": loop.optimizer.state_dict(), "loader": loop.train_loader.state_dict(),
            "scheduler": None if loop.scheduler is None else loop.scheduler.state_dict(),
            "early_stopping": None if loop.early_stopping is None else loop.early_stopping.state_dict()}


def _check(loop, s: dict) -> bool:
    """ValueError / RuntimeError unless `s` can continue in `loop`; whether it is between two epochs."""
    if loop.epoch or loop.history.epoch:
        raise RuntimeError("FitLoop.load_state_dict: this loop has already trained; load into a fresh one")
    for name in ("scheduler", "early_stopping"):
        if (s[name] is None) != (getattr(loop, name) is None):
            raise ValueError(f"FitLoop.load_state_dict: the saved run {'had no' if s[name] is None else 'had a'} "
                             f"{name.replace('_', ' ')}, this loop {'has one' if s[name] is None else 'has none'}")
    between = s["batch"] >= s["batches"]
    if s["epoch"] + between > loop.epochs:
        raise ValueError(f"FitLoop.load_state_dict: the saved run has trained {s['epoch']} epoch(s); "
                         f"epochs={loop.epochs} leaves none to train")
    return between


def load_state_dict(loop, s: dict) -> None:
    """Put `s` (from `state_dict`) into a fresh `loop`; its next batch is the one after (epoch, batch)."""
    between = _check(loop, s)
    loop.model.load_state_dict({k: np.copy(v) for k, v in s["model"].items()})
    loop.optimizer.load_state_dict(s["optimizer"])
    if loop.scheduler is not None:
        loop.scheduler.load_state_dict(s["scheduler"])
    if loop.early_stopping is not None:
        loop.early_stopping.load_state_dict(s["early_stopping"])
    # NOTE: between epochs the next one draws a new order: the saved one's length and position do not
    # matter (a fork may change the batch size)
    loop.train_loader.load_state_dict({**s["loader"], "order": None, "position": 0} if between else s["loader"])
    loop.history.load_state_dict(s["history"])
    loop.epoch, loop.batch, loop.batches = int(s["epoch"]), int(s["batch"]), int(s["batches"])
    loop.max_grad_norm, loop._lr = s["max_grad_norm"], float(s["lr"])
    loop._total, loop._count = float(s["total"]), int(s["count"])
    loop._pending = deque(tuple(change) for change in s["pending"])
    loop._open = not between
    if loop._open:  # NOTE: the loader continues the saved epoch's order from its position
        loop._started = loop._last_event = perf_counter()
        loop.model.train()
        loop._batches = iter(loop.train_loader)
