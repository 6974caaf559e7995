"""Hooks without PyTorch: gradients stay exact through hook plumbing, replaced gradients propagate,
handles, errors, and the hook-free call path."""
import gc
import weakref

import numpy as np
import pytest

from npnn import Tensor, gradcheck, nn
from npnn.hooks import RemovableHandle
from tests.npnn.nn_helpers import check_module, float64  # noqa: F401  (fixture)

X = np.random.default_rng(0).standard_normal((4, 3))


def _observe_everything(model, seen):
    for module in model.modules():
        module.register_forward_pre_hook(lambda m, a: seen.append("pre"))
        module.register_forward_hook(lambda m, a, o: seen.append("fwd"))
        module.register_full_backward_pre_hook(lambda m, go: seen.append("bwd_pre"))
        module.register_full_backward_hook(lambda m, gi, go: seen.append("bwd"))


def test_gradients_through_observing_hooks_pass_gradcheck(float64):
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.Tanh(), shared, nn.ReLU(), nn.Linear(3, 2))
    seen = []
    _observe_everything(model, seen)
    assert check_module(model, X.copy())
    assert {"pre", "fwd", "bwd_pre", "bwd"} <= set(seen)


def test_a_replaced_grad_input_scales_every_gradient_upstream_of_it(float64):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))

    def grads(scale):
        model.zero_grad()
        x = Tensor(X.copy(), requires_grad=True)
        (model(x) ** 2).sum().backward()
        return [x.grad.copy()] + [p.grad.copy() for p in model.parameters()]

    baseline = grads(None)
    with model[1].register_full_backward_hook(lambda m, gi, go: (gi[0] * 3.0,)):
        scaled = grads(3.0)
    assert np.allclose(scaled[0], 3 * baseline[0])
    for before, after in zip(baseline[1:3], scaled[1:3]):  # the first Linear, upstream of Tanh
        assert np.allclose(after, 3 * before)
    for before, after in zip(baseline[3:], scaled[3:]):    # the last Linear, downstream: unchanged
        assert np.allclose(after, before)
    assert all(np.allclose(a, b) for a, b in zip(grads(None), baseline))  # the `with` removed it


def test_a_tensor_hook_returning_the_gradient_keeps_gradcheck_exact(float64):
    def fn(a, b):
        h = a * b + a.exp()
        h.register_hook(lambda g: g.copy())
        b.register_hook(lambda g: g + 0.0)
        return (h * h).sum()
    assert gradcheck(fn, X.copy(), X.copy() + 1.0)


def test_a_leaf_hook_runs_once_on_the_summed_gradient_before_accumulation():
    w = Tensor(np.ones(3), requires_grad=True)
    w.grad = np.full(3, 10.0)
    received = []
    w.register_hook(lambda g: received.append(g.copy()) or g * 0.5)
    (w * 2.0 + w * 3.0).sum().backward()
    assert len(received) == 1 and np.allclose(received[0], 5.0)
    assert np.allclose(w.grad, 10.0 + 2.5)


def test_non_leaf_hooks_run_on_every_backward_of_a_retained_graph():
    x = Tensor(np.ones(2), requires_grad=True)
    h = x * 3.0
    calls = []
    h.register_hook(lambda g: calls.append(1))
    y = h.sum()
    y.backward(retain_graph=True)
    y.backward()
    assert len(calls) == 2 and np.allclose(x.grad, 6.0)


def test_a_hook_may_remove_itself_while_running():
    module = nn.ReLU()
    calls = []
    handles = []

    def once(m, args, out):
        calls.append(1)
        handles[0].remove()
    handles.append(module.register_forward_hook(once))
    module(Tensor(X))
    module(Tensor(X))
    assert calls == [1]


def test_a_kept_handle_does_not_keep_its_module_alive():
    module = nn.Linear(3, 2)
    handle = module.register_forward_hook(lambda m, a, o: None)
    ref = weakref.ref(module)
    del module
    gc.collect()
    assert ref() is None
    handle.remove()  # harmless once the module is gone
    assert isinstance(handle, RemovableHandle) and "removed" in repr(handle)


def test_a_module_without_hooks_never_enters_the_hook_path(monkeypatch):
    import npnn.nn.module as module_file

    def fail(*args):
        raise AssertionError("call_with_hooks reached without hooks")
    monkeypatch.setattr(module_file, "call_with_hooks", fail)
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    model(Tensor(X))
    model[0].register_forward_hook(lambda m, a, o: None).remove()
    model(Tensor(X))


def test_hook_errors_name_what_is_wrong():
    module = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="register_forward_hook: the hook must be callable, got int"):
        module.register_forward_hook(3)
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(X).register_hook(lambda g: g)
    x = Tensor(X.copy(), requires_grad=True)
    x.register_hook(lambda g: g[:1])
    with pytest.raises(ValueError, match=r"returned a gradient of shape \(1, 3\), expected \(4, 3\)"):
        module(x).sum().backward()
    with module.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0])):
        with pytest.raises(RuntimeError, match="returned 2 values for grad_input, expected 1"):
            module(Tensor(X.copy(), requires_grad=True)).sum().backward()
    with module.register_full_backward_hook(lambda m, gi, go: (np.zeros(3),)):
        with pytest.raises(RuntimeError, match="no input of this module requires grad"):
            module(Tensor(X)).sum().backward()
    with module.register_forward_pre_hook(lambda m, a, k: a, with_kwargs=True):
        with pytest.raises(RuntimeError, match=r"must return None or a tuple \(new_args, new_kwargs\)"):
            module(Tensor(X))


def test_no_backward_plumbing_under_no_grad():
    module = nn.Linear(3, 2)
    calls = []
    module.register_full_backward_hook(lambda m, gi, go: calls.append(1))
    with Tensor.no_grad():
        out = module(Tensor(X, requires_grad=True))
    assert not out.requires_grad and calls == []
