"""Data parallelism across worker processes: same gradients and trajectory as one process, clean failures."""
from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

import npnn
from npnn import nn, optim
from npnn.parallel import MIN_SLICE, DataParallel, WorkerError


def _cnn(seed: int = 0) -> nn.Module:
    g = np.random.default_rng(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, generator=g), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 5 * 5, 3, generator=g))


def _images(n: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 1, 12, 12)).astype(np.float32), rng.integers(0, 3, n)


def _grads(model) -> list[np.ndarray]:
    return [p.grad.copy() for p in model.parameters()]


def test_two_workers_give_the_whole_batch_gradient_and_loss():
    model, loss_fn = _cnn(), nn.CrossEntropyLoss()
    x, y = _images()
    with DataParallel(model, loss_fn, 1) as alone:
        loss_alone = alone.forward_backward(x, y)
    expected = _grads(model)
    with DataParallel(model, loss_fn, 2) as split:
        loss_split = split.forward_backward(x, y)
        assert split.slices(len(x)) == [(0, 32), (32, 64)]
    assert loss_split == pytest.approx(loss_alone, rel=1e-6)
    for got, want in zip(_grads(model), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_uneven_slices_are_weighted_by_their_share_of_the_batch():
    model, loss_fn = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 1)), nn.MSELoss()
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((3 * MIN_SLICE + 5, 5)), rng.standard_normal((3 * MIN_SLICE + 5, 1))
    x, y = x.astype(np.float32), y.astype(np.float32)
    with DataParallel(model, loss_fn, 1) as alone:
        want_loss = alone.forward_backward(x, y)
    want = _grads(model)
    with DataParallel(model, loss_fn, 3) as split:
        assert len(split.slices(len(x))) == 3
        got_loss = split.forward_backward(x, y)
    assert got_loss == pytest.approx(want_loss, rel=1e-6)
    for got, w in zip(_grads(model), want):
        np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-7)


def test_a_small_batch_is_computed_here_alone():
    with DataParallel(_cnn(), nn.CrossEntropyLoss(), 2) as split:
        assert split.slices(2 * MIN_SLICE - 1) == [(0, 2 * MIN_SLICE - 1)]


def test_fit_with_two_workers_follows_the_one_process_trajectory():
    x, y = _images(192, seed=1)
    histories = []
    for workers in (1, 2):
        model = _cnn(seed=5)
        loader = npnn.DataLoader(x[:128], y[:128], batch_size=64, generator=np.random.default_rng(7))
        history = npnn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2), loader,
                           val_data=(x[128:], y[128:]), epochs=4, workers=workers)
        histories.append((history, [p.data.copy() for p in model.parameters()]))
    (one, w_one), (two, w_two) = histories
    np.testing.assert_allclose(two.train_loss, one.train_loss, rtol=1e-4)
    np.testing.assert_allclose(two.val_loss, one.val_loss, rtol=1e-4)
    for a, b in zip(w_two, w_one):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def test_a_seed_fixes_a_run_with_dropout_for_a_given_worker_count():
    x, y = _images(128, seed=2)
    losses = []
    for _ in range(2):
        g = np.random.default_rng(11)
        model = nn.Sequential(nn.Flatten(), nn.Linear(144, 32, generator=g), nn.ReLU(),
                              nn.Dropout(0.5, generator=g), nn.Linear(32, 3, generator=g))
        loader = npnn.DataLoader(x, y, batch_size=64, generator=g)
        history = npnn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader,
                           epochs=3, workers=2, generator=g)
        losses.append(history.train_loss)
    assert losses[0] == losses[1]


def test_the_workers_end_with_the_run():
    model = _cnn()
    x, y = _images(64)
    loop = npnn.training.FitLoop(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                                 npnn.DataLoader(x, y, batch_size=64), epochs=1, workers=2)
    procs = list(loop.parallel._procs)
    assert all(p.poll() is None for p in procs)
    loop.run()
    assert all(p.poll() is not None for p in procs)


def test_a_killed_worker_is_reported_by_pid_and_signal():
    x, y = _images(64)
    split = DataParallel(_cnn(), nn.CrossEntropyLoss(), 2)
    try:
        pid = split._procs[0].pid
        os.kill(pid, signal.SIGKILL)
        split._procs[0].wait(timeout=10)
        with pytest.raises(WorkerError, match=rf"worker 1 \(pid {pid}\) died \(killed by signal 9\)"):
            split.forward_backward(x, y)
    finally:
        split.close()
    assert split._procs == []


