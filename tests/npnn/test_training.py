"""fit() and FitLoop: target loss, events, early stopping and restores, should_stop, failures, NaN guard,
divergence, driving a batch at a time, hyperparameters changed between batches."""
import dataclasses
import warnings

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.events import (BatchEnded, Diverged, EarlyStopped, EpochEnded, EpochStarted, Failed, Finished,
                         HyperparameterChanged)
from npnn.optim import SGD, Adam
from npnn.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from npnn.training import FitLoop, fit

rng = np.random.default_rng(0)
X = rng.normal(size=(96, 3)).astype(np.float32)
W = np.array([[1.5], [-2.0], [0.5]], dtype=np.float32)
Y = X @ W + 0.05 * rng.normal(size=(96, 1)).astype(np.float32)


def linear(seed=0):
    npnn.manual_seed(seed)
    return nn.Linear(3, 1)


class Recorder:
    """Keeps every event and, at each EpochEnded, a copy of the model's weights."""

    def __init__(self, model=None):
        self.events, self.weights, self.model = [], {}, model

    def __call__(self, event):
        self.events.append(event)
        if isinstance(event, EpochEnded) and self.model is not None:
            self.weights[event.epoch] = {k: v.copy() for k, v in self.model.state_dict().items()}

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]


def test_fit_on_a_small_regression_reaches_the_target_loss():
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1))
    loader = npnn.DataLoader(X[:64], Y[:64], batch_size=16)
    history = fit(model, nn.MSELoss(), Adam(model.parameters(), lr=0.02), loader, val_data=(X[64:], Y[64:]),
                  epochs=60, metrics=("mse", "r2"))
    assert history.stop_reason == "completed" and len(history) == 60 and history.epoch[0] == 1
    assert history.val_loss[-1] < 0.05 and history.metrics["r2"][-1] > 0.99
    assert history.train_loss[-1] < history.train_loss[0] / 20
    assert history.best_value == min(history.val_loss) and history.val_loss[history.best_epoch - 1] == history.best_value


def test_events_arrive_in_order_and_batch_events_are_throttled():
    rec = Recorder()
    model = linear()
    loader = npnn.DataLoader(X, Y, batch_size=8)
    fit(model, nn.MSELoss(), SGD(model.parameters(), lr=0.05), loader, epochs=2, callbacks=[rec],
        batch_event_interval=3600)
    kinds = [type(e).__name__ for e in rec.events]
    assert kinds == ["EpochStarted", "BatchEnded", "EpochEnded"] * 2 + ["Finished"]
    assert rec.of(BatchEnded)[0].batch == rec.of(BatchEnded)[0].batches == 12
    assert rec.of(EpochStarted)[1] == EpochStarted(epoch=2, epochs=2, batches=12)
    end = rec.of(EpochEnded)[1]
    assert end.val_loss is None and end.lr == 0.05 and end.skipped_steps == 0 and end.seconds > 0
    assert rec.of(Finished)[0].reason == "completed"
    rec = Recorder()
    fit(model, nn.MSELoss(), SGD(model.parameters(), lr=0.05), loader, epochs=1, callbacks=[rec],
        batch_event_interval=0)
    assert [e.batch for e in rec.of(BatchEnded)] == list(range(1, 13))


def conflicting_data():
    """Training pulls the weight toward 2, validation prefers 1: val loss falls, then rises."""
    x = np.linspace(-1, 1, 32, dtype=np.float32).reshape(-1, 1)
    return x, 2 * x, (x, x)


def one_weight():
    model = nn.Linear(1, 1, bias=False)
    model.weight.data[...] = 0.0
    return model


