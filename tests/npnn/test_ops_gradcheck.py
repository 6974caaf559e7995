"""Every differentiable primitive against central finite differences (float64), one line each."""
import numpy as np
import pytest

import npnn
from npnn import gradcheck
from npnn.nn import functional as F

rng = np.random.default_rng(0)


def randn(*shape):
    return rng.standard_normal(shape)


def positive(*shape):
    return rng.uniform(0.5, 2.0, shape)


# (name, function, inputs): the broadcasting cases are same shape, row vector, keepdims-shaped, scalar
BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), (3, 1)), ((3, 4), ()), ((2, 1, 4), (3, 1))]


@pytest.mark.parametrize("shape_a,shape_b", BINARY_SHAPES)
def test_add(shape_a, shape_b): assert gradcheck(lambda a, b: a + b, randn(*shape_a), randn(*shape_b))


@pytest.mark.parametrize("shape_a,shape_b", BINARY_SHAPES)
def test_sub(shape_a, shape_b): assert gradcheck(lambda a, b: a - b, randn(*shape_a), randn(*shape_b))


@pytest.mark.parametrize("shape_a,shape_b", BINARY_SHAPES)
def test_mul(shape_a, shape_b): assert gradcheck(lambda a, b: a * b, randn(*shape_a), randn(*shape_b))


@pytest.mark.parametrize("shape_a,shape_b", BINARY_SHAPES)
def test_div(shape_a, shape_b): assert gradcheck(lambda a, b: a / b, randn(*shape_a), positive(*shape_b))


@pytest.mark.parametrize("shape_a,shape_b", BINARY_SHAPES)
def test_pow_tensor_exponent(shape_a, shape_b):
    assert gradcheck(lambda a, b: a ** b, positive(*shape_a), randn(*shape_b))