def test_a_failing_worker_says_why_and_the_run_fails_cleanly():
    model = _cnn()
    x, y = _images(64)
    y_bad = y.copy()
    y_bad[40] = 99  # NOTE: out of range only in the worker's slice
    with DataParallel(model, nn.CrossEntropyLoss(), 2) as split:
        with pytest.raises(WorkerError, match="worker 1 failed"):
            split.forward_backward(x, y_bad)
        split.forward_backward(x, y)  # the worker goes on serving after a failed batch


class _LocalModel(nn.Module):
    def forward(self, x):
        return x


def test_a_model_whose_class_cannot_be_imported_by_a_worker_is_refused_by_name():
    _LocalModel.__qualname__ = "make.<locals>.LocalModel"
    model = _LocalModel()
    model.lin = nn.Linear(2, 2)
    with pytest.raises(WorkerError, match="importable module"):
        DataParallel(model, nn.MSELoss(), 2)


def test_workers_ignore_ctrl_c_and_exit_when_their_parent_closes():
    split = DataParallel(_cnn(), nn.CrossEntropyLoss(), 2)
    proc = split._procs[0]
    try:
        os.kill(proc.pid, signal.SIGINT)
        time.sleep(0.2)
        assert proc.poll() is None  # NOTE: Ctrl+C reaches the whole process group; the parent decides
    finally:
        split.close()
    assert proc.poll() is not None


def test_bad_worker_counts_are_refused():
    for workers in (0, -1, 1.5, True, "two"):
        with pytest.raises(ValueError, match="workers must be a positive integer"):
            DataParallel(_cnn(), nn.CrossEntropyLoss(), workers)


def test_auto_keeps_one_process_for_a_model_too_small_to_pay_and_changes_nothing():
    x = np.random.default_rng(0).standard_normal((640, 5)).astype(np.float32)
    y = np.random.default_rng(1).standard_normal((640, 1)).astype(np.float32)
    histories = []
    for workers in (1, "auto"):
        g = np.random.default_rng(4)
        model = nn.Sequential(nn.Linear(5, 8, generator=g), nn.ReLU(), nn.Dropout(0.2, generator=g),
                              nn.Linear(8, 1, generator=g))
        loop = npnn.training.FitLoop(model, nn.MSELoss(), optim.Adam(model.parameters()),
                                     npnn.DataLoader(x, y, batch_size=64, generator=g), epochs=3, workers=workers)
        histories.append(loop.run().train_loss)
        assert loop.parallel is None or loop.parallel.workers == 1
    assert histories[0] == histories[1]


def _auto(monkeypatch, pays: float, cores: int = 2):
    from npnn import parallel
    monkeypatch.setattr(parallel, "MIN_BATCH_SECONDS", 0.0)
    monkeypatch.setattr(parallel, "MIN_RUN_SECONDS", 0.0)
    monkeypatch.setattr(parallel, "PAYS", pays)
    return parallel.AutoParallel(_cnn(), nn.CrossEntropyLoss(), batches=100, cores=cores)


def test_auto_times_real_batches_then_keeps_the_workers_where_they_pay(monkeypatch):
    from npnn.parallel import TRIAL_ROUNDS
    x, y = _images(64)
    auto = _auto(monkeypatch, pays=1e9)  # any split "pays"
    try:
        for _ in range(TRIAL_ROUNDS + 1):
            auto.forward_backward(x, y)
        assert auto.workers == 2  # started after the batches alone were timed
        for _ in range(TRIAL_ROUNDS + 1):
            auto.forward_backward(x, y)
        assert auto.workers == 2 and not auto._deciding
    finally:
        auto.close()


def test_auto_goes_back_to_one_process_where_the_split_is_slower(monkeypatch):
    from npnn.parallel import TRIAL_ROUNDS
    x, y = _images(64)
    auto = _auto(monkeypatch, pays=0.0)  # no split pays
    for _ in range(2 * (TRIAL_ROUNDS + 1)):
        auto.forward_backward(x, y)
    assert auto.workers == 1 and auto._split is None and not auto._deciding


def test_auto_on_one_core_starts_nothing(monkeypatch):
    x, y = _images(64)
    auto = _auto(monkeypatch, pays=1e9, cores=1)
    for _ in range(20):
        auto.forward_backward(x, y)
    assert auto.workers == 1 and auto._split is None