def test_early_stopping_stops_restores_the_best_epoch_and_reports_it():
    x, y, val = conflicting_data()
    model = one_weight()
    rec = Recorder(model)
    es = npnn.EarlyStopping(patience=3)
    history = fit(model, nn.MSELoss(), SGD(model.parameters(), lr=0.1), npnn.DataLoader(x, y, batch_size=8),
                  val_data=val, epochs=200, early_stopping=es, callbacks=[rec])
    assert history.stop_reason == "early_stopped" and history.stopped_epoch == es.stopped_epoch == len(history)
    assert history.best_epoch == es.best_epoch == len(history) - 3
    np.testing.assert_array_equal(model.weight.data, rec.weights[es.best_epoch]["weight"])
    assert rec.of(EarlyStopped) == [EarlyStopped(len(history), es.best_epoch, es.best_value)]
    assert rec.of(Finished)[0].reason == "early_stopped"
    assert abs(model.weight.data.item() - 1.0) < 0.25  # the val optimum, within one epoch of travel


def test_budget_exhausted_restores_the_best_weights():
    x, y, val = conflicting_data()
    model = one_weight()
    rec = Recorder(model)
    es = npnn.EarlyStopping(patience=1000)
    history = fit(model, nn.MSELoss(), SGD(model.parameters(), lr=0.1), npnn.DataLoader(x, y, batch_size=8),
                  val_data=val, epochs=30, early_stopping=es, callbacks=[rec])
    assert history.stop_reason == "completed" and 1 < es.best_epoch < 30
    np.testing.assert_array_equal(model.weight.data, rec.weights[es.best_epoch]["weight"])
    assert not np.array_equal(rec.weights[30]["weight"], rec.weights[es.best_epoch]["weight"])


def test_should_stop_ends_cleanly_between_batches_with_best_weights_restored():
    x, y, val = conflicting_data()
    model = one_weight()
    rec = Recorder(model)
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) > 32      # 1 + 4 checks an epoch: stops before the 2nd batch of epoch 7

    es = npnn.EarlyStopping(patience=1000)
    history = fit(model, nn.MSELoss(), SGD(model.parameters(), lr=0.1), npnn.DataLoader(x, y, batch_size=8),
                  val_data=val, epochs=100, early_stopping=es, should_stop=should_stop, callbacks=[rec])
    assert history.stop_reason == "stopped" and len(history) == 6 and history.stopped_epoch == 6
    assert rec.of(EpochStarted)[-1].epoch == 7 and len(rec.of(EpochEnded)) == 6
    assert rec.of(Finished)[0].reason == "stopped" and rec.of(Finished)[0].history is history
    np.testing.assert_array_equal(model.weight.data, rec.weights[es.best_epoch]["weight"])


@pytest.mark.parametrize("error,reason", [(RuntimeError("boom"), "failed"), (KeyboardInterrupt(), "interrupted")])
def test_an_exception_restores_best_weights_sends_failed_and_propagates(error, reason):
    x, y, val = conflicting_data()
    model = one_weight()
    rec = Recorder(model)
    mse, calls = nn.MSELoss(), []

    def loss_fn(pred, target):
        calls.append(1)
        if len(calls) > 22:
            raise error
        return mse(pred, target)

    es = npnn.EarlyStopping(patience=1000)
    with pytest.raises(type(error)):
        fit(model, loss_fn, SGD(model.parameters(), lr=0.1), npnn.DataLoader(x, y, batch_size=8),
            val_data=val, epochs=100, early_stopping=es, callbacks=[rec])
    failed = rec.of(Failed)
    assert len(failed) == 1 and failed[0].error is error and failed[0].history.stop_reason == reason
    assert len(failed[0].history) >= 1 and not rec.of(Finished)
    np.testing.assert_array_equal(model.weight.data, rec.weights[es.best_epoch]["weight"])


def test_nonfinite_batches_are_skipped_counted_and_leave_weights_finite():
    x = X.copy()
    x[5] = np.nan
    model = linear()
    rec = Recorder()
    history = fit(model, nn.MSELoss(), Adam(model.parameters(), lr=0.01),
                  npnn.DataLoader(x, Y, batch_size=8, shuffle=False), epochs=3, callbacks=[rec])
    assert history.skipped_steps == [1, 2, 3] and rec.of(EpochEnded)[-1].skipped_steps == 3
    assert np.isfinite(history.train_loss).all() and np.isfinite(model.weight.data).all()


