"""Losses: gradchecks for every reduction (float64), values against their formulas, target checks."""
import numpy as np
import pytest

from npnn import Tensor, gradcheck, nn

rng = np.random.default_rng(1)
REDUCTIONS = ["mean", "sum", "none"]


def randn(*shape):
    return rng.standard_normal(shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("loss", [nn.MSELoss, nn.L1Loss, nn.HuberLoss, nn.BCEWithLogitsLoss], ids=lambda c: c.__name__)
def test_elementwise_loss_gradcheck_in_input_and_target(loss, reduction):
    assert gradcheck(loss(reduction=reduction), randn(4, 3), randn(4, 3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_gradcheck(reduction):
    assert gradcheck(nn.BCELoss(reduction=reduction), rng.uniform(0.1, 0.9, (4, 2)), rng.uniform(0, 1, (4, 2)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_gradcheck_with_class_indices(reduction):
    assert gradcheck(lambda x: nn.CrossEntropyLoss(reduction=reduction)(x, np.array([0, 2, 1, 2])), randn(4, 3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_gradcheck_with_probabilities(reduction):
    probs = rng.dirichlet(np.ones(3), size=4)
    assert gradcheck(nn.CrossEntropyLoss(reduction=reduction), randn(4, 3), probs)


def test_loss_values_match_their_formulas():
    x, t = randn(5, 2), randn(5, 2)
    d = x - t
    np.testing.assert_allclose(nn.MSELoss()(Tensor(x), t).item(), (d ** 2).mean())
    np.testing.assert_allclose(nn.MAELoss(reduction="sum")(Tensor(x), t).item(), np.abs(d).sum())
    huber = np.where(np.abs(d) <= 0.5, 0.5 * d ** 2, 0.5 * (np.abs(d) - 0.25))
    np.testing.assert_allclose(nn.HuberLoss(reduction="none", delta=0.5)(Tensor(x), t).data, huber)
    labels = np.array([1, 0, 1, 1, 0])
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(nn.CrossEntropyLoss()(Tensor(x), labels).item(), -logp[np.arange(5), labels].mean())
    p = 1 / (1 + np.exp(-x))
    y = (t > 0).astype(float)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(nn.BCEWithLogitsLoss(reduction="none")(Tensor(x), y).data, bce)
    np.testing.assert_allclose(nn.BCELoss(reduction="none")(Tensor(p), y).data, bce)


def test_cross_entropy_is_stable_and_keeps_float32():
    x = Tensor(np.array([[1000.0, -1000.0], [0.0, 2000.0]], dtype=np.float32), requires_grad=True)
    loss = nn.CrossEntropyLoss()(x, np.array([0, 0]))
    assert loss.dtype == np.float32 and np.isclose(loss.item(), 1000.0)
    loss.backward()
    assert x.grad.dtype == np.float32 and np.isfinite(x.grad).all()


def test_bce_with_logits_is_finite_for_large_logits():
    x = Tensor(np.array([500.0, -500.0, 80.0], dtype=np.float32), requires_grad=True)
    loss = nn.BCEWithLogitsLoss(reduction="none")(x, np.array([0.0, 1.0, 1.0], dtype=np.float32))
    np.testing.assert_allclose(loss.data, [500.0, 500.0, 0.0], atol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, -1.0, 0.0], atol=1e-6)


def test_bce_clamps_log_at_minus_100_like_pytorch():
    loss = nn.BCELoss(reduction="none")(Tensor(np.array([0.0, 1.0])), np.array([1.0, 0.0]))
    np.testing.assert_array_equal(loss.data, [100.0, 100.0])


def test_loss_refuses_a_target_that_would_broadcast():
    with pytest.raises(ValueError, match=r"^MSELoss expected target of shape \(32, 1\) like the input, got \(32,\)$"):
        nn.MSELoss()(Tensor(np.zeros((32, 1))), np.zeros(32))
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss expected target of shape \(4,\)"):
        nn.BCEWithLogitsLoss()(Tensor(np.zeros(4)), np.zeros((4, 1)))


def test_cross_entropy_target_errors():
    logits = Tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss expected class-index target of shape \(4,\), got \(4, 1\)"):
        nn.CrossEntropyLoss()(logits, np.zeros((4, 1), dtype=int))
    with pytest.raises(ValueError, match="CrossEntropyLoss target holds class 3, outside 0..2 for 3 classes"):
        nn.CrossEntropyLoss()(logits, np.array([0, 1, 3, 2]))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss expected logits \(N, C\), got \(4,\)"):
        nn.CrossEntropyLoss()(Tensor(np.zeros(4)), np.zeros(4, dtype=int))


def test_bad_reduction_and_bce_input_outside_0_1():
    with pytest.raises(ValueError, match="L1Loss reduction must be one of"):
        nn.L1Loss(reduction="avg")
    with pytest.raises(ValueError, match=r"BCELoss expects probabilities in \[0, 1\]"):
        nn.BCELoss()(Tensor(np.array([1.5])), np.array([1.0]))


def test_float64_target_does_not_upcast_a_float32_loss():
    loss = nn.MSELoss()(Tensor(np.ones(3, dtype=np.float32)), np.zeros(3))
    assert loss.dtype == np.float32
