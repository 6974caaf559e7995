"""The learning-rate range test (Smith 2015; fastai's `lr_find`): which learning rate to start from.

The model trains on successive batches while the learning rate grows exponentially from `start_lr` to
`end_lr`; the loss is smoothed (an exponential moving average with bias correction, as fastai's) and
the test stops once it explodes. NOTE: `smooth` is 0.9 where fastai's is 0.98: over 100 batches a longer
memory lags the loss by most of the range. The suggestion is the rate where the smoothed loss falls fastest
against log(lr). The model's weights and the optimizer's state are put back afterwards.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from npnn.tensor import Tensor

SKIP_START, SKIP_END = 10, 5  # NOTE: as fastai's: the first slopes show the smoothing starting up, the last the blow-up
MIN_FALL = 0.2  # the smoothed loss must fall this share below the first SKIP_START losses' mean for a suggestion


@dataclass(frozen=True)
class LRFinderResult:
    """Each tried lr with its batch loss and smoothed loss; `suggestion` (None when the loss never fell)
    and why the test stopped ("exploded", "end_lr" or "no more batches")."""
    lrs: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    smoothed: list = field(default_factory=list)
    suggestion: float | None = None
    stopped: str = "end_lr"


def _steepest(lrs: list[float], losses: list[float], smoothed: list[float]) -> float | None:
    """The lr where the smoothed loss falls fastest against log10(lr), if it fell by MIN_FALL at all."""
    end = len(lrs) - SKIP_END
    if end - SKIP_START < 3 or min(smoothed[SKIP_START:end]) > (1 - MIN_FALL) * float(np.mean(losses[:SKIP_START])):
        return None
    slopes = np.gradient(np.asarray(smoothed), np.log10(np.asarray(lrs)))[SKIP_START:end]
    i = int(np.argmin(slopes))
    return float(lrs[SKIP_START + i]) if slopes[i] < 0 else None


def lr_find(model, loss_fn, optimizer, train_loader, start_lr: float = 1e-7, end_lr: float = 10.0,
            num_iter: int = 100, smooth: float = 0.9, diverge: float = 4.0) -> LRFinderResult:
    """Train up to `num_iter` batches (cycling `train_loader` when it has fewer) with lr from `start_lr`
    to `end_lr`; stop when the smoothed loss exceeds `diverge` x its best. Weights and optimizer
    state are restored, so the model is as it was."""
    if not 0 < start_lr < end_lr or not math.isfinite(end_lr):
        raise ValueError(f"lr_find: expected 0 < start_lr < end_lr, got {start_lr!r} and {end_lr!r}")
    if isinstance(num_iter, bool) or not isinstance(num_iter, int) or num_iter < 2:
        raise ValueError(f"lr_find: num_iter must be an integer >= 2, got {num_iter!r}")
    if len(train_loader) == 0:
        raise ValueError("lr_find: the train loader has no batches")
    weights = model.state_dict()  # NOTE: copies
    saved = optimizer.state_dict()
    lrs_before = [group["lr"] for group in optimizer.param_groups]
    params = list(model.parameters())
    dtype = params[0].dtype if params else None
    factor = (end_lr / start_lr) ** (1 / (num_iter - 1))
    lrs, losses, smoothed = [], [], []
    average, best, stopped = 0.0, math.inf, "end_lr"
    was_training = model.training
    model.train()
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            batches = iter(train_loader)
            for i in range(num_iter):
                batch = next(batches, None)
                if batch is None:
                    batches = iter(train_loader)
                    batch = next(batches)
                xb, yb = (b.astype(dtype) if dtype is not None and b.dtype.kind == "f" else b for b in batch)
                lr = start_lr * factor ** i
                for group in optimizer.param_groups:
                    group["lr"] = lr
                optimizer.zero_grad()
                loss = loss_fn(model(Tensor(xb)), Tensor(yb))
                value = loss.item()
                if not math.isfinite(value):
                    stopped = "exploded"
                    break
                loss.backward()
                optimizer.step()
                average = smooth * average + (1 - smooth) * value
                current = average / (1 - smooth ** (i + 1))
                lrs.append(lr)
                losses.append(value)
                smoothed.append(current)
                best = min(best, current)
                if current > diverge * best:
                    stopped = "exploded"
                    break
    finally:
        model.load_state_dict(weights)
        optimizer.load_state_dict(saved)
        for group, lr in zip(optimizer.param_groups, lrs_before):
            group["lr"] = lr
        model.train(was_training)
        optimizer.zero_grad()
    return LRFinderResult(lrs, losses, smoothed, _steepest(lrs, losses, smoothed), stopped)
