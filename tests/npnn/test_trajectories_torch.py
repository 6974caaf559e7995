"""60 training steps side by side with PyTorch in float64: model, loss, every optimizer and scheduler.

Both start from the same weights and data; after 60 steps of forward, backward, optimizer.step and
scheduler.step the losses and every parameter agree to rtol 1e-6.
"""
import numpy as np
import pytest

import npnn
from npnn import Tensor, nn, optim
from npnn.optim import lr_scheduler
from tests.npnn.nn_helpers import float64  # noqa: F401  (fixture)

STEPS = 60
RTOL = 1e-6
rng = np.random.default_rng(11)
X, Y = rng.standard_normal((32, 6)), rng.integers(0, 3, 32)
IMAGES, LABELS = rng.standard_normal((8, 1, 8, 8)), rng.integers(0, 3, 8)


def mlp_pair(torch):
    ours = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.LeakyReLU(0.1), nn.Linear(16, 8),
                         nn.Sigmoid(), nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16),
                                 torch.nn.LeakyReLU(0.1), torch.nn.Linear(16, 8), torch.nn.Sigmoid(),
                                 torch.nn.Linear(8, 3)).double()
    return ours, theirs


def cnn_pair(torch):
    ours = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 3))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                 torch.nn.Flatten(), torch.nn.Linear(64, 3)).double()
    return ours, theirs


def train_both(torch, pair, data, make_optimizer, make_scheduler=None, loss_options=None):
    """Train both models STEPS full-batch steps; return both loss trajectories and both models."""
    ours, theirs = pair
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    opt, topt = make_optimizer(npnn.optim, ours.parameters()), make_optimizer(torch.optim, theirs.parameters())
    sched = tsched = None
    if make_scheduler is not None:
        sched, tsched = make_scheduler(lr_scheduler, opt), make_scheduler(torch.optim.lr_scheduler, topt)
    loss_fn = nn.CrossEntropyLoss(**(loss_options or {}))
    tloss_fn = torch.nn.CrossEntropyLoss(**{k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
                                            for k, v in (loss_options or {}).items()})
    x, y = data
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    losses, tlosses = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(ours(Tensor(x)), y)
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = tloss_fn(theirs(xt), yt)
        tloss.backward()
        topt.step()
        losses.append(loss.item())
        tlosses.append(tloss.item())
        if sched is not None:
            plateau = isinstance(sched, lr_scheduler.ReduceLROnPlateau)
            sched.step(loss.item()) if plateau else sched.step()
            tsched.step(tloss.item()) if plateau else tsched.step()
    return losses, tlosses, ours, theirs


def assert_same_trajectory(losses, tlosses, ours, theirs):
    np.testing.assert_allclose(losses, tlosses, rtol=RTOL, err_msg="loss trajectory")
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=RTOL, atol=1e-9, err_msg=name)
    assert losses[-1] < losses[0]  # it trained: the comparison is not between two frozen models


OPTIMIZERS = {
    "SGD": lambda o, p: o.SGD(p, lr=0.1),
    "SGD-momentum-dampening-wd": lambda o, p: o.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "SGD-nesterov": lambda o, p: o.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "Momentum": lambda o, p: (o.Momentum(p, lr=0.05) if o is npnn.optim else o.SGD(p, lr=0.05, momentum=0.9)),
    "Adam": lambda o, p: o.Adam(p, lr=0.01),
    "Adam-amsgrad-wd-betas": lambda o, p: o.Adam(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.01, amsgrad=True),
    "AdamW": lambda o, p: o.AdamW(p, lr=0.01, weight_decay=0.1),
    "RMSprop": lambda o, p: o.RMSprop(p, lr=0.005),
    "RMSprop-centered-momentum-wd": lambda o, p: o.RMSprop(p, lr=0.002, alpha=0.9, momentum=0.5, centered=True,
                                                          weight_decay=0.01),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_mlp_training_trajectory_matches_pytorch(name, torch, float64):
    assert_same_trajectory(*train_both(torch, mlp_pair(torch), (X, Y), OPTIMIZERS[name]))


SCHEDULERS = {
    "StepLR": lambda s, o: s.StepLR(o, step_size=7, gamma=0.5),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, T_max=25, eta_min=0.005),
    "ReduceLROnPlateau": lambda s, o: s.ReduceLROnPlateau(o, factor=0.5, patience=2, threshold=0.05, cooldown=1),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduled_training_trajectory_matches_pytorch(name, torch, float64):
    make_opt = OPTIMIZERS["SGD-momentum-dampening-wd"]
    losses, tlosses, ours, theirs = train_both(torch, mlp_pair(torch), (X, Y), make_opt, SCHEDULERS[name])
    assert_same_trajectory(losses, tlosses, ours, theirs)


def test_scheduled_lr_sequences_match_pytorch_over_60_steps(torch, float64):
    for name, make in SCHEDULERS.items():
        p, tp = Tensor(np.ones(2), requires_grad=True), torch.ones(2, dtype=torch.float64, requires_grad=True)
        opt, topt = optim.SGD([p], lr=0.1), torch.optim.SGD([tp], lr=0.1)
        sched, tsched = make(lr_scheduler, opt), make(torch.optim.lr_scheduler, topt)
        values = np.abs(np.sin(np.arange(STEPS) * 0.7)) + np.linspace(1, 0.8, STEPS)
        for value in values:
            opt.step()
            topt.step()
            plateau = name == "ReduceLROnPlateau"
            sched.step(float(value)) if plateau else sched.step()
            tsched.step(float(value)) if plateau else tsched.step()
            np.testing.assert_allclose(opt.param_groups[0]["lr"], topt.param_groups[0]["lr"], rtol=1e-12,
                                       err_msg=name)


def test_cnn_training_trajectory_matches_pytorch(torch, float64):
    assert_same_trajectory(*train_both(torch, cnn_pair(torch), (IMAGES, LABELS), OPTIMIZERS["Adam"]))


def test_weighted_smoothed_cross_entropy_training_matches_pytorch(torch, float64):
    options = dict(weight=np.array([0.5, 2.0, 1.0]), label_smoothing=0.1, ignore_index=2)
    assert_same_trajectory(*train_both(torch, mlp_pair(torch), (X, Y), OPTIMIZERS["AdamW"], loss_options=options))