def test_metrics_by_name_and_by_callable_are_computed_on_validation_predictions():
    model = linear()
    val = (X[64:], Y[64:])
    history = fit(model, nn.MSELoss(), SGD(model.parameters(), lr=0.05), npnn.DataLoader(X[:64], Y[:64]),
                  val_data=val, epochs=3, metrics={"mae": npnn.metrics.mae, "max_err":
                                                   lambda p, t: float(np.max(np.abs(p - t)))})
    with npnn.no_grad():
        pred = model(npnn.Tensor(val[0])).data
    assert history.metrics["mae"][-1] == pytest.approx(npnn.metrics.mae(pred, val[1]), rel=1e-6)
    assert history.metrics["max_err"][-1] == pytest.approx(np.max(np.abs(pred - val[1])), rel=1e-6)
    assert history.val_loss[-1] == pytest.approx(npnn.metrics.mse(pred, val[1]), rel=1e-5)
    assert list(history.rows()[0]) == ["epoch", "train_loss", "val_loss", "lr", "skipped_steps", "mae", "max_err"]


def test_classification_with_integer_labels_and_accuracy():
    npnn.manual_seed(1)
    x = rng.normal(size=(120, 2)).astype(np.float32)
    labels = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    model = nn.Linear(2, 2)
    history = fit(model, nn.CrossEntropyLoss(), Adam(model.parameters(), lr=0.05),
                  npnn.DataLoader(x[:90], labels[:90], batch_size=15), val_data=(x[90:], labels[90:]),
                  epochs=15, metrics=("accuracy",))
    assert history.metrics["accuracy"][-1] >= 0.9


def test_schedulers_step_per_epoch_and_plateau_uses_the_monitored_value():
    model = linear()
    opt = SGD(model.parameters(), lr=0.1)
    history = fit(model, nn.MSELoss(), opt, npnn.DataLoader(X, Y), epochs=4, scheduler=StepLR(opt, 2, 0.5))
    assert history.lr == [0.1, 0.1, 0.05, 0.05]
    x, y, val = conflicting_data()
    model = one_weight()
    opt = SGD(model.parameters(), lr=0.1)
    history = fit(model, nn.MSELoss(), opt, npnn.DataLoader(x, y, batch_size=8), val_data=val, epochs=20,
                  scheduler=ReduceLROnPlateau(opt, patience=0, factor=0.5))
    assert history.lr[0] == 0.1 and history.lr[-1] < 0.1 and history.lr == sorted(history.lr, reverse=True)


