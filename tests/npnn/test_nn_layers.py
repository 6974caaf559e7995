"""Layers: gradchecks (float64) through each Module's own forward, values, shapes and error messages."""
import numpy as np
import pytest

import npnn
from npnn import Tensor, nn
from npnn.nn import functional as F
from tests.npnn.nn_helpers import check_module, float64  # noqa: F401  (fixture)

rng = np.random.default_rng(0)


def randn(*shape):
    return rng.standard_normal(shape)


def naive_conv(x, w, b, stride, padding):
    """Reference convolution by definition (tiny shapes only)."""
    (sh, sw), (ph, pw) = stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, _, h, wd = xp.shape
    o, _, kh, kw = w.shape
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out + (0 if b is None else b[None, :, None, None])


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(float64, shape, bias): assert check_module(nn.Linear(4, 3, bias=bias), randn(*shape))


CONV_CASES = [  # (in, out, kernel, stride, padding, input shape)
    (2, 3, 3, 1, 0, (2, 2, 5, 5)),
    (2, 3, 3, 1, 1, (2, 2, 4, 4)),
    (1, 2, 3, 2, 1, (2, 1, 6, 5)),
    (2, 2, (2, 3), (2, 1), (1, 0), (1, 2, 5, 6)),
    (3, 2, 1, 1, 0, (2, 3, 3, 3)),
]


@pytest.mark.parametrize("cin,cout,k,s,p,shape", CONV_CASES)
def test_conv2d_gradcheck(float64, cin, cout, k, s, p, shape):
    assert check_module(nn.Conv2d(cin, cout, k, stride=s, padding=p), randn(*shape))


def test_conv2d_without_bias_gradcheck(float64):
    assert check_module(nn.Conv2d(2, 2, 2, bias=False), randn(1, 2, 3, 3))


@pytest.mark.parametrize("cin,cout,k,s,p,shape", CONV_CASES)
def test_conv2d_equals_the_definition(float64, cin, cout, k, s, p, shape):
    conv = nn.Conv2d(cin, cout, k, stride=s, padding=p)
    x = randn(*shape)
    expected = naive_conv(x, conv.weight.data, conv.bias.data, conv.stride, conv.padding)
    np.testing.assert_allclose(conv(Tensor(x)).data, expected, rtol=1e-10, atol=1e-12)


def test_conv_chain_keeps_float32_and_plain_nchw_values():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 2, 3))
    x = rng.random((3, 1, 8, 8), dtype=np.float32)
    out = model(Tensor(x, requires_grad=True))
    assert out.dtype == np.float32 and out.shape == (3, 2, 2, 2)
    out.sum().backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


@pytest.mark.parametrize("kernel,stride,padding,shape", [
    (2, None, 0, (2, 3, 4, 6)),      # windows tile the input
    (3, 2, 0, (2, 2, 7, 7)),         # overlapping windows
    (3, 1, 1, (1, 2, 4, 5)),         # overlapping with padding
    ((2, 3), (1, 2), (1, 1), (1, 1, 5, 6)),
    (2, 2, 0, (1, 1, 5, 5)),         # a leftover row and column are dropped
])
def test_max_pool2d_gradcheck(float64, kernel, stride, padding, shape):
    x = rng.permutation(np.prod(shape)).reshape(shape) * 0.1  # distinct values: max is differentiable
    assert check_module(nn.MaxPool2d(kernel, stride, padding), x)


def test_max_pool2d_values_and_a_tie_sends_the_gradient_to_the_first_maximum():
    x = Tensor(np.array([[[[1., 1., 0., 2.], [1., 0., 3., 3.]]]]), requires_grad=True)
    out = nn.MaxPool2d(2)(x)
    np.testing.assert_array_equal(out.data, [[[[1., 3.]]]])
    out.backward(np.ones_like(out.data))
    np.testing.assert_array_equal(x.grad, [[[[1., 0., 0., 0.], [0., 0., 1., 0.]]]])


def test_overlapping_pool_gradient_accumulates_where_windows_share_the_max():
    x = Tensor(np.array([[[[0., 0., 0.], [0., 5., 0.], [0., 0., 0.]]]]), requires_grad=True)
    nn.MaxPool2d(2, stride=1)(x).sum().backward()
    assert x.grad[0, 0, 1, 1] == 4 and x.grad.sum() == 4


def test_flatten_and_its_range():
    x = Tensor(randn(2, 3, 4, 5))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert check_module(nn.Flatten(1, 2), randn(2, 3, 2, 2))


@pytest.mark.parametrize("layer", [nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.LeakyReLU(0.2), nn.GELU(),
                                   nn.GELU("tanh"), nn.Softmax(dim=1), nn.Softmax(dim=0)], ids=repr)
def test_activation_gradcheck(float64, layer):
    x = randn(3, 4)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from ReLU's kink
    assert check_module(layer, x)