def test_scalar_on_either_side(): assert gradcheck(lambda a: 2 * a - 1 / (a + 3) + 3 - a / 2, positive(3, 4))
def test_pow_scalar(): assert gradcheck(lambda a: a ** 3 + a ** 0.5 + a ** -1, positive(3, 4))
def test_rpow(): assert gradcheck(lambda a: 2.0 ** a, randn(3, 4))
def test_neg(): assert gradcheck(lambda a: -a, randn(3, 4))
def test_exp(): assert gradcheck(lambda a: a.exp(), randn(3, 4))
def test_log(): assert gradcheck(lambda a: a.log(), positive(3, 4))
def test_sqrt(): assert gradcheck(lambda a: a.sqrt(), positive(3, 4))
def test_abs(): assert gradcheck(lambda a: a.abs(), positive(3, 4) * np.sign(randn(3, 4)))
def test_relu(): assert gradcheck(lambda a: a.relu(), positive(3, 4) * np.sign(randn(3, 4)))
def test_sigmoid(): assert gradcheck(lambda a: a.sigmoid(), randn(3, 4) * 3)
def test_tanh(): assert gradcheck(lambda a: a.tanh(), randn(3, 4))
def test_sigmoid_in_the_tails(): assert gradcheck(lambda a: a.sigmoid().log(), np.array([-40.0, -20.0, 20.0]))
def test_softplus(): assert gradcheck(lambda a: a.softplus(), randn(3, 4) * 5)
def test_softplus_beta_threshold(): assert gradcheck(lambda a: F.softplus(a, beta=2, threshold=3), randn(3, 4) * 2)
def test_logsigmoid(): assert gradcheck(lambda a: a.logsigmoid(), randn(3, 4) * 5)
def test_logsigmoid_in_the_tails(): assert gradcheck(lambda a: F.logsigmoid(a), np.array([-700.0, -40.0, 40.0]))
def test_gelu(): assert gradcheck(lambda a: F.gelu(a), randn(3, 4) * 3)
def test_gelu_in_the_left_tail(): assert gradcheck(lambda a: F.gelu(a) * 1e10, np.array([-7.0, -6.0, -5.0]))
def test_gelu_tanh(): assert gradcheck(lambda a: F.gelu(a, approximate="tanh"), randn(3, 4) * 3)
def test_matmul_2d(): assert gradcheck(lambda a, b: a @ b, randn(3, 4), randn(4, 5))
def test_matmul_vector_matrix(): assert gradcheck(lambda a, b: a @ b, randn(4), randn(4, 5))
def test_matmul_matrix_vector(): assert gradcheck(lambda a, b: a @ b, randn(3, 4), randn(4))
def test_matmul_vector_vector(): assert gradcheck(lambda a, b: a @ b, randn(4), randn(4))
def test_matmul_batched(): assert gradcheck(lambda a, b: a @ b, randn(2, 3, 4), randn(2, 4, 5))
def test_matmul_batched_broadcast(): assert gradcheck(lambda a, b: a @ b, randn(2, 1, 3, 4), randn(3, 4, 2))
def test_rmatmul_with_array(): assert gradcheck(lambda b, m=randn(3, 4): m @ b, randn(4, 2))
def test_softmax(): assert gradcheck(lambda a: a.softmax(axis=-1), randn(3, 5))
def test_softmax_axis0(): assert gradcheck(lambda a: a.softmax(axis=0), randn(3, 5))
def test_log_softmax(): assert gradcheck(lambda a: a.log_softmax(axis=-1), randn(3, 5))
def test_log_softmax_axis1_of_3d(): assert gradcheck(lambda a: a.log_softmax(axis=1), randn(2, 3, 4))
def test_sum_all(): assert gradcheck(lambda a: a.sum(), randn(3, 4))
def test_sum_axis(): assert gradcheck(lambda a: a.sum(axis=1), randn(3, 4))
def test_sum_negative_axis_keepdims(): assert gradcheck(lambda a: a.sum(axis=-1, keepdims=True), randn(3, 4))
def test_sum_tuple_axis(): assert gradcheck(lambda a: a.sum(axis=(0, 2)), randn(2, 3, 4))
def test_mean_all(): assert gradcheck(lambda a: a.mean(), randn(3, 4))
def test_mean_tuple_keepdims(): assert gradcheck(lambda a: a.mean(axis=(0, 2), keepdims=True), randn(2, 3, 4))
def test_max_all(): assert gradcheck(lambda a: a.max(), randn(3, 4))
def test_max_axis(): assert gradcheck(lambda a: a.max(axis=0), randn(3, 4))
def test_max_tuple_keepdims(): assert gradcheck(lambda a: a.max(axis=(1, 2), keepdims=True), randn(2, 3, 4))
def test_reshape(): assert gradcheck(lambda a, w=randn(4, 3): a.reshape(4, 3) * w, randn(3, 4))
def test_reshape_tuple_and_infer(): assert gradcheck(lambda a: a.reshape((2, -1)), randn(3, 4))
def test_transpose_default(): assert gradcheck(lambda a, w=randn(4, 3): a.transpose() * w, randn(3, 4))
def test_transpose_axes(): assert gradcheck(lambda a: a.transpose(2, 0, 1), randn(2, 3, 4))
def test_transpose_negative_axes(): assert gradcheck(lambda a: a.transpose(0, -1, 1, 2), randn(2, 3, 4, 5))
def test_T(): assert gradcheck(lambda a: a.T, randn(3, 4))
def test_getitem_slice(): assert gradcheck(lambda a: a[1:, ::2], randn(3, 4))
def test_getitem_integer_array_repeats(): assert gradcheck(lambda a: a[np.array([0, 2, 0, 0])], randn(3, 4))
def test_getitem_boolean_mask(): assert gradcheck(lambda a: a[np.array([[True, False, True, True]] * 3)], randn(3, 4))
def test_getitem_pairs(): assert gradcheck(lambda a: a[np.arange(3), np.array([1, 1, 3])], randn(3, 4))
def test_concatenate(): assert gradcheck(lambda a, b: npnn.concatenate([a, b], axis=1), randn(3, 2), randn(3, 4))
def test_concatenate_same_tensor_twice(): assert gradcheck(lambda a: npnn.concatenate([a, a]), randn(3, 2))
def test_stack(): assert gradcheck(lambda a, b: npnn.stack([a, b], axis=1), randn(3, 4), randn(3, 4))
def test_stack_last_axis(): assert gradcheck(lambda a, b: npnn.stack([a, b], axis=-1), randn(3, 4), randn(3, 4))
def test_composite_chain(): assert gradcheck(lambda a, b: ((a @ b).tanh() * a.sum()).log_softmax().mean(), randn(3, 4), randn(4, 2))
