"""The learning-rate range test (npnn.lr_finder) on a preset: its model, loss, optimizer and training split
as a run would build them, the weights left as they were.

The data loader shuffles with the preset's seed and batch size, as the run's first epoch does. NOTE: the
test takes `num_iter` batches (100, as fastai's) cycling the training split when it has fewer: the suggestion
skips the first and last few points, and small tables (diabetes: 8 batches of 32) would leave none.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npnn.data import DataLoader
from npnn.lr_finder import LRFinderResult, lr_find
from presets.run import Run

START_LR, END_LR, NUM_ITER = 1e-7, 10.0, 100  # fastai's lr_find range and length


@dataclass(frozen=True)
class LRFind:
    """The range test's result on a preset, and the lr the preset has now (to compare with the suggestion)."""
    preset: str
    data_description: str
    current_lr: float
    result: LRFinderResult


def check_range(start_lr: float, end_lr: float, num_iter: int) -> None:
    """Refuse a range the test cannot run (ValueError naming the flag, the value and what it must be)."""
    if not np.isfinite(start_lr) or start_lr <= 0:
        raise ValueError(f"--start-lr {start_lr:g}: expected a number above 0")
    if not np.isfinite(end_lr) or end_lr <= start_lr:
        raise ValueError(f"--end-lr {end_lr:g}: expected a finite number above --start-lr {start_lr:g}")
    if num_iter < 2:
        raise ValueError(f"--num-iter {num_iter}: expected at least 2 batches")


def find_lr(run: Run, start_lr: float = START_LR, end_lr: float = END_LR, num_iter: int = NUM_ITER) -> LRFind:
    """Prepare `run` (data and model, as for training) and run the range test on it; its model's weights and
    its optimizer's state are put back, so the run can still train from where it was."""
    check_range(start_lr, end_lr, num_iter)
    prepared = run.prepare()
    splits, preset = run.splits, run.preset
    assert splits is not None  # NOTE: prepare() loaded them
    loader = DataLoader(splits.x_train, splits.y_train, batch_size=preset.batch_size, shuffle=True,
                        generator=np.random.default_rng(preset.seed))
    result = lr_find(run.model, run.loss_fn, run.optimizer, loader, start_lr=start_lr, end_lr=end_lr,
                     num_iter=num_iter)
    return LRFind(prepared.preset, prepared.data_description, preset.lr, result)


def table_rows(result: LRFinderResult, rows: int = 25) -> list[tuple[float, float, bool]]:
    """(lr, smoothed loss, is the suggestion) for up to `rows` evenly spaced tries, the suggestion's among them."""
    count = len(result.lrs)
    picked = set(np.linspace(0, count - 1, min(rows, count)).round().astype(int).tolist()) if count else set()
    if result.suggestion is not None:
        picked.add(result.lrs.index(result.suggestion))
    return [(result.lrs[i], result.smoothed[i], result.lrs[i] == result.suggestion) for i in sorted(picked)]


def summary(found: LRFind) -> str:
    """The suggestion in words, or why there is none."""
    result = found.result
    stop = {"exploded": "the loss exploded", "end_lr": "the end of the range",
            "no more batches": "no more batches"}.get(result.stopped, result.stopped)
    tried = f"{len(result.lrs)} batches, stopped at {stop}"
    if result.suggestion is None:
        return (f"No suggestion: the smoothed loss never fell enough ({tried}); keep lr {found.current_lr:g} "
                "or widen --start-lr / --end-lr")
    return (f"Suggested lr: {result.suggestion:.3g} (steepest fall of the smoothed loss; now {found.current_lr:g}; "
            f"{tried})")
