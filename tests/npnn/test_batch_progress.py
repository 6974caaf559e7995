"""BatchEnded's running loss: exact over the epoch's batches however the events are throttled (Keras' progress bar)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.events import BatchEnded, EpochEnded
from npnn.optim import SGD
from npnn.training import FitLoop

rng = np.random.default_rng(1)
X = rng.normal(size=(50, 3)).astype(np.float32)  # 50 = 6 batches of 8 and one of 2: the last weighs less
Y = X @ np.array([[1.0], [-1.0], [2.0]], dtype=np.float32)


def _loop(callbacks, interval, nan_row=None):
    npnn.manual_seed(0)
    model = nn.Linear(3, 1)
    x = X.copy()
    if nan_row is not None:
        x[nan_row] = np.nan  # bad data: a skipped step, not a divergence
    loader = npnn.DataLoader(x, Y, batch_size=8, shuffle=False)
    return FitLoop(model, nn.MSELoss(), SGD(model.parameters(), lr=0.01), loader, epochs=2, callbacks=callbacks,
                   batch_event_interval=interval, workers=1)


@pytest.mark.parametrize("interval", [0, 3600])
def test_the_running_loss_is_the_sample_weighted_mean_of_the_epoch_s_batches_so_far(interval):
    events = []
    loop = _loop([events.append], interval)
    losses, sizes = [], [8] * 6 + [2]
    while loop.step_batch():
        losses.append(loop.last_loss)
        if loop.batch and loop.batch < loop.batches:  # mid-epoch: the loop's own running mean
            n = sizes[:loop.batch]
            expected = sum(l * s for l, s in zip(losses[-loop.batch:], n)) / sum(n)
            assert loop.running_loss == pytest.approx(expected, rel=1e-12)
    reported = [e for e in events if isinstance(e, BatchEnded)]
    assert all(e.lr == 0.01 for e in reported)
    epochs = [e for e in events if isinstance(e, EpochEnded)]
    last_of_each = [e for e in reported if e.batch == e.batches]
    assert [e.running_loss for e in last_of_each] == pytest.approx([e.train_loss for e in epochs], rel=1e-12)
    assert [e.samples for e in last_of_each] == [50, 50]
    if interval == 0:  # every batch reported: each running mean is the weighted mean of the losses before it
        first_epoch = reported[:7]
        for k, event in enumerate(first_epoch, start=1):
            expected = sum(e.loss * s for e, s in zip(first_epoch[:k], sizes)) / sum(sizes[:k])
            assert event.running_loss == pytest.approx(expected, rel=1e-12) and event.samples == sum(sizes[:k])


def test_a_non_finite_batch_is_left_out_of_the_running_loss():
    events = []
    loop = _loop([events.append], 0, nan_row=0)
    loop.step_batch()
    assert math.isnan(loop.last_loss) and loop.running_loss is None
    loop.step_batch()
    second = [e for e in events if isinstance(e, BatchEnded)][1]
    assert second.running_loss == pytest.approx(second.loss) and second.samples == 8