def test_train_mode_for_training_and_eval_mode_for_validation():
    class Spy(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Linear(3, 1)
            self.seen = set()

        def forward(self, x):
            self.seen.add((self.training, npnn.is_grad_enabled()))
            return self.inner(x)

    model = Spy()
    fit(model, nn.MSELoss(), SGD(model.parameters(), lr=0.01), npnn.DataLoader(X, Y), val_data=(X, Y), epochs=1)
    assert model.seen == {(True, True), (False, False)} and model.training is False


@pytest.mark.parametrize("kwargs,message", [
    (dict(epochs=0), "epochs must be a positive integer, got 0"),
    (dict(metrics=("mse",)), "pass val_data"),
    (dict(metrics=("f1",), val_data=(X, Y)), "unknown metric 'f1'"),
    (dict(max_grad_norm=-1.0), "max_grad_norm must be > 0"),
    (dict(val_data=(X, Y[:3])), "same number of samples"),
    (dict(train_loader=npnn.DataLoader(X)), "train_loader yields inputs only"),
])
def test_bad_arguments_are_clear_errors(kwargs, message):
    model = linear()
    kwargs = {"train_loader": npnn.DataLoader(X, Y), **kwargs}
    with pytest.raises(ValueError) as info:
        fit(model, nn.MSELoss(), SGD(model.parameters(), lr=0.01), **kwargs)
    assert message in str(info.value)


def test_a_reused_early_stopping_starts_afresh_in_each_fit():
    x, y, val = conflicting_data()
    es = npnn.EarlyStopping(patience=3)
    for _ in range(2):
        model = one_weight()
        history = fit(model, nn.MSELoss(), SGD(model.parameters(), lr=0.1), npnn.DataLoader(x, y, batch_size=8),
                      val_data=val, epochs=200, early_stopping=es)
        assert history.stop_reason == "early_stopped" and es.best_epoch == len(history) - 3


# ---- divergence -----------------------------------------------------------------------------------
def raise_lr_at(epoch, lr, loop_of):
    """A callback that sets the lr when `epoch` starts (a hot edit, from inside the run)."""
    def callback(event):
        if isinstance(event, EpochStarted) and event.epoch == epoch:
            loop_of().set_hyperparameter("lr", lr)
    return callback


def test_a_diverging_run_stops_as_diverged_restores_the_best_epoch_and_warns_nothing():
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1))
    rec, es = Recorder(model), npnn.EarlyStopping(patience=100)
    loops = []
    loop = FitLoop(model, nn.MSELoss(), SGD(model.parameters(), lr=0.05),
                   npnn.DataLoader(X[:64], Y[:64], batch_size=16), val_data=(X[64:], Y[64:]), epochs=50,
                   early_stopping=es, callbacks=[rec, raise_lr_at(4, 1e30, lambda: loops[0])],
                   batch_event_interval=3600)
    loops.append(loop)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = loop.run()
    assert [w for w in caught if issubclass(w.category, RuntimeWarning)] == []
    assert history.stop_reason == "diverged" and len(history) == 4 and np.isnan(history.val_loss[-1])
    diverged = rec.of(Diverged)
    assert len(diverged) == 1 and diverged[0].epoch == 4 and diverged[0].batch == 2
    assert not np.isfinite(diverged[0].loss) and diverged[0].best_epoch == es.best_epoch == 3
    assert [type(e) for e in rec.events[-4:]] == [BatchEnded, EpochEnded, Diverged, Finished]
    assert rec.of(BatchEnded)[-1].batch == 2 and rec.of(Finished)[0].reason == "diverged"
    assert history.skipped_steps[-1] == 1  # the diverging batch is a skipped step
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, rec.weights[3][name])


# ---- driving the loop a batch at a time -----------------------------------------------------------
def comparable(events):
    """Events without their durations (the only field that differs between identical runs)."""
    return [dataclasses.replace(e, seconds=0.0) if isinstance(e, EpochEnded) else
            (type(e), e.reason) if isinstance(e, Finished) else e for e in events]


def run_by(drive, epochs=3):
    model = linear(seed=4)
    rec = Recorder(model)
    npnn.manual_seed(9)
    loop = FitLoop(model, nn.MSELoss(), Adam(model.parameters(), lr=0.05),
                   npnn.DataLoader(X[:64], Y[:64], batch_size=16), val_data=(X[64:], Y[64:]), epochs=epochs,
                   early_stopping=npnn.EarlyStopping(patience=5), metrics=("mae",), callbacks=[rec],
                   batch_event_interval=0)
    drive(loop)
    return loop, rec, model


def test_step_batch_and_run_epoch_drive_the_same_loop_as_run():
    def by_batch(loop):
        while loop.step_batch():
            pass

    def by_epoch(loop):
        while loop.run_epoch():
            pass

    reference = run_by(lambda loop: loop.run())
    for drive in (by_batch, by_epoch):
        loop, rec, model = run_by(drive)
        assert comparable(rec.events) == comparable(reference[1].events)
        assert loop.history.train_loss == reference[0].history.train_loss
        assert loop.history.metrics == reference[0].history.metrics
        np.testing.assert_array_equal(model.weight.data, reference[2].weight.data)


def test_one_step_trains_one_batch_and_epochs_open_and_close_around_their_batches():
    loop, rec, model = run_by(lambda loop: None, epochs=2)
    assert (loop.epoch, loop.batch, loop.done, rec.events) == (0, 0, False, [])
    weight = model.weight.data.copy()
    assert loop.step_batch() is True
    assert (loop.epoch, loop.batch, loop.batches) == (1, 1, 4) and model.training
    assert [type(e) for e in rec.events] == [EpochStarted, BatchEnded] and np.isfinite(loop.last_loss)
    assert model.weight.grad is not None and not np.array_equal(model.weight.data, weight)
    for _ in range(3):
        loop.step_batch()
    assert [type(e) for e in rec.events[-2:]] == [BatchEnded, EpochEnded] and len(loop.history) == 1
    assert loop.run_epoch() is False and loop.done and loop.history.stop_reason == "completed"
    count = len(rec.events)
    assert loop.step_batch() is False and loop.run_epoch() is False and len(rec.events) == count


