"""Optimizers against literal (loop-form, float64) transcriptions of torch.optim's documented algorithms."""
import math

import numpy as np
import pytest

import npnn
from npnn.optim import SGD, Adam, AdamW, Momentum, RMSprop

STEPS = 60


def grad_of(theta, t):
    """A gradient that depends on the parameters and the step, so the trajectories really diverge on a bug."""
    return 0.7 * theta - np.sin(0.3 * t + np.arange(theta.size)).reshape(theta.shape)


def run_npnn(make, theta0, steps=STEPS):
    p = npnn.Tensor(theta0.copy(), requires_grad=True)
    opt = make([p])
    for t in range(1, steps + 1):
        p.grad = grad_of(p.data, t)
        opt.step()
    return p.data


def ref_sgd(theta, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, steps=STEPS):
    theta = theta.astype(np.float64).ravel().copy()
    b = [0.0] * theta.size
    for t in range(1, steps + 1):
        grads = grad_of(theta, t)
        for i in range(theta.size):
            g = grads[i]
            if weight_decay != 0:
                g = g + weight_decay * theta[i]
            if momentum != 0:
                b[i] = g if t == 1 else momentum * b[i] + (1 - dampening) * g
                g = g + momentum * b[i] if nesterov else b[i]
            theta[i] = theta[i] - lr * g
    return theta


