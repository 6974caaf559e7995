"""Tensor behaviour: dtype policy, the backward pass, grad mode, and error messages."""
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import npnn
from npnn import Tensor


@pytest.fixture
def float64_default():
    npnn.set_default_dtype(np.float64)
    yield
    npnn.set_default_dtype(np.float32)


# ---- dtype policy -------------------------------------------------------------------------------
def test_python_numbers_and_lists_take_the_default_dtype():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([[1, 2], [3, 4]]).dtype == np.float32


def test_default_dtype_can_be_switched(float64_default):
    assert npnn.get_default_dtype() == np.float64
    assert Tensor([1.0, 2.0]).dtype == np.float64


def test_set_default_dtype_refuses_integers():
    with pytest.raises(TypeError, match="floating dtype"):
        npnn.set_default_dtype(np.int32)


def test_float64_arrays_stay_float64_and_integer_arrays_stay_integer():
    assert Tensor(np.zeros(3)).dtype == np.float64
    assert Tensor(np.arange(3)).dtype.kind == "i"


def test_python_scalars_never_upcast_float32():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (2.5 * x + 1) / 3.0 - 0.5 ** x + x ** 2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_float32_network_stays_float32():
    x = Tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True)
    w = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    out = (x @ w).sigmoid().log_softmax().mean()
    out.backward()
    assert out.dtype == x.grad.dtype == w.grad.dtype == np.float32


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating tensors can require grad"):
        Tensor(np.arange(3), requires_grad=True)


def test_non_numeric_data_is_refused_with_its_type():
    with pytest.raises(TypeError, match="got str"):
        Tensor("abc")


# ---- attributes -----------------------------------------------------------------------------------
def test_attributes_item_numpy_detach_and_assignable_data_and_grad():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert (x.shape, x.ndim, x.size, len(x)) == ((2, 3), 2, 6, 2)
    assert x.sum().item() == 15.0
    assert x.numpy() is x.data
    d = x.detach()
    assert not d.requires_grad and d.data is x.data
    x.data = np.zeros((2, 3))
    x.grad = np.ones((2, 3))
    assert x.data.sum() == 0 and x.grad.sum() == 6


def test_repr_shows_shape_dtype_and_grad_state():
    x = Tensor(np.zeros((2, 3), dtype=np.float32), requires_grad=True)
    assert "shape=(2, 3)" in repr(x) and "float32" in repr(x) and "requires_grad=True" in repr(x)
    assert "grad_fn=Mul" in repr(x * 2)


# ---- backward -------------------------------------------------------------------------------------
def test_gradients_accumulate_across_backward_calls():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 6.0])


def test_a_tensor_used_twice_gets_both_contributions():
    x = Tensor(np.array([3.0]), requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad, [7.0])


def test_ten_thousand_op_chain_needs_no_recursion():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    assert 10_000 > sys.getrecursionlimit() // 2
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001 ** 10_000], rtol=1e-9)


def test_graph_is_freed_after_backward_and_a_second_pass_is_a_clear_error():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 4 * np.exp([1.0, 2.0]))


def test_backward_on_non_scalar_without_grad_is_a_clear_error():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"needs a scalar output, got shape \(2, 3\)"):
        (x * 2).backward()


def test_backward_with_explicit_grad_for_non_scalar_output():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    (x * 2).backward(np.full((2, 3), 0.5))
    np.testing.assert_allclose(x.grad, np.ones((2, 3)))


def test_backward_grad_of_the_wrong_shape_is_refused():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"grad has shape \(3,\), expected \(2, 3\)"):
        (x * 2).backward(np.ones(3))


def test_backward_on_a_tensor_without_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.ones(3)).sum().backward()


def test_only_leaves_that_require_grad_receive_gradients():
    x = Tensor(np.ones(3), requires_grad=True)
    c = Tensor(np.ones(3))
    hidden = x * 2
    (hidden * c).sum().backward()
    assert c.grad is None and hidden.grad is None and x.grad is not None


