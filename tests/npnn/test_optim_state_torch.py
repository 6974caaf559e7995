"""Optimizer and lr-scheduler state dicts move between npnn and PyTorch mid-training, both ways.

Both frameworks train the same float64 model for a few steps; the state dict of one is converted
(arrays <-> tensors, nothing else) and loaded into a fresh optimizer of the other, and training goes on
there: the parameters then match the uninterrupted run of the first framework step for step.
"""
import numpy as np
import pytest

import npnn
from npnn import Tensor, nn
from npnn.optim import lr_scheduler
from tests.npnn.nn_helpers import float64  # noqa: F401  (fixture)

rng = np.random.default_rng(5)
X, Y = rng.standard_normal((24, 5)), rng.integers(0, 3, 24)
BEFORE, AFTER = 5, 7  # steps before the state moves, steps after

OPTIMIZERS = {
    "Adam": (lambda optim, params: optim.Adam(params, lr=0.01, betas=(0.8, 0.99), weight_decay=0.01),
             {"step", "exp_avg", "exp_avg_sq"}),
    "SGD-momentum": (lambda optim, params: optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True),
                     {"momentum_buffer"}),
    "RMSprop": (lambda optim, params: optim.RMSprop(params, lr=0.01, momentum=0.5, centered=True),
                {"step", "square_avg", "momentum_buffer", "grad_avg"}),
}


def make_pair(torch):
    ours = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def ours_step(model, opt, sched):
    opt.zero_grad()
    nn.CrossEntropyLoss()(model(Tensor(X)), Y).backward()
    opt.step()
    sched.step()


def theirs_step(torch, model, opt, sched):
    opt.zero_grad()
    torch.nn.CrossEntropyLoss()(model(torch.from_numpy(X)), torch.from_numpy(Y)).backward()
    opt.step()
    sched.step()


def to_torch(torch, state):
    """npnn's state dict as PyTorch holds one: arrays become tensors, every key and group stays."""
    return {"state": {i: {k: torch.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v for k, v in s.items()}
                      for i, s in state["state"].items()},
            "param_groups": state["param_groups"]}


def to_numpy(state):
    """PyTorch's state dict with tensors as arrays (`step` a 0-d float32 array)."""
    return {"state": {i: {k: v.detach().numpy().copy() for k, v in s.items()} for i, s in state["state"].items()},
            "param_groups": state["param_groups"]}


def weights(model):
    return [np.asarray(p.data if isinstance(p, Tensor) else p.detach().numpy()) for p in model.parameters()]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_npnn_state_continues_in_torch_and_back(torch, float64, name):
    make, keys = OPTIMIZERS[name]
    ours, theirs = make_pair(torch)
    opt, topt = make(npnn.optim, ours.parameters()), make(torch.optim, theirs.parameters())
    sched = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=3, gamma=0.5)
    for _ in range(BEFORE):
        ours_step(ours, opt, sched)
        theirs_step(torch, theirs, topt, tsched)
    saved, tsaved = opt.state_dict(), topt.state_dict()
    # the layout is PyTorch's: same state keys per parameter index, same hyperparameters in each group
    assert set(saved["state"]) == set(tsaved["state"]) == set(range(4))
    assert all(set(s) == keys for s in saved["state"].values())
    assert all(set(s) == keys for s in tsaved["state"].values())
    if "step" in keys:
        assert type(saved["state"][0]["step"]) is int and saved["state"][0]["step"] == BEFORE
        assert tsaved["state"][0]["step"].dtype == torch.float32 and tsaved["state"][0]["step"].item() == BEFORE
    for group, tgroup in zip(saved["param_groups"], tsaved["param_groups"]):
        assert group["params"] == tgroup["params"] == [0, 1, 2, 3]
        assert {k: tgroup[k] for k in group if k != "params"} == \
            {k: (tuple(v) if isinstance(v, list) else v) for k, v in group.items() if k != "params"}
    assert sched.state_dict()["last_epoch"] == tsched.state_dict()["last_epoch"] == BEFORE

    # npnn -> PyTorch: a fresh torch optimizer over npnn's weights continues npnn's run
    moved = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    moved.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    mopt = make(torch.optim, moved.parameters())
    mopt.load_state_dict(to_torch(torch, saved))
    msched = torch.optim.lr_scheduler.StepLR(mopt, step_size=3, gamma=0.5)
    msched.load_state_dict(sched.state_dict())
    # PyTorch -> npnn: a fresh npnn optimizer over torch's weights continues torch's run
    back = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
    back.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    bopt = make(npnn.optim, back.parameters())
    bopt.load_state_dict(to_numpy(tsaved))
    bsched = lr_scheduler.StepLR(bopt, step_size=3, gamma=0.5)
    bsched.load_state_dict({k: v for k, v in tsched.state_dict().items() if k in bsched.state_dict()})
    assert type(bopt.state_dict()["state"][0].get("step", 0)) is int

    for _ in range(AFTER):
        ours_step(ours, opt, sched)
        theirs_step(torch, moved, mopt, msched)
        theirs_step(torch, theirs, topt, tsched)
        ours_step(back, bopt, bsched)
    for a, b in zip(weights(ours), weights(moved)):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
    for a, b in zip(weights(theirs), weights(back)):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
    assert bopt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"])
