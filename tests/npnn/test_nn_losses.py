"""Losses: gradchecks for every option and reduction (float64), values against their formulas, argument checks."""
import numpy as np
import pytest

from npnn import Tensor, gradcheck, nn
from tests.npnn.loss_cases import BCE_WEIGHT_SHAPES, WEIGHT, cross_entropy_cases, cross_entropy_inputs

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
    with pytest.raises(ValueError, match=r"CrossEntropyLoss expected class-index target of shape \(4,\) or probability "
                                         r"target of shape \(4, 3\), got \(4, 1\)"):
        nn.CrossEntropyLoss()(logits, np.zeros((4, 1), dtype=int))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss target holds class 3, outside 0..2 for 3 classes"):
        nn.CrossEntropyLoss()(logits, np.array([0, 1, 3, 2]))
    with pytest.raises(ValueError, match=r"target holds class -100, outside 0..2 for 3 classes \(ignore_index=-1\)"):
        nn.CrossEntropyLoss(ignore_index=-1)(logits, np.array([0, 1, -100, 2]))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss expected logits \(C,\), \(N, C\) or \(N, C, d1, ...\), got \(\)"):
        nn.CrossEntropyLoss()(Tensor(np.zeros(())), np.zeros((), dtype=int))
    with pytest.raises(TypeError, match=r"target of shape \(4,\) holds class indices and must be integers, got "
                                        r"dtype float64"):
        nn.CrossEntropyLoss()(logits, np.array([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(TypeError, match=r"target of the input's shape \(4, 3\) holds class probabilities and must "
                                        r"be floating point, got dtype int64"):
        nn.CrossEntropyLoss()(logits, np.zeros((4, 3), dtype=np.int64))
    with pytest.raises(ValueError, match=r"ignore_index=2 is not supported with class-probability targets"):
        nn.CrossEntropyLoss(ignore_index=2)(logits, np.full((4, 3), 1 / 3))


@pytest.mark.parametrize("make,error,message", [
    (lambda: nn.CrossEntropyLoss(weight=np.ones((2, 3))), ValueError,
     r"CrossEntropyLoss weight must be 1-D with one entry per class, got shape \(2, 3\)"),
    (lambda: nn.CrossEntropyLoss(weight=np.ones(4))(Tensor(np.zeros((2, 3))), np.array([0, 1])), ValueError,
     r"CrossEntropyLoss weight must have one entry per class, shape \(3,\), got \(4,\)"),
    (lambda: nn.CrossEntropyLoss(weight=["a", "b"]), TypeError, "CrossEntropyLoss weight must hold real numbers"),
    (lambda: nn.CrossEntropyLoss(ignore_index=1.5), TypeError, "CrossEntropyLoss ignore_index must be an int, got 1.5"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=1.2), ValueError,
     r"CrossEntropyLoss label_smoothing must be in \[0, 1\], got 1.2"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=-0.1), ValueError, "label_smoothing must be in"),
    (lambda: nn.BCELoss(weight=np.ones(3))(Tensor(np.full((4, 2), 0.5)), np.ones((4, 2))), ValueError,
     r"BCELoss weight of shape \(3,\) does not broadcast to the input's shape \(4, 2\)"),
    (lambda: nn.BCEWithLogitsLoss(pos_weight=np.ones((3, 4, 2)))(Tensor(np.zeros((4, 2))), np.ones((4, 2))),
     ValueError, r"BCEWithLogitsLoss pos_weight of shape \(3, 4, 2\) does not broadcast to the input's shape"),
    (lambda: nn.BCEWithLogitsLoss(weight=np.ones(5))(Tensor(np.zeros((4, 2))), np.ones((4, 2))), ValueError,
     r"BCEWithLogitsLoss weight of shape \(5,\) does not broadcast"),
])
def test_bad_loss_options_are_errors_naming_the_argument(make, error, message):
    with pytest.raises(error, match=message):
        make()


CE_CASES = cross_entropy_cases()


@pytest.mark.parametrize("case", CE_CASES, ids=[c[0] for c in CE_CASES])
def test_cross_entropy_option_grid_gradcheck(case):
    _, shape, kind, weighted, ignore_index, smoothing, reduction = case
    logits, target = cross_entropy_inputs(shape, kind, ignore_index)
    loss = nn.CrossEntropyLoss(weight=WEIGHT if weighted else None, ignore_index=ignore_index,
                               reduction=reduction, label_smoothing=smoothing)
    if kind == "probs":  # the gradient with respect to the probabilities is checked as well
        assert gradcheck(loss, logits, target)
    else:
        assert gradcheck(lambda x: loss(x, target), logits)


def test_cross_entropy_mean_divides_by_the_weights_of_the_targets_that_count():
    logits = rng.standard_normal((4, 3))
    target = np.array([0, 2, 1, 2])
    weight = np.array([1.0, 3.0, 0.5])
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    kept = [0, 1, 3]  # target 1 (row 2) is ignored
    expected = -sum(weight[target[i]] * logp[i, target[i]] for i in kept) / weight[target[kept]].sum()
    got = nn.CrossEntropyLoss(weight=weight, ignore_index=1)(Tensor(logits), target).item()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_cross_entropy_label_smoothing_is_the_smoothed_probability_target():
    logits, target = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    smoothed = np.eye(4)[target] * 0.8 + 0.2 / 4
    np.testing.assert_allclose(nn.CrossEntropyLoss(label_smoothing=0.2)(Tensor(logits), target).item(),
                               nn.CrossEntropyLoss()(Tensor(logits), smoothed).item(), rtol=1e-12)


def test_cross_entropy_unbatched_and_k_dimensional_agree_with_the_batched_form():
    logits, target = rng.standard_normal((2, 3, 4)), rng.integers(0, 3, (2, 4))  # (N, C, d1)
    flat_logits, flat_target = logits.transpose(0, 2, 1).reshape(-1, 3), target.reshape(-1)
    per_entry = nn.CrossEntropyLoss(reduction="none")(Tensor(logits), target)
    assert per_entry.shape == (2, 4)
    np.testing.assert_allclose(per_entry.data.reshape(-1),
                               nn.CrossEntropyLoss(reduction="none")(Tensor(flat_logits), flat_target).data)
    single = nn.CrossEntropyLoss(reduction="none")(Tensor(flat_logits[0]), flat_target[0])
    assert single.shape == () and np.isclose(single.item(), per_entry.data[0, 0])
    assert nn.CrossEntropyLoss()(Tensor(flat_logits[0]), int(flat_target[0])).shape == ()


def test_cross_entropy_accepts_a_list_of_class_indices():
    assert np.isclose(nn.CrossEntropyLoss()(Tensor(np.zeros((2, 3))), [0, 2]).item(), np.log(3))


def test_cross_entropy_with_every_target_ignored_gives_nan_mean_and_zero_gradient():
    x = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    loss = nn.CrossEntropyLoss(ignore_index=1)(x, np.array([1, 1]))
    loss.backward()
    assert np.isnan(loss.item()) and (x.grad == 0).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", list(BCE_WEIGHT_SHAPES))
def test_bce_weight_gradcheck(weight, reduction):
    w = None if BCE_WEIGHT_SHAPES[weight] is None else rng.uniform(0.2, 3.0, BCE_WEIGHT_SHAPES[weight])
    x, t = rng.uniform(0.1, 0.9, (5, 4)), rng.uniform(0, 1, (5, 4))
    assert gradcheck(nn.BCELoss(weight=w, reduction=reduction), x, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_weight", list(BCE_WEIGHT_SHAPES))
@pytest.mark.parametrize("weight", ["none", "per-class", "per-row"])
def test_bce_with_logits_weight_and_pos_weight_gradcheck(weight, pos_weight, reduction):
    w, pw = (None if BCE_WEIGHT_SHAPES[n] is None else rng.uniform(0.2, 3.0, BCE_WEIGHT_SHAPES[n])
             for n in (weight, pos_weight))
    x, t = randn(5, 4) * 3, rng.uniform(0, 1, (5, 4))
    assert gradcheck(nn.BCEWithLogitsLoss(weight=w, reduction=reduction, pos_weight=pw), x, t)


def test_bce_with_logits_pos_weight_is_stable_for_large_logits():
    x = Tensor(np.array([800.0, -800.0, 40.0, -40.0], dtype=np.float32), requires_grad=True)
    t = np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32)
    loss = nn.BCEWithLogitsLoss(reduction="none", pos_weight=np.full(4, 3.0))(x, t)
    np.testing.assert_allclose(loss.data, [800.0, 2400.0, 0.0, 0.0], atol=1e-6)
    loss.sum().backward()
    assert loss.dtype == np.float32 and np.isfinite(x.grad).all()
    np.testing.assert_allclose(x.grad, [1.0, -3.0, 0.0, 0.0], atol=1e-6)


def test_loss_reprs_show_their_options():
    assert repr(nn.CrossEntropyLoss(weight=np.ones(3), ignore_index=0, label_smoothing=0.1)) == \
        "CrossEntropyLoss(weight=(3,), ignore_index=0, label_smoothing=0.1)"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"


def test_bad_reduction_and_bce_input_outside_0_1():
    with pytest.raises(ValueError, match="L1Loss reduction must be one of"):
        nn.L1Loss(reduction="avg")
    with pytest.raises(ValueError, match=r"BCELoss expects probabilities in \[0, 1\]"):
        nn.BCELoss()(Tensor(np.array([1.5])), np.array([1.0]))


def test_float64_target_does_not_upcast_a_float32_loss():
    loss = nn.MSELoss()(Tensor(np.ones(3, dtype=np.float32)), np.zeros(3))
    assert loss.dtype == np.float32


@pytest.mark.parametrize("options", [{}, {"weight": WEIGHT, "ignore_index": 1, "label_smoothing": 0.2}])
def test_cross_entropy_of_a_transposed_view_has_the_gradient_of_a_copy(options):
    target = np.array([0, 1, 3, 2, 1])
    base = randn(4, 5)  # base.T is a Fortran-order (5, 4) view
    grads = []
    for logits in (base.T, np.ascontiguousarray(base.T)):
        x = Tensor(logits, requires_grad=True)
        nn.CrossEntropyLoss(**options)(x, target).backward()
        grads.append(x.grad)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
