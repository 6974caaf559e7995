"""Precision of the pointwise functions in their tails: erf/erfc/Φ (GELU), sigmoid, logsigmoid and
softplus, in float64 and float32, against the math module and (when installed) PyTorch."""
import math

import numpy as np
import pytest

from npnn import Tensor
from npnn.nn import functional as F
from npnn.ops import special

GRID = np.linspace(-30, 30, 120_001)  # step 5e-4: every branch of the rational approximations


def relative_error(got, expected):
    return np.abs(got - expected) / np.abs(expected)


def test_erf_matches_math_erf_on_a_dense_grid():
    expected = np.array([math.erf(v) for v in GRID])
    assert np.abs(special.erf(GRID) - expected).max() < 1e-15
    assert relative_error(special.erf(GRID[GRID != 0]), expected[GRID != 0]).max() < 1e-14


def test_erfc_keeps_relative_precision_in_the_right_tail():
    expected = np.array([math.erfc(v) for v in GRID])
    tiny = expected > 1e-300
    assert relative_error(special.erfc(GRID[tiny]), expected[tiny]).max() < 1e-14


def test_erf_in_float32_stays_float32_and_accurate():
    x = GRID.astype(np.float32)
    got = special.erf(x)
    assert got.dtype == np.float32
    assert np.abs(got - np.array([math.erf(v) for v in x.astype(np.float64)])).max() < 3e-7


def test_erf_erfc_and_ndtr_at_infinities_and_nan():
    np.testing.assert_array_equal(special.erf(np.array([np.inf, -np.inf, 0.0])), [1, -1, 0])
    np.testing.assert_array_equal(special.erfc(np.array([np.inf, -np.inf])), [0, 2])
    np.testing.assert_array_equal(special.ndtr(np.array([-np.inf, np.inf])), [0, 1])
    assert np.isnan(special.erf(np.array([np.nan]))).all() and np.isnan(special.erfc(np.array([np.nan]))).all()


def test_normal_cdf_is_precise_far_in_the_left_tail():
    # NOTE: d log Φ / dx ≈ |x|, so one rounding of x alone moves Φ(-37) by ~1.5e-13 relative
    x = np.linspace(-37, 0, 20_001)
    expected = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    assert relative_error(special.ndtr(x), expected).max() < 3e-13


def test_gelu_is_precise_in_the_float64_tail():  # was up to 1e-3 relative off with a 1.5e-7 erf
    x = np.linspace(-30, -3, 1_001)
    expected = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    assert relative_error(F.gelu(Tensor(x)).data, expected).max() < 1e-12


def test_tanh_gelu_is_precise_in_the_float64_tail():
    x = np.linspace(-12, -3, 1_001)  # GELU-tanh(-12) ≈ -3e-61; it underflows soon after (the x³ term)
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
    expected = x * np.exp(2 * u) / (1 + np.exp(2 * u))  # 0.5·x·(1 + tanh(u)) without the cancellation
    assert relative_error(F.gelu(Tensor(x), approximate="tanh").data, expected).max() < 1e-12


def test_gelu_float32_stays_float32():
    x = Tensor(np.linspace(-10, 10, 101, dtype=np.float32), requires_grad=True)
    y = F.gelu(x)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_forward_and_grad_match_pytorch_in_float64(approximate, torch):
    # NOTE: below x ≈ -5 PyTorch's own 0.5·(1 + erf(x/√2)) or 0.5·(1 + tanh(u)) cancels (1e-5 relative
    # at -7); ours does not (the tail is checked against math.erfc above)
    x = np.concatenate([np.linspace(-5, 6, 2_001), [8.0, 20.0, 40.0]])
    ours, theirs = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = F.gelu(ours, approximate), torch.nn.functional.gelu(theirs, approximate=approximate)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-6, atol=1e-300)


