"""Workers inside the driveable fit loop: Step mode with a hot edit, hooks and the Inside monitor on this
process's slice, BatchNorm's running statistics from this process's slice."""
from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn, optim
from npnn.diagnostics.switch import MonitorSwitch
from npnn.parallel import DataParallel
from npnn.training import FitLoop
from tests.npnn.test_parallel import _cnn, _images


def _stepped(workers: int):
    """Six batches driven one at a time (Step mode), lr halved by a hot edit after the third."""
    x, y = _images(192, seed=1)
    model = _cnn(seed=5)
    loop = FitLoop(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                   npnn.DataLoader(x[:128], y[:128], batch_size=64, generator=np.random.default_rng(7)),
                   val_data=(x[128:], y[128:]), epochs=4, workers=workers)
    losses = []
    try:
        for step in range(6):
            if step == 3:
                loop.set_hyperparameter("lr", 0.05)
            assert loop.step_batch()
            losses.append(loop.last_loss)
        assert loop.parallel is None or loop.parallel.workers == workers
    finally:
        loop.stop()
    return losses, loop.history, [p.data.copy() for p in model.parameters()]


def test_step_mode_with_a_hot_edit_follows_the_one_process_run():
    one_losses, one_history, one_weights = _stepped(1)
    two_losses, two_history, two_weights = _stepped(2)
    np.testing.assert_allclose(two_losses, one_losses, rtol=1e-4)
    assert [(c.epoch, c.batch, c.name, c.new) for c in two_history.changes] == [(2, 2, "lr", 0.05)]
    assert [(c.epoch, c.batch) for c in one_history.changes] == [(2, 2)]
    np.testing.assert_allclose(two_history.val_loss, one_history.val_loss, rtol=1e-4)
    for a, b in zip(two_weights, one_weights):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def test_hooks_stay_here_and_see_this_process_slice():
    model = _cnn()
    x, y = _images(64)
    seen, grads = [], []
    model[0].register_forward_hook(lambda module, args, output: seen.append(len(args[0].data)))
    model[4].weight.register_hook(lambda grad: grads.append(grad.shape))  # NOTE: closures do not pickle
    with DataParallel(model, nn.CrossEntropyLoss(), 2) as split:
        loss = split.forward_backward(x, y)
    assert seen == [32] and grads == [model[4].weight.shape] and np.isfinite(loss)
    with DataParallel(model, nn.CrossEntropyLoss(), 1) as alone:
        assert alone.forward_backward(x, y) == pytest.approx(loss, rel=1e-5)
    assert seen == [32, 64]


def test_the_inside_monitor_samples_a_run_with_workers():
    x, y = _images(128, seed=3)
    model = _cnn()
    switch, samples = MonitorSwitch(), []
    switch.bind(model)
    switch.watch(samples.append, every=1)
    loop = FitLoop(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2),
                   npnn.DataLoader(x, y, batch_size=64, generator=np.random.default_rng(1)), epochs=2,
                   callbacks=(switch,), batch_event_interval=0, workers=2)
    try:
        while loop.step_batch():
            pass
    finally:
        loop.stop()
    assert len(samples) >= 3
    for sample in samples:
        assert len(sample.layers) == 5
        assert all(np.isfinite(value) for layer in sample.layers for value in (layer.weight_norm or 0.0,
                                                                              layer.grad_norm or 0.0))


def test_batchnorm_running_statistics_come_from_this_process_slice():
    def model():
        g = np.random.default_rng(2)
        return nn.Sequential(nn.Conv2d(1, 3, 3, generator=g), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                             nn.Linear(3 * 10 * 10, 3, generator=g))
    x, y = _images(64, seed=4)
    x = x * 3 + 1  # NOTE: statistics far from the initial zeros and ones
    split_model, main_slice = model(), model()
    with DataParallel(split_model, nn.CrossEntropyLoss(), 2) as split:
        start, stop = split.slices(len(x))[0]
        split.forward_backward(x, y)
    main_slice(npnn.Tensor(x[start:stop]))  # the same model on this process's slice alone, in train mode
    bn, want = split_model[1], main_slice[1]
    for name in ("running_mean", "running_var"):
        got = getattr(bn, name).data
        assert np.isfinite(got).all()
        assert not np.allclose(got, getattr(model()[1], name).data)  # updated
        np.testing.assert_allclose(got, getattr(want, name).data, rtol=1e-5, atol=1e-6)
    assert int(bn.num_batches_tracked.data) == 1