def ref_adam(theta, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False,
             steps=STEPS):
    theta = theta.astype(np.float64).ravel().copy()
    b1, b2 = betas
    m, v, v_max = [0.0] * theta.size, [0.0] * theta.size, [0.0] * theta.size
    for t in range(1, steps + 1):
        grads = grad_of(theta, t)
        for i in range(theta.size):
            g = grads[i]
            if decoupled:
                theta[i] = theta[i] - lr * weight_decay * theta[i]
            elif weight_decay != 0:
                g = g + weight_decay * theta[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat = m[i] / (1 - b1 ** t)
            if amsgrad:
                v_max[i] = max(v_max[i], v[i])
                v_hat = v_max[i] / (1 - b2 ** t)
            else:
                v_hat = v[i] / (1 - b2 ** t)
            theta[i] = theta[i] - lr * m_hat / (math.sqrt(v_hat) + eps)
    return theta


def ref_rmsprop(theta, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, steps=STEPS):
    theta = theta.astype(np.float64).ravel().copy()
    v, g_ave, b = [0.0] * theta.size, [0.0] * theta.size, [0.0] * theta.size
    for t in range(1, steps + 1):
        grads = grad_of(theta, t)
        for i in range(theta.size):
            g = grads[i]
            if weight_decay != 0:
                g = g + weight_decay * theta[i]
            v[i] = alpha * v[i] + (1 - alpha) * g * g
            v_tilde = v[i]
            if centered:
                g_ave[i] = g_ave[i] * alpha + (1 - alpha) * g
                v_tilde = v_tilde - g_ave[i] ** 2
            if momentum > 0:
                b[i] = momentum * b[i] + g / (math.sqrt(v_tilde) + eps)
                theta[i] = theta[i] - lr * b[i]
            else:
                theta[i] = theta[i] - lr * g / (math.sqrt(v_tilde) + eps)
    return theta


THETA0 = np.random.default_rng(0).normal(size=(3, 4))

CASES = [
    (lambda p: SGD(p, lr=0.05), lambda th: ref_sgd(th, 0.05)),
    (lambda p: SGD(p, lr=0.05, weight_decay=0.1), lambda th: ref_sgd(th, 0.05, weight_decay=0.1)),
    (lambda p: SGD(p, lr=0.05, momentum=0.9), lambda th: ref_sgd(th, 0.05, momentum=0.9)),
    (lambda p: SGD(p, lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01),
     lambda th: ref_sgd(th, 0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    (lambda p: SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05),
     lambda th: ref_sgd(th, 0.05, momentum=0.8, nesterov=True, weight_decay=0.05)),
    (lambda p: SGD(p, lr=0.05, momentum=0.6, nesterov=True), lambda th: ref_sgd(th, 0.05, momentum=0.6, nesterov=True)),
    (lambda p: Momentum(p), lambda th: ref_sgd(th, 0.01, momentum=0.9)),
    (lambda p: Momentum(p, lr=0.02, weight_decay=0.1, nesterov=True),
     lambda th: ref_sgd(th, 0.02, momentum=0.9, weight_decay=0.1, nesterov=True)),
    (lambda p: Adam(p, lr=0.01), lambda th: ref_adam(th, 0.01)),
    (lambda p: Adam(p, lr=0.02, betas=(0.8, 0.99), weight_decay=0.1),
     lambda th: ref_adam(th, 0.02, betas=(0.8, 0.99), weight_decay=0.1)),
    (lambda p: Adam(p, lr=0.02, betas=(0.5, 0.9), eps=1e-6), lambda th: ref_adam(th, 0.02, betas=(0.5, 0.9), eps=1e-6)),
    (lambda p: Adam(p, lr=0.02, amsgrad=True, weight_decay=0.01),
     lambda th: ref_adam(th, 0.02, amsgrad=True, weight_decay=0.01)),
    (lambda p: AdamW(p, lr=0.02), lambda th: ref_adam(th, 0.02, weight_decay=1e-2, decoupled=True)),
    (lambda p: AdamW(p, lr=0.02, weight_decay=0.3, amsgrad=True),
     lambda th: ref_adam(th, 0.02, weight_decay=0.3, amsgrad=True, decoupled=True)),
    (lambda p: RMSprop(p, lr=0.01), lambda th: ref_rmsprop(th, 0.01)),
    (lambda p: AdamW(p, lr=0.02, betas=(0.8, 0.95), weight_decay=0.05),
     lambda th: ref_adam(th, 0.02, betas=(0.8, 0.95), weight_decay=0.05, decoupled=True)),
    (lambda p: RMSprop(p, lr=0.01, weight_decay=0.1), lambda th: ref_rmsprop(th, 0.01, weight_decay=0.1)),
    (lambda p: RMSprop(p, lr=0.01, weight_decay=0.1, momentum=0.9),
     lambda th: ref_rmsprop(th, 0.01, weight_decay=0.1, momentum=0.9)),
    (lambda p: RMSprop(p, lr=0.005, alpha=0.9, centered=True, momentum=0.5),
     lambda th: ref_rmsprop(th, 0.005, alpha=0.9, centered=True, momentum=0.5)),
]


@pytest.mark.parametrize("make,reference", CASES)
def test_optimizer_matches_documented_algorithm_over_many_steps(make, reference):
    got = run_npnn(make, THETA0)
    np.testing.assert_allclose(got.ravel(), reference(THETA0), rtol=1e-10, atol=1e-12)
    assert not np.allclose(got, THETA0)


@pytest.mark.parametrize("make,_", CASES)
def test_float32_parameters_stay_float32_and_are_updated_in_place(make, _):
    p = npnn.Tensor(THETA0.astype(np.float32), requires_grad=True)
    data = p.data
    opt = make([p])
    for t in range(1, 4):
        p.grad = grad_of(p.data, t).astype(np.float32)
        opt.step()
    assert p.data is data and p.dtype == np.float32
    assert all(v.dtype == np.float32 for s in opt.state.values() for v in s.values() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("make,_", CASES)
def test_state_dict_round_trip_continues_identically(make, _):
    p = npnn.Tensor(THETA0.copy(), requires_grad=True)
    opt = make([p])
    for t in range(1, 6):
        p.grad = grad_of(p.data, t)
        opt.step()
    saved, theta = opt.state_dict(), p.data.copy()
    q = npnn.Tensor(theta.copy(), requires_grad=True)
    clone = make([q])
    clone.load_state_dict(saved)
    for t in range(6, 12):
        p.grad, q.grad = grad_of(p.data, t), grad_of(q.data, t)
        opt.step()
        clone.step()
    np.testing.assert_array_equal(p.data, q.data)
    assert saved["param_groups"][0]["params"] == [0]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_gradient_skips_the_whole_step_and_is_counted(bad):
    p1 = npnn.Tensor(np.ones(3), requires_grad=True)
    p2 = npnn.Tensor(np.ones(2), requires_grad=True)
    opt = Adam([p1, p2], lr=0.1)
    p1.grad, p2.grad = np.array([1.0, 2.0, 3.0]), np.array([1.0, bad])
    opt.step()
    assert opt.skipped_steps == 1 and opt.state == {}
    np.testing.assert_array_equal(p1.data, 1.0)
    np.testing.assert_array_equal(p2.data, 1.0)
    p2.grad = np.array([1.0, 1.0])
    opt.step()
    assert opt.skipped_steps == 1 and np.all(p1.data < 1.0) and opt.state[p1]["step"] == 1


def test_large_finite_float32_gradients_are_not_mistaken_for_nonfinite():
    p = npnn.Tensor(np.zeros(4, dtype=np.float32), requires_grad=True)
    opt = SGD([p], lr=1e-38)
    p.grad = np.full(4, 3e38, dtype=np.float32)  # the sum overflows, the elements are finite
    opt.step()
    assert opt.skipped_steps == 0 and np.all(p.data < 0)


def test_parameters_without_grad_are_left_alone_and_zero_grad_clears():
    p, q = npnn.Tensor(np.ones(2), requires_grad=True), npnn.Tensor(np.ones(2), requires_grad=True)
    opt = SGD([p, q], lr=0.5)
    p.grad = np.ones(2)
    opt.step()
    np.testing.assert_array_equal(q.data, 1.0)
    np.testing.assert_array_equal(p.data, 0.5)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad, 0.0)
    assert q.grad is None
    opt.zero_grad()
    assert p.grad is None


def test_param_groups_have_their_own_mutable_lr():
    p, q = npnn.Tensor(np.ones(1), requires_grad=True), npnn.Tensor(np.ones(1), requires_grad=True)
    opt = SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1)
    opt.param_groups[0]["lr"] = 0.25
    p.grad, q.grad = np.ones(1), np.ones(1)
    opt.step()
    assert p.data[0] == pytest.approx(0.75) and q.data[0] == pytest.approx(0.5)


@pytest.mark.parametrize("make,message", [
    (lambda p: Adam(p, betas=(1.2, 0.999)), "Adam: betas[0] must be in [0, 1), got 1.2"),
    (lambda p: Adam(p, betas=(0.9, -0.1)), "Adam: betas[1] must be in [0, 1), got -0.1"),
    (lambda p: AdamW(p, eps=0.0), "AdamW: eps must be > 0, got 0.0"),
    (lambda p: SGD(p, lr=-1.0), "SGD: lr must be >= 0, got -1.0"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), "SGD: nesterov requires momentum > 0"),
    (lambda p: RMSprop(p, momentum=-0.5), "RMSprop: momentum must be >= 0, got -0.5"),
    (lambda p: RMSprop(p, weight_decay=-1), "RMSprop: weight_decay must be >= 0, got -1"),
    (lambda p: SGD([], lr=0.1), "SGD: got an empty parameter list"),
    (lambda p: SGD([npnn.Tensor(np.ones(2))], lr=0.1), "requires_grad=True"),
])
def test_bad_hyperparameters_are_clear_value_errors(make, message):
    with pytest.raises(ValueError) as info:
        make([npnn.Tensor(np.ones(2), requires_grad=True)])
    assert message in str(info.value)


