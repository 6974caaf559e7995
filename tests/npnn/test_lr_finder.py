"""The learning-rate range test: a sensible suggestion, an explosion stop, and the model left as it was."""
import numpy as np
import pytest

import npnn
from npnn import nn, optim
from npnn.lr_finder import lr_find


def _problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((512, 8)).astype(np.float32)
    y = (x @ rng.standard_normal((8, 1)) + 0.1 * rng.standard_normal((512, 1))).astype(np.float32)
    g = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(8, 16, generator=g), nn.ReLU(), nn.Linear(16, 1, generator=g))
    return model, npnn.DataLoader(x, y, batch_size=32, generator=g)


def test_the_suggestion_lies_where_the_loss_falls_and_the_test_stops_when_it_explodes():
    model, loader = _problem()
    result = lr_find(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader)
    assert result.stopped == "exploded"
    assert result.lrs[0] == pytest.approx(1e-7) and len(result.lrs) == len(result.losses) == len(result.smoothed)
    assert all(b > a for a, b in zip(result.lrs, result.lrs[1:]))
    assert result.suggestion is not None and 1e-4 < result.suggestion < 1.0
    i = result.lrs.index(result.suggestion)
    assert result.smoothed[i + 1] < result.smoothed[i - 1]  # falling there
    assert result.smoothed[-1] > result.smoothed[i]


def test_weights_optimizer_state_and_lr_are_put_back():
    model, loader = _problem(1)
    optimizer = optim.Adam(model.parameters(), lr=0.003)
    x, y = next(iter(loader))
    optimizer.zero_grad()
    nn.MSELoss()(model(npnn.Tensor(x)), npnn.Tensor(y)).backward()
    optimizer.step()
    weights, state = model.state_dict(), optimizer.state_dict()
    model.eval()
    lr_find(model, nn.MSELoss(), optimizer, loader, num_iter=30)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, weights[key])
    after = optimizer.state_dict()
    assert after["param_groups"][0]["lr"] == 0.003 and not model.training
    for idx, entry in state["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(after["state"][idx][key], value)


def test_a_loss_that_never_falls_gives_no_suggestion():
    model, loader = _problem(2)
    result = lr_find(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader, start_lr=1e-12,
                     end_lr=1e-10, num_iter=60)
    assert result.suggestion is None and result.stopped == "end_lr"


@pytest.mark.parametrize("kwargs,message", [(dict(start_lr=0), "0 < start_lr < end_lr"),
                                            (dict(start_lr=1.0, end_lr=0.1), "0 < start_lr < end_lr"),
                                            (dict(num_iter=1), "num_iter must be an integer >= 2")])
def test_bad_arguments_are_refused(kwargs, message):
    model, loader = _problem()
    with pytest.raises(ValueError, match=message):
        lr_find(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader, **kwargs)
