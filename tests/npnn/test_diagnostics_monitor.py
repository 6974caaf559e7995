"""LayerMonitor on real models: each verdict fires on a model crafted to vanish, explode, die or saturate,
the monitor samples only what it is asked to, and detaching leaves no hook behind."""
from __future__ import annotations

import numpy as np

import npnn
from npnn import nn
from npnn.data import DataLoader
from npnn.diagnostics import verdict
from npnn.diagnostics.monitor import LayerMonitor
from npnn.diagnostics.switch import MonitorSwitch
from npnn.training import fit


def _data(n=256, features=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    return x, (x[:, :1] * 2 - x[:, 1:2]).astype(np.float32)


def _last_sample(model, lr=1e-3, optimizer=None, epochs=1):
    samples = []
    monitor = LayerMonitor(model, samples.append, every=1).attach()
    x, y = _data(features=model[0].in_features)
    optimizer = optimizer or npnn.optim.SGD(model.parameters(), lr=lr)
    fit(model, nn.MSELoss(), optimizer, DataLoader(x, y, batch_size=32), epochs=epochs,
        callbacks=[lambda event: monitor.flush()])
    monitor.detach()
    assert samples, "the monitor sent no sample"
    return samples[-1].layers


def _texts(layers):
    return [verdict(s).text for s in layers]


def test_a_healthy_model_is_healthy_everywhere():
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    layers = _last_sample(model, lr=1e-2)
    assert [s.label for s in layers] == ["Linear(8→32)", "ReLU", "Linear(32→1)"]
    assert _texts(layers) == ["healthy"] * 3
    assert 1e-5 < layers[0].update_ratio < 1e-1 and layers[0].grad_norm > 0 and layers[1].dead is not None


def test_a_deep_sigmoid_stack_with_tiny_weights_vanishes():
    npnn.manual_seed(0)
    layers = [nn.Linear(8, 16)]
    for _ in range(8):
        layers += [nn.Sigmoid(), nn.Linear(16, 16)]
    layers += [nn.Sigmoid(), nn.Linear(16, 1)]
    model = nn.Sequential(*layers)
    for module in model:
        if isinstance(module, nn.Linear):
            module.weight.data *= 0.05
    stats = _last_sample(model)
    assert verdict(stats[0]).text == "gradients vanishing"
    assert stats[0].grad_norm / stats[0].weight_norm < 1e-5


def test_huge_targets_through_a_wide_stack_explode():
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 1))
    x, y = _data()
    samples = []
    monitor = LayerMonitor(model, samples.append, every=1).attach()
    loader = DataLoader(x, y * 1e6, batch_size=32)
    fit(model, nn.MSELoss(), npnn.optim.SGD(model.parameters(), lr=1e-20), loader, epochs=1,
        callbacks=[lambda event: monitor.flush()])
    monitor.detach()
    texts = _texts(samples[0].layers)
    assert texts[0] == "gradients exploding" and texts[2] == "gradients exploding"


def test_a_large_negative_bias_kills_the_relus():
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    model[0].bias.data[:] = -100.0
    stats = _last_sample(model, optimizer=npnn.optim.Adam(model.parameters(), lr=1e-3))
    assert stats[1].dead == 1.0 and verdict(stats[1]).text == "ReLUs dying"


def test_large_inputs_saturate_a_sigmoid_and_a_tanh():
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.Sigmoid(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
    model[0].weight.data *= 200.0
    model[2].weight.data *= 200.0
    stats = _last_sample(model, lr=1e-6)
    assert verdict(stats[1]).text == "saturated" and verdict(stats[3]).text == "saturated"


def test_a_big_learning_rate_is_flagged_as_updates_too_large():
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    stats = _last_sample(model, optimizer=npnn.optim.Adam(model.parameters(), lr=1.0))
    assert "updates too large" in _texts(stats)


def test_every_k_samples_every_kth_batch_and_detach_removes_every_hook():
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    samples = []
    monitor = LayerMonitor(model, samples.append, every=3).attach()
    x, y = _data()  # 8 batches of 32
    fit(model, nn.MSELoss(), npnn.optim.SGD(model.parameters(), lr=1e-2), DataLoader(x, y, batch_size=32),
        epochs=1, callbacks=[lambda event: monitor.flush()])
    monitor.detach()
    assert [s.step for s in samples] == [1, 4, 7]
    hooks = [m._forward_hooks for m in model.modules()] + [m._forward_pre_hooks for m in model.modules()]
    assert not any(hooks) and not monitor.attached
    assert all(not p._grad_hooks for p in model.parameters())


def test_the_switch_attaches_only_while_watched():
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    switch, samples = MonitorSwitch(), []
    switch.bind(model)
    x, y = _data()
    optimizer = npnn.optim.SGD(model.parameters(), lr=1e-2)
    fit(model, nn.MSELoss(), optimizer, DataLoader(x, y, batch_size=32), epochs=1, callbacks=[switch])
    assert samples == [] and not switch.attached and not model._forward_pre_hooks
    switch.watch(samples.append, every=1)
    fit(model, nn.MSELoss(), optimizer, DataLoader(x, y, batch_size=32), epochs=3, callbacks=[switch],
        batch_event_interval=0.0)
    assert [s.step for s in samples] == list(range(1, 25))  # every batch of 3 epochs, delivered over many events
    assert not switch.attached  # detached when the run finished