def test_duplicate_parameter_and_single_tensor_are_rejected():
    p = npnn.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="more than one param group"):
        SGD([{"params": [p]}, {"params": [p]}])
    with pytest.raises(TypeError, match="single Tensor"):
        SGD(p)


TORCH_CASES = [  # every knob: weight_decay for each optimizer, nesterov, dampening, betas, eps, amsgrad
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.05)),
    ("Adam", dict(lr=0.02, betas=(0.5, 0.9), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, betas=(0.8, 0.95))),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, betas=(0.85, 0.95), weight_decay=0.05)),
    ("AdamW", dict(lr=0.01, weight_decay=0.2, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9)),
]


@pytest.mark.parametrize("name,kwargs", TORCH_CASES)
def test_matches_torch_optim_directly(name, kwargs, torch):
    tp = torch.tensor(THETA0.copy(), dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, name)([tp], **kwargs)
    for t in range(1, STEPS + 1):
        tp.grad = torch.from_numpy(grad_of(tp.detach().numpy(), t))
        topt.step()
    got = run_npnn(lambda p: getattr(npnn.optim, name)(p, **kwargs), THETA0)
    np.testing.assert_allclose(got, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


INVALID_KNOBS = [
    ("SGD", dict(lr=0.1, nesterov=True)),                                # nesterov needs momentum
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),   # ... and no dampening
    ("SGD", dict(lr=0.1, weight_decay=-0.1)),
    ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, 1.0))),
    ("AdamW", dict(weight_decay=-1e-2)),
    ("RMSprop", dict(weight_decay=-1.0)),
]


@pytest.mark.parametrize("name,kwargs", INVALID_KNOBS)
def test_invalid_knobs_are_refused_with_the_optimizer_named(name, kwargs):
    with pytest.raises(ValueError, match=name):
        getattr(npnn.optim, name)([npnn.Tensor(np.ones(2), requires_grad=True)], **kwargs)


@pytest.mark.parametrize("name,kwargs", INVALID_KNOBS)
def test_pytorch_refuses_the_same_knobs(torch, name, kwargs):
    with pytest.raises(ValueError):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