def test_activation_values():
    x = Tensor(np.array([-2.0, 0.5, 3.0]))
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(x).data, [-0.2, 0.5, 3.0])
    # x * Phi(x) at the three points (Phi from math.erf)
    from math import erf, sqrt
    np.testing.assert_allclose(nn.GELU()(x).data, [v * 0.5 * (1 + erf(v / sqrt(2))) for v in x.data], atol=3e-7)
    np.testing.assert_allclose(nn.Softmax(0)(x).data.sum(), 1.0)


def test_activations_keep_float32():
    x = Tensor(np.array([-1.0, 2.0], dtype=np.float32))
    for layer in (nn.LeakyReLU(), nn.GELU(), nn.GELU("tanh"), nn.Dropout(0.5)):
        assert layer(x).dtype == np.float32, layer


def test_dropout_keeps_one_minus_p_and_scales_the_rest():
    npnn.manual_seed(0)
    x = Tensor(np.ones((200, 500), dtype=np.float32))
    out = nn.Dropout(0.3)(x).data
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)
    assert out.dtype == np.float32


def test_dropout_is_seeded_identity_in_eval_and_differentiable():
    x = Tensor(np.ones((4, 8), dtype=np.float32))
    npnn.manual_seed(5)
    a = nn.Dropout(0.5)(x).data
    npnn.manual_seed(5)
    np.testing.assert_array_equal(a, nn.Dropout(0.5)(x).data)
    assert nn.Dropout(0.5).eval()(x) is x
    xg = Tensor(np.ones(10), requires_grad=True)
    out = nn.Dropout(0.5)(xg)
    out.sum().backward()
    np.testing.assert_array_equal(xg.grad, out.data)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, "0.5"])
def test_dropout_rejects_bad_probabilities(p):
    with pytest.raises(ValueError, match="Dropout probability p must be a number in \\[0, 1\\)"):
        nn.Dropout(p)


def test_sequential_indexing_slicing_len_iteration_and_append():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and isinstance(seq[-1], nn.Linear)
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and [n for n, _ in tail.named_parameters()] == ["2.weight", "2.bias"]
    seq.append(nn.Sigmoid())
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear", "Sigmoid"]
    assert seq(Tensor(np.ones((5, 2), dtype=np.float32))).shape == (5, 1)
    with pytest.raises(TypeError, match="Sequential holds Modules only, got int"):
        nn.Sequential(nn.ReLU(), 3)


def test_modulelist_registers_by_index():
    layers = nn.ModuleList([nn.Linear(2, 2)]).append(nn.Linear(2, 1))
    assert len(layers) == 2 and [n for n, _ in layers.named_parameters()][-1] == "1.bias"


def test_mlp_builds_pytorch_named_stack():
    mlp = nn.MLP(10, [128, 64], 1, activation="tanh", dropout=0.2)
    assert [type(m).__name__ for m in mlp] == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert list(mlp.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"]
    assert nn.MLP(3, [], 2)[0].label() == "Linear(3→2)"
    with pytest.raises(ValueError, match="MLP activation must be one of"):
        nn.MLP(3, [4], 1, activation="swish")


def test_linear_error_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"^Linear\(10→128\) expected input \(\.\.\., 10\), got \(32, 12\)$"):
        nn.Linear(10, 128)(Tensor(np.zeros((32, 12), dtype=np.float32)))


def test_conv_error_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"^Conv2d\(1→8, k=3\) expected input \(N, 1, H, W\), got \(64, 784\)$"):
        nn.Conv2d(1, 8, 3, padding=1)(Tensor(np.zeros((64, 784), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"Conv2d\(1→8, k=3\): padded input 2x2 is smaller than the kernel 3x3"):
        nn.Conv2d(1, 8, 3)(Tensor(np.zeros((1, 1, 2, 2), dtype=np.float32)))


def test_pool_and_constructor_errors():
    with pytest.raises(ValueError, match=r"MaxPool2d\(2\) expected input \(N, C, H, W\), got \(4, 4\)"):
        nn.MaxPool2d(2)(Tensor(np.zeros((4, 4))))
    with pytest.raises(ValueError, match="padding .* must be at most half the kernel size"):
        F.max_pool2d(Tensor(np.zeros((1, 1, 4, 4))), 2, padding=2)
    with pytest.raises(ValueError, match="Linear in_features must be a positive integer, got 0"):
        nn.Linear(0, 3)
    with pytest.raises(TypeError, match="stride expects an int or a pair of ints"):
        nn.Conv2d(1, 1, 3, stride=1.5)


def test_functional_forms_take_plain_arrays_for_weights():
    x, w, b = randn(2, 3), randn(4, 3), randn(4)
    np.testing.assert_allclose(F.linear(Tensor(x), w, b).data, x @ w.T + b)
    xi, wi = randn(1, 2, 4, 4), randn(3, 2, 3, 3)
    np.testing.assert_allclose(F.conv2d(Tensor(xi), wi, stride=1).data, naive_conv(xi, wi, None, (1, 1), (0, 0)))