def test_max_shares_the_gradient_among_ties_and_sums_to_upstream():
    x = Tensor(np.array([[1.0, 5.0, 5.0], [2.0, 2.0, 2.0]]), requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_repeated_indices_accumulate():
    x = Tensor(np.zeros(4), requires_grad=True)
    x[np.array([1, 1, 3])].sum().backward()
    np.testing.assert_allclose(x.grad, [0, 2, 0, 1])


def test_indexing_accepts_tensors_as_indices():
    x = Tensor(np.arange(5.0))
    np.testing.assert_array_equal(x[Tensor(np.array([4, 0]))].data, [4.0, 0.0])
    np.testing.assert_array_equal(x[x > 2.0].data, [3.0, 4.0])


def test_softmax_and_log_softmax_are_stable_for_large_inputs():
    x = Tensor(np.array([[1000.0, 0.0, -1000.0]]))
    assert np.isfinite(x.log_softmax().data).all()
    np.testing.assert_allclose(x.softmax().data, [[1.0, 0.0, 0.0]])


def test_sigmoid_does_not_overflow():
    with np.errstate(all="raise"):
        np.testing.assert_allclose(Tensor(np.array([-1000.0, 0.0, 1000.0])).sigmoid().data, [0, 0.5, 1])


# ---- grad mode ------------------------------------------------------------------------------------
def test_no_grad_context_records_nothing():
    x = Tensor(np.ones(3), requires_grad=True)
    with npnn.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf
    assert npnn.is_grad_enabled()


def test_no_grad_as_decorator_and_original_spelling():
    x = Tensor(np.ones(3), requires_grad=True)

    @npnn.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    with Tensor.no_grad():
        assert not (x + 1).requires_grad
    assert (x + 1).requires_grad


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError), npnn.no_grad():
        1 / 0
    assert npnn.is_grad_enabled()


def test_manual_seed_repeats_the_generator():
    npnn.manual_seed(7)
    first = npnn.random.generator().random(3)
    npnn.manual_seed(7)
    np.testing.assert_array_equal(first, npnn.random.generator().random(3))
    with pytest.raises(ValueError, match="non-negative integer"):
        npnn.manual_seed(-1)


# ---- error messages -------------------------------------------------------------------------------
def test_matmul_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) @ \(4, 5\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))


def test_reshape_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\)"):
        Tensor(np.ones((2, 3))).reshape(4, 2)


def test_bad_axis_is_named():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        Tensor(np.ones((2, 3))).sum(axis=2)


def test_concatenate_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"cannot concatenate shapes \[\(2, 3\), \(2, 4\)\] along axis 0"):
        npnn.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))])


def test_gradcheck_reports_a_wrong_gradient():
    class Broken(npnn.tensor.Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad):
            return (grad * 3,)

    with pytest.raises(AssertionError, match="gradcheck failed for input 0"):
        npnn.gradcheck(lambda a: Broken.apply(a), np.ones(3))


# ---- forward results equal NumPy's (property tests) ------------------------------------------------
finite = st.floats(-10, 10, allow_nan=False, width=64)
arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=finite)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(arrays)
def test_unary_ops_match_numpy(a):
    x = Tensor(a)
    np.testing.assert_allclose(x.exp().data, np.exp(a))
    np.testing.assert_allclose(x.abs().data, np.abs(a))
    np.testing.assert_allclose(x.tanh().data, np.tanh(a))
    np.testing.assert_allclose(x.relu().data, np.maximum(a, 0))
    np.testing.assert_allclose(x.sigmoid().data, 1 / (1 + np.exp(-a)), atol=1e-12)
    np.testing.assert_allclose((-x).data, -a)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(arrays, st.data())
def test_reductions_match_numpy(a, data):
    axis = data.draw(st.none() | st.integers(-a.ndim, a.ndim - 1))
    keepdims = data.draw(st.booleans())
    x = Tensor(a)
    np.testing.assert_allclose(x.sum(axis, keepdims).data, a.sum(axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(x.mean(axis, keepdims).data, a.mean(axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(x.max(axis, keepdims).data, a.max(axis=axis, keepdims=keepdims))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4), st.data())
def test_binary_ops_match_numpy_with_broadcasting(shapes, data):
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=finite))
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=st.floats(0.5, 10, width=64)))
    x, y = Tensor(a), Tensor(b)
    np.testing.assert_allclose((x + y).data, a + b)
    np.testing.assert_allclose((x - y).data, a - b)
    np.testing.assert_allclose((x * y).data, a * b)
    np.testing.assert_allclose((x / y).data, a / b)
    np.testing.assert_allclose((y ** x).data, b ** a)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(arrays)
def test_softmax_matches_numpy(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    expected = e / e.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(Tensor(a).softmax().data, expected, atol=1e-12)
    np.testing.assert_allclose(Tensor(a).log_softmax().data, np.log(expected), atol=1e-9)