# ---- sigmoid, logsigmoid, softplus: both tails, both dtypes ----------------------------------------
TAILS = {np.float64: 40.0, np.float32: 20.0}  # where 0.5·(1 + tanh(x/2)) used to round to exactly 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_of_sigmoid_is_finite_in_the_left_tail_with_a_finite_gradient(dtype):
    x = Tensor(np.array([-TAILS[dtype]], dtype=dtype), requires_grad=True)
    y = x.sigmoid().log()  # was -inf, gradient nan
    y.backward()
    np.testing.assert_allclose(y.data, [-TAILS[dtype]], rtol=1e-6)
    np.testing.assert_allclose(x.grad, [1.0], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_keeps_tiny_values_and_stays_in_its_dtype(dtype):
    x = np.array([-TAILS[dtype], -1.0, 0.0, 1.0, TAILS[dtype]], dtype=dtype)
    out = Tensor(x).sigmoid().data
    assert out.dtype == dtype
    np.testing.assert_allclose(out, [math.exp(-TAILS[dtype]), 1 / (1 + math.e), 0.5, 1 / (1 + 1 / math.e), 1.0],
                               rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logsigmoid_in_both_tails(dtype):
    x = Tensor(np.array([-1000.0, -TAILS[dtype], 0.0, TAILS[dtype]], dtype=dtype), requires_grad=True)
    y = x.logsigmoid()
    y.sum().backward()
    assert y.dtype == dtype and np.isfinite(x.grad).all()
    np.testing.assert_allclose(y.data, [-1000.0, -TAILS[dtype], -math.log(2), -math.exp(-TAILS[dtype])], rtol=1e-6)
    np.testing.assert_allclose(x.grad, [1.0, 1.0, 0.5, math.exp(-TAILS[dtype])], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softplus_in_both_tails(dtype):
    x = Tensor(np.array([-1000.0, -TAILS[dtype], 0.0, 15.0, 1000.0], dtype=dtype), requires_grad=True)
    y = x.softplus()
    y.sum().backward()
    assert y.dtype == dtype and np.isfinite(y.data).all() and np.isfinite(x.grad).all()
    tail = math.exp(-TAILS[dtype])
    np.testing.assert_allclose(y.data, [0.0, tail, math.log(2), math.log1p(math.exp(15)), 1000.0], rtol=1e-6)
    np.testing.assert_allclose(x.grad, [0.0, tail, 0.5, 1 / (1 + math.exp(-15)), 1.0], rtol=1e-6)


def test_softplus_beta_and_threshold_follow_pytorch():
    x = np.array([-3.0, 1.0, 2.4, 2.6])
    # beta·x > threshold (5) is linear: 2·2.6 = 5.2 is, 2·2.4 = 4.8 is not
    expected = [math.log1p(math.exp(-6)) / 2, math.log1p(math.exp(2)) / 2, math.log1p(math.exp(4.8)) / 2, 2.6]
    np.testing.assert_allclose(F.softplus(Tensor(x), beta=2, threshold=5).data, expected)


def test_softplus_refuses_beta_zero():
    with pytest.raises(ValueError, match="softplus beta must be non-zero, got 0"):
        F.softplus(Tensor([1.0]), beta=0)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-6), (np.float32, 1e-5)])
@pytest.mark.parametrize("name", ["sigmoid", "logsigmoid", "softplus", "softplus(beta=2, threshold=5)"])
def test_sigmoid_family_matches_pytorch(name, dtype, rtol, torch):
    x = np.concatenate([np.linspace(-30, 30, 241), [-TAILS[dtype], TAILS[dtype]]]).astype(dtype)
    ours_fn, theirs_fn = {
        "sigmoid": (lambda t: t.sigmoid(), lambda t: t.sigmoid()),
        "logsigmoid": (F.logsigmoid, torch.nn.functional.logsigmoid),
        "softplus": (F.softplus, torch.nn.functional.softplus),
        "softplus(beta=2, threshold=5)": (lambda t: F.softplus(t, beta=2, threshold=5),
                                          lambda t: torch.nn.functional.softplus(t, beta=2, threshold=5)),
    }[name]
    ours, theirs = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours_fn(ours), theirs_fn(theirs)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=1e-30)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=rtol, atol=1e-30)