def test_stop_between_batches_ends_the_run_with_the_best_weights():
    x, y, val = conflicting_data()
    model = one_weight()
    rec, es = Recorder(model), npnn.EarlyStopping(patience=1000)
    loop = FitLoop(model, nn.MSELoss(), SGD(model.parameters(), lr=0.1), npnn.DataLoader(x, y, batch_size=8),
                   val_data=val, epochs=100, early_stopping=es, callbacks=[rec])
    for _ in range(4 * 6 + 2):
        loop.step_batch()
    loop.stop()
    assert loop.done and loop.history.stop_reason == "stopped" and len(loop.history) == 6
    assert rec.of(Finished)[0].reason == "stopped" and not model.training
    np.testing.assert_array_equal(model.weight.data, rec.weights[es.best_epoch]["weight"])


def test_a_hyperparameter_changed_between_batches_applies_from_the_next_batch_and_is_recorded():
    model = linear()
    rec = Recorder()
    loop = FitLoop(model, nn.MSELoss(), SGD(model.parameters(), lr=0.05, momentum=0.9),
                   npnn.DataLoader(X, Y, batch_size=8), epochs=3, callbacks=[rec])
    loop.step_batch(), loop.step_batch()
    loop.set_hyperparameter("lr", 0.0)
    assert loop.optimizer.param_groups[0]["lr"] == 0.05  # not before the next batch
    loop.set_hyperparameter("momentum", 0.0)
    weight = model.weight.data.copy()
    loop.step_batch()
    np.testing.assert_array_equal(model.weight.data, weight)  # lr 0 and no momentum: no update
    expected = [HyperparameterChanged(1, 3, "lr", 0.05, 0.0), HyperparameterChanged(1, 3, "momentum", 0.9, 0.0)]
    assert loop.history.changes == expected and rec.of(HyperparameterChanged) == expected
    loop.set_hyperparameter("lr", 0.05)
    loop.set_hyperparameter("max_grad_norm", 1e-3)
    loop.step_batch()
    assert np.abs(model.weight.data - weight).max() <= 0.05 * 1e-3 * (1 + 1e-5)
    assert loop.history.changes[-1] == HyperparameterChanged(1, 4, "max_grad_norm", None, 1e-3)
    loop.run()
    assert loop.history.lr == [0.05, 0.05, 0.05] and len(loop.history.changes) == 4


def test_a_change_asked_for_at_an_epoch_start_applies_to_that_epochs_first_batch():
    loops = []
    model = linear()
    opt = SGD(model.parameters(), lr=0.05)
    loop = FitLoop(model, nn.MSELoss(), opt, npnn.DataLoader(X, Y, batch_size=8), epochs=3,
                   callbacks=[raise_lr_at(2, 0.01, lambda: loops[0])])
    loops.append(loop)
    history = loop.run()
    assert history.lr == [0.05, 0.01, 0.01] and history.changes == [HyperparameterChanged(2, 1, "lr", 0.05, 0.01)]


@pytest.mark.parametrize("name,value,message", [
    ("momentum", 0.5, "Adam has no hyperparameter 'momentum'; expected one of"),
    ("lr", -1.0, "lr must be >= 0, got -1.0"),
    ("max_grad_norm", 0.0, "max_grad_norm must be > 0 or None, got 0.0"),
])
def test_bad_hyperparameter_changes_are_refused_at_once(name, value, message):
    model = linear()
    loop = FitLoop(model, nn.MSELoss(), Adam(model.parameters(), lr=0.01), npnn.DataLoader(X, Y), epochs=1)
    with pytest.raises(ValueError) as info:
        loop.set_hyperparameter(name, value)
    assert message in str(info.value)
    loop.run()
    with pytest.raises(RuntimeError, match="the run has ended"):
        loop.set_hyperparameter("lr", 0.1)
