"""Gradient clipping: the returned norm, the scaled gradients, torch's results side by side."""
import math

import numpy as np
import pytest

import npnn
import npnn.optim
from npnn.nn.utils import clip_grad_norm_, clip_grad_value_


def params_with_grads(*grads):
    ps = []
    for g in grads:
        p = npnn.Tensor(np.zeros_like(g), requires_grad=True)
        p.grad = np.array(g)
        ps.append(p)
    return ps


def test_norm_is_returned_and_gradients_are_scaled_jointly():
    ps = params_with_grads(np.array([3.0, 0.0]), np.array([[4.0]]))
    total = clip_grad_norm_(ps, 1.0)
    assert isinstance(total, float) and total == pytest.approx(5.0)
    np.testing.assert_allclose(ps[0].grad, [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(ps[1].grad, [[0.8]], rtol=1e-6)


def test_small_gradients_are_untouched_and_missing_grads_are_ignored():
    ps = params_with_grads(np.array([0.3, 0.4]))
    ps.append(npnn.Tensor(np.zeros(2), requires_grad=True))
    assert clip_grad_norm_(ps, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(ps[0].grad, [0.3, 0.4])
    assert clip_grad_norm_([ps[1]], 1.0) == 0.0


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
def test_matches_torch_for_each_norm_type(norm_type, torch):
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(4, 3)), rng.normal(size=5)]
    ps = params_with_grads(*grads)
    tps = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for tp, g in zip(tps, grads):
        tp.grad = torch.from_numpy(g.copy())
    expected = torch.nn.utils.clip_grad_norm_(tps, 0.5, norm_type=norm_type)
    assert clip_grad_norm_(ps, 0.5, norm_type=norm_type) == pytest.approx(float(expected), rel=1e-12)
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12)


def test_float32_gradients_stay_float32():
    ps = params_with_grads(np.full(3, 10.0, dtype=np.float32))
    clip_grad_norm_(ps, 1.0)
    assert ps[0].grad.dtype == np.float32 and np.linalg.norm(ps[0].grad) == pytest.approx(1.0, rel=1e-5)


def test_nonfinite_norm_raises_when_asked_and_otherwise_poisons_the_step():
    ps = params_with_grads(np.array([1.0, np.nan]))
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    opt = npnn.optim.SGD(ps, lr=0.1)
    assert math.isnan(clip_grad_norm_(ps, 1.0))
    opt.step()
    assert opt.skipped_steps == 1 and np.all(ps[0].data == 0)


def test_clip_grad_value_clamps_elementwise():
    ps = params_with_grads(np.array([-3.0, 0.2, 5.0]))
    clip_grad_value_(ps, 1.0)
    np.testing.assert_array_equal(ps[0].grad, [-1.0, 0.2, 1.0])


@pytest.mark.parametrize("call,message", [
    (lambda ps: clip_grad_norm_(ps, -1.0), "max_norm must be >= 0, got -1.0"),
    (lambda ps: clip_grad_norm_(ps, 1.0, norm_type=0), "norm_type must be > 0"),
    (lambda ps: clip_grad_value_(ps, -0.1), "clip_value must be >= 0, got -0.1"),
])
def test_bad_arguments_are_clear_errors(call, message):
    with pytest.raises(ValueError) as info:
        call(params_with_grads(np.ones(2)))
    assert message in str(info.value)
