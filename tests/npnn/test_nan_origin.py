"""Where NaN came from: the first layer whose output or gradient was non-finite, and whether its weights were."""
from __future__ import annotations

import numpy as np

import npnn
from npnn import nn
from npnn.data import DataLoader
from npnn.diagnostics.nan_origin import NanOrigin, find_nan_origin
from npnn.training import fit


def _model():
    npnn.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def _batch():
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 4)).astype(np.float32), rng.integers(0, 3, 16)


def test_a_huge_weight_makes_its_layer_the_origin_with_finite_weights():
    model = _model()
    model[2].weight.data[:] = 3e38  # finite, but the products overflow
    x, y = _batch()
    origin = find_nan_origin(model, nn.CrossEntropyLoss(), x, y)
    assert origin == NanOrigin("Linear(8→3)", "output", weights_finite=True)
    assert origin.message == ("non-finite values first appeared in the output of Linear(8→3); its weights were "
                              "finite: the learning rate is too high")


def test_a_nan_weight_is_reported_as_already_non_finite():
    model = _model()
    model[0].weight.data[0, 0] = np.nan
    x, y = _batch()
    origin = find_nan_origin(model, nn.CrossEntropyLoss(), x, y)
    assert origin.layer == "Linear(4→8)" and origin.where == "output" and not origin.weights_finite
    assert "were already non-finite" in origin.message


def test_finite_outputs_with_a_non_finite_loss_blame_the_loss():
    model = _model()
    x, _ = _batch()
    y = np.full((16, 3), np.inf, dtype=np.float32)
    origin = find_nan_origin(model, nn.MSELoss(), x, y)
    assert origin == NanOrigin("MSELoss", "loss")


class Sqrt(nn.Module):
    """Finite at 0, with an infinite slope there: a backward pass that breaks on a finite forward."""
    def forward(self, x):
        return x ** 0.5


def test_a_non_finite_gradient_is_found_in_backward_order():
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), Sqrt(), nn.Linear(8, 3))
    x, y = _batch()
    assert (model[1](model[0](npnn.Tensor(x))).data == 0).any()  # ReLU zeros feed the square root
    origin = find_nan_origin(model, nn.CrossEntropyLoss(), x, y)
    assert origin == NanOrigin("Sqrt", "gradient", weights_finite=True)


def test_the_replay_leaves_weights_buffers_and_grads_as_they_were():
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 3))
    model[2].weight.data[:] = 3e38
    x, y = _batch()
    before = model.state_dict()
    grads = [p.grad for p in model.parameters()]
    find_nan_origin(model, nn.CrossEntropyLoss(), x, y)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k], equal_nan=True) for k in before)
    assert [p.grad for p in model.parameters()] == grads


def test_a_diverging_fit_names_the_origin_in_its_event_and_history():
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [2.0], [-1.0], [0.5]])).astype(np.float32)
    events = []
    history = fit(model, nn.MSELoss(), npnn.optim.SGD(model.parameters(), lr=1e30),
                  DataLoader(x, y, batch_size=32), epochs=3, callbacks=[events.append])
    diverged = [e for e in events if type(e).__name__ == "Diverged"]
    assert history.stop_reason == "diverged" and len(diverged) == 1
    assert diverged[0].origin.startswith("non-finite values first appeared in the output of Linear(")
    assert history.divergence == {"epoch": diverged[0].epoch, "batch": diverged[0].batch,
                                  "loss": diverged[0].loss, "origin": diverged[0].origin}
