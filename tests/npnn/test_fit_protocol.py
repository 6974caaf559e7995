"""The fit loop talks to an optimizer through its public protocol only, keeps its state in attributes made
in __init__, and ends each run with one StopReason."""
from __future__ import annotations

import json

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.data import DataLoader
from npnn.events import Finished, StopReason
from npnn.history import History
from npnn.optim import SGD
from npnn.training import FitLoop, fit

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)).astype(np.float32)


class PublicOnly:
    """An optimizer written against the protocol alone (no npnn base class, no private methods): plain SGD,
    skipping a step whose closure's loss is not finite."""

    def __init__(self, params, lr: float) -> None:
        self.param_groups = [{"params": list(params), "lr": lr}]
        self.skipped_steps = 0
        self.checked: list = []

    def zero_grad(self) -> None:
        for p in self.param_groups[0]["params"]:
            p.grad = None

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        if loss is not None and not np.isfinite(loss):
            self.skipped_steps += 1
            return loss
        for p in self.param_groups[0]["params"]:
            p.data -= self.param_groups[0]["lr"] * p.grad
        return loss

    def hyperparameters(self) -> list[str]:
        return ["lr"]

    def check_hyperparameter(self, name: str, value) -> None:
        self.checked.append((name, value))
        if not value > 0:
            raise ValueError(f"lr must be > 0, got {value}")


def test_the_loop_trains_a_run_with_an_optimizer_that_has_only_the_public_protocol():
    npnn.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = PublicOnly(model.parameters(), lr=0.1)
    loop = FitLoop(model, nn.MSELoss(), optimizer, DataLoader(X, Y, batch_size=8), epochs=3)
    loop.step_batch()
    loop.set_hyperparameter("lr", 0.05)
    with pytest.raises(ValueError, match="lr must be > 0"):
        loop.set_hyperparameter("lr", -1.0)
    with pytest.raises(ValueError, match=r"PublicOnly has no hyperparameter 'momentum'; expected one of "
                                         r"\['lr', 'max_grad_norm'\]"):
        loop.set_hyperparameter("momentum", 0.9)
    history = loop.run()
    assert optimizer.checked == [("lr", 0.05), ("lr", -1.0)]
    assert optimizer.param_groups[0]["lr"] == 0.05 and history.lr == [0.1, 0.05, 0.05]
    assert history.stop_reason is StopReason.COMPLETED and history.train_loss[-1] < history.train_loss[0]


def test_a_nonfinite_loss_reaches_the_optimizer_through_the_step_closure():
    npnn.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = PublicOnly(model.parameters(), lr=0.1)
    Y_bad = Y.copy()
    Y_bad[:8] = np.nan  # NOTE: bad data: the batch is skipped, the run goes on
    history = fit(model, nn.MSELoss(), optimizer, DataLoader(X, Y_bad, batch_size=8, shuffle=False), epochs=2)
    assert optimizer.skipped_steps == 2 and history.skipped_steps == [1, 2]
    assert history.stop_reason is StopReason.COMPLETED


def test_a_nonfinite_loss_is_a_skipped_step_even_when_its_gradients_are_finite():
    npnn.manual_seed(0)
    model = nn.Linear(3, 1)
    mse, calls = nn.MSELoss(), []

    def loss_fn(pred, target):
        calls.append(1)
        loss = mse(pred, target)
        return loss + np.float32(np.inf) if len(calls) == 3 else loss  # d(loss + inf)/dw is finite

    loop = FitLoop(model, loss_fn, SGD(model.parameters(), lr=0.05), DataLoader(X, Y, batch_size=8), epochs=5)
    loop.step_batch(), loop.step_batch()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    assert loop.step_batch() is False and loop.history.stop_reason == StopReason.DIVERGED
    assert np.isfinite(model.weight.grad).all() and loop.optimizer.skipped_steps == 1
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_an_optimizer_closure_returning_a_nonfinite_loss_skips_the_step():
    npnn.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = SGD(model.parameters(), lr=0.1)
    weight = model.weight.data.copy()

    def closure():
        opt.zero_grad()
        loss = nn.MSELoss()(model(npnn.Tensor(X)), npnn.Tensor(Y))
        loss.backward()
        return loss + np.float32(np.inf)

    opt.step(closure)
    assert opt.skipped_steps == 1 and np.array_equal(model.weight.data, weight)


def test_npnn_optimizers_name_and_check_their_hyperparameters_without_changing_them():
    optimizer = SGD(nn.Linear(3, 1).parameters(), lr=0.1, momentum=0.5)
    assert {"lr", "momentum", "weight_decay", "nesterov"} <= set(optimizer.hyperparameters())
    optimizer.check_hyperparameter("momentum", 0.9)
    with pytest.raises(ValueError, match="momentum"):
        optimizer.check_hyperparameter("momentum", -1.0)
    with pytest.raises(ValueError, match="SGD: no hyperparameter 'betas'"):
        optimizer.check_hyperparameter("betas", (0.9, 0.99))
    assert optimizer.param_groups[0]["momentum"] == 0.5


def test_every_attribute_of_the_loop_exists_from_init():
    npnn.manual_seed(0)
    model = nn.Linear(3, 1)
    loop = FitLoop(model, nn.MSELoss(), SGD(model.parameters(), lr=0.1), DataLoader(X, Y, batch_size=8),
                   val_data=(X, Y), epochs=2)
    made_in_init = set(vars(loop))
    loop.step_batch()
    loop.run()
    assert set(vars(loop)) == made_in_init


def test_a_stop_reason_is_one_enum_that_still_reads_and_saves_as_its_string():
    events = []
    npnn.manual_seed(0)
    model = nn.Linear(3, 1)
    history = fit(model, nn.MSELoss(), SGD(model.parameters(), lr=0.1), DataLoader(X, Y, batch_size=8),
                  epochs=1, callbacks=(events.append,))
    (finished,) = [e for e in events if isinstance(e, Finished)]
    assert finished.reason is history.stop_reason is StopReason.COMPLETED and finished.history is history
    assert isinstance(history, History)
    assert history.stop_reason == "completed" and f"{history.stop_reason}" == str(history.stop_reason) == "completed"
    assert json.dumps({"reason": history.stop_reason}) == '{"reason": "completed"}'
    assert StopReason("early_stopped") is StopReason.EARLY_STOPPED
    assert "stop_reason='completed'" in repr(history)
