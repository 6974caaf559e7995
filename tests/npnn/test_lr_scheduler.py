"""Each scheduler's lr sequence: closed forms, PyTorch's behaviour, and respect for a hand-set lr."""
import math

import numpy as np
import pytest

import npnn
from npnn.optim import SGD
from npnn.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, StepLR


def make_opt(lr=0.1):
    return SGD([npnn.Tensor(np.ones(2), requires_grad=True)], lr=lr)


def lrs(scheduler, epochs):
    seq = [scheduler.optimizer.param_groups[0]["lr"]]
    for _ in range(epochs):
        scheduler.step()
        seq.append(scheduler.optimizer.param_groups[0]["lr"])
    return seq


def test_step_lr_follows_closed_form():
    got = lrs(StepLR(make_opt(), step_size=3, gamma=0.5), 10)
    np.testing.assert_allclose(got, [0.1 * 0.5 ** (t // 3) for t in range(11)])


def test_exponential_lr_follows_closed_form():
    got = lrs(ExponentialLR(make_opt(), gamma=0.9), 8)
    np.testing.assert_allclose(got, [0.1 * 0.9 ** t for t in range(9)])


def test_cosine_annealing_follows_closed_form_and_comes_back_up():
    got = lrs(CosineAnnealingLR(make_opt(), T_max=10, eta_min=0.01), 20)
    closed = [0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(21)]
    np.testing.assert_allclose(got, closed, rtol=1e-9, atol=1e-12)
    assert got[10] == pytest.approx(0.01) and got[20] == pytest.approx(0.1)


def test_chainable_schedulers_respect_an_lr_changed_by_hand():
    opt = make_opt()
    sched = StepLR(opt, step_size=2, gamma=0.5)
    sched.step()
    opt.param_groups[0]["lr"] = 1.0   # the TUI's lr field
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.5 and sched.get_last_lr() == [0.5]


def test_reduce_on_plateau_cuts_after_patience_with_cooldown_and_min_lr():
    opt = make_opt(1.0)
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    seq = []
    for value in [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, float("nan")]:
        sched.step(value)
        seq.append(opt.param_groups[0]["lr"])
    assert seq == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2]


@pytest.mark.parametrize("name,kwargs,make", [
    ("StepLR", dict(step_size=4, gamma=0.3), StepLR),
    ("ExponentialLR", dict(gamma=0.8), ExponentialLR),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001), CosineAnnealingLR),
])
def test_matches_torch_schedulers(name, kwargs, make, torch):
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    expected = [topt.param_groups[0]["lr"]]
    for _ in range(25):
        topt.step()
        tsched.step()
        expected.append(topt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs(make(make_opt(), **kwargs), 25), expected, rtol=1e-12)


def test_matches_torch_reduce_on_plateau(torch):
    values = np.abs(np.sin(np.arange(40) * 0.7)) + np.linspace(1, 0.8, 40)
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, factor=0.3, patience=3, cooldown=2, threshold=0.01)
    opt = make_opt()
    sched = ReduceLROnPlateau(opt, factor=0.3, patience=3, cooldown=2, threshold=0.01)
    for value in values:
        tsched.step(float(value))
        sched.step(float(value))
        assert opt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12)


@pytest.mark.parametrize("make,message", [
    (lambda o: StepLR(o, step_size=0), "StepLR: step_size must be a positive integer, got 0"),
    (lambda o: ExponentialLR(o, gamma=-1), "ExponentialLR: gamma must be a positive number, got -1"),
    (lambda o: CosineAnnealingLR(o, T_max=10, eta_min=-1), "CosineAnnealingLR: eta_min must be >= 0"),
    (lambda o: ReduceLROnPlateau(o, factor=1.5), "ReduceLROnPlateau: factor must be in (0, 1), got 1.5"),
    (lambda o: ReduceLROnPlateau(o, mode="up"), "ReduceLROnPlateau: mode must be 'min' or 'max'"),
])
def test_bad_arguments_are_clear_errors(make, message):
    with pytest.raises(ValueError) as info:
        make(make_opt())
    assert message in str(info.value)


def test_state_dict_round_trip_resumes_the_schedule():
    opt = make_opt()
    sched = CosineAnnealingLR(opt, T_max=8)
    for _ in range(3):
        sched.step()
    saved, lr = sched.state_dict(), opt.param_groups[0]["lr"]
    assert "optimizer" not in saved
    other_opt = make_opt()
    other_opt.param_groups[0]["lr"] = lr
    other = CosineAnnealingLR(other_opt, T_max=8)
    other.load_state_dict(saved)
    np.testing.assert_allclose(lrs(other, 5), lrs(sched, 5), rtol=1e-12)
