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


# ---- normalisation ----------------------------------------------------------------------------------
def with_random_affine(layer):
    for p in layer.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    return layer


BN_CASES = [  # (layer factory, input shape)
    (lambda: nn.BatchNorm1d(3), (5, 3)),
    (lambda: nn.BatchNorm1d(3), (4, 3, 2)),
    (lambda: nn.BatchNorm2d(2), (3, 2, 2, 3)),
    (lambda: nn.BatchNorm2d(2, affine=False), (2, 2, 3, 2)),
    (lambda: nn.BatchNorm2d(2, track_running_stats=False, momentum=None), (2, 2, 2, 2)),
]


@pytest.mark.parametrize("make,shape", BN_CASES)
def test_batchnorm_gradcheck_in_training_through_the_batch_statistics(float64, make, shape):
    assert check_module(with_random_affine(make()), randn(*shape) * 2 + 1)


@pytest.mark.parametrize("make,shape", BN_CASES)
def test_batchnorm_gradcheck_in_eval(float64, make, shape):
    layer = with_random_affine(make())
    layer(Tensor(randn(*shape) * 3 - 1))
    assert check_module(layer.eval(), randn(*shape))


def test_batchnorm_training_normalises_each_channel_by_its_biased_batch_variance(float64):
    x = randn(6, 3, 4, 5) * np.array([1, 5, 0.1])[None, :, None, None] + 3
    out = nn.BatchNorm2d(3, eps=0.0)(Tensor(x)).data
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1, rtol=1e-12)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_running_statistics_follow_pytorchs_update(float64, momentum):
    layer = nn.BatchNorm1d(2, momentum=momentum)
    mean, var = np.zeros(2), np.ones(2)
    batch_means, batch_vars = [], []
    for step in range(1, 5):
        x = randn(7, 2, 3) * step + step
        layer(Tensor(x))
        m, v = x.mean(axis=(0, 2)), x.var(axis=(0, 2), ddof=1)  # the unbiased variance, as PyTorch
        batch_means.append(m), batch_vars.append(v)
        factor = 1 / step if momentum is None else momentum
        mean, var = (1 - factor) * mean + factor * m, (1 - factor) * var + factor * v
        assert int(layer.num_batches_tracked.item()) == step
    np.testing.assert_allclose(layer.running_mean.data, mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.data, var, rtol=1e-12)
    if momentum is None:  # a cumulative average of every batch seen
        np.testing.assert_allclose(layer.running_mean.data, np.mean(batch_means, axis=0), rtol=1e-12)
    layer.eval()
    x = randn(3, 2, 3)
    expected = (x - mean[None, :, None]) / np.sqrt(var[None, :, None] + 1e-5)
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-12)
    assert int(layer.num_batches_tracked.item()) == 4  # eval changes no statistics


def test_batchnorm_without_running_statistics_uses_the_batch_in_eval(float64):
    layer = nn.BatchNorm1d(2, track_running_stats=False).eval()
    x = randn(5, 2)
    np.testing.assert_allclose(layer(Tensor(x)).data, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-12)
    assert layer.running_mean is None and list(layer.buffers()) == []


def test_batchnorm_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"^BatchNorm2d\(16\) expected input \(N, 16, H, W\), got \(8, 16\)$"):
        nn.BatchNorm2d(16)(Tensor(np.zeros((8, 16), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\) expected input \(N, 4\) or \(N, 4, L\), got \(2, 3\)"):
        nn.BatchNorm1d(4)(Tensor(np.zeros((2, 3), dtype=np.float32)))
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        nn.BatchNorm1d(4)(Tensor(np.zeros((1, 4), dtype=np.float32)))
    nn.BatchNorm1d(4).eval()(Tensor(np.zeros((1, 4), dtype=np.float32)))  # one sample is fine in eval
    with pytest.raises(ValueError, match="BatchNorm1d momentum must be a number in"):
        nn.BatchNorm1d(4, momentum=2)
    with pytest.raises(ValueError, match="BatchNorm2d num_features must be a positive integer, got 0"):
        nn.BatchNorm2d(0)


@pytest.mark.parametrize("make,shape", [
    (lambda: nn.LayerNorm(4), (3, 4)),
    (lambda: nn.LayerNorm((2, 3)), (2, 2, 3)),
    (lambda: nn.LayerNorm(3, bias=False), (2, 2, 3)),
    (lambda: nn.LayerNorm(3, elementwise_affine=False), (4, 3)),
])
def test_layernorm_gradcheck(float64, make, shape):
    assert check_module(with_random_affine(make()), randn(*shape) * 2 + 1)


def test_layernorm_normalises_each_sample_over_the_trailing_axes(float64):
    x = randn(4, 2, 5) * 3 + 2
    out = nn.LayerNorm((2, 5), eps=0.0)(Tensor(x)).data
    np.testing.assert_allclose(out.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(1, 2)), 1, rtol=1e-12)
    with pytest.raises(ValueError, match=r"LayerNorm\(4\) expected input \(\*, 4\) for normalized_shape \(4,\), "
                                         r"got \(2, 3\)"):
        nn.LayerNorm(4)(Tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="LayerNorm normalized_shape must be a positive int"):
        nn.LayerNorm(0)


# ---- average pooling --------------------------------------------------------------------------------
def naive_avg_pool(x, kernel, stride, padding, ceil_mode, count_include_pad):
    """AvgPool2d by PyTorch's definition, one output position at a time (tiny shapes only)."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, w = x.shape

    def size(length, k, s, p):
        out = (length + 2 * p - k + (s - 1 if ceil_mode else 0)) // s + 1
        return out - 1 if ceil_mode and (out - 1) * s >= length + p else out

    oh, ow = size(h, kh, sh, ph), size(w, kw, sw, pw)
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * sh - ph, j * sw - pw
            h1, w1 = min(h0 + kh, h + ph), min(w0 + kw, w + pw)
            pool = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            divisor = pool if count_include_pad else (h1 - h0) * (w1 - w0)
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3)) / divisor
    return out


AVG_CASES = [  # (kernel, stride, padding, ceil_mode, count_include_pad, input shape)
    (2, None, 0, False, True, (2, 3, 4, 6)),
    (3, 2, 0, False, True, (1, 2, 7, 7)),
    (3, 1, 1, False, True, (1, 2, 4, 5)),
    (3, 1, 1, False, False, (1, 2, 4, 5)),
    (3, 2, 1, True, True, (1, 1, 6, 6)),
    (3, 2, 1, True, False, (1, 1, 6, 6)),
    ((2, 3), (1, 2), (1, 1), False, False, (1, 1, 5, 6)),
    (2, 2, 0, True, True, (1, 1, 5, 5)),
]


@pytest.mark.parametrize("k,s,p,ceil,include,shape", AVG_CASES)
def test_avg_pool2d_gradcheck(float64, k, s, p, ceil, include, shape):
    assert check_module(nn.AvgPool2d(k, s, p, ceil_mode=ceil, count_include_pad=include), randn(*shape))


@pytest.mark.parametrize("k,s,p,ceil,include,shape", AVG_CASES)
def test_avg_pool2d_equals_the_definition(float64, k, s, p, ceil, include, shape):
    x = randn(*shape)
    layer = nn.AvgPool2d(k, s, p, ceil_mode=ceil, count_include_pad=include)
    expected = naive_avg_pool(x, F._pair(k, "k"), F._pair(layer.stride, "s"), F._pair(p, "p"), ceil, include)
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-12)


def test_avg_pool2d_divisor_override_and_errors():
    x = Tensor(np.ones((1, 1, 4, 4)))
    np.testing.assert_allclose(F.avg_pool2d(x, 2, divisor_override=2).data, 2.0)
    with pytest.raises(ValueError, match="padding .* must be at most half the kernel size"):
        nn.AvgPool2d(2, padding=2)(x)
    with pytest.raises(ValueError, match=r"AvgPool2d\(2\) expected input \(N, C, H, W\), got \(4, 4\)"):
        nn.AvgPool2d(2)(Tensor(np.ones((4, 4))))
    with pytest.raises(ValueError, match=r"smaller than the kernel \(5, 5\)"):
        nn.AvgPool2d(5)(x)


def naive_adaptive(x, oh, ow):
    n, c, h, w = x.shape
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, h1 = (i * h) // oh, -(-((i + 1) * h) // oh)
            w0, w1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


@pytest.mark.parametrize("output_size,shape,expected", [
    (1, (2, 3, 4, 5), (1, 1)),
    ((2, 3), (1, 2, 4, 6), (2, 3)),        # sizes that divide
    ((3, 4), (1, 2, 7, 5), (3, 4)),        # overlapping windows of unequal size
    ((None, 2), (1, 1, 3, 5), (3, 2)),     # None keeps the input size
    (6, (1, 1, 4, 4), (6, 6)),             # larger than the input
])
def test_adaptive_avg_pool2d_gradcheck_and_pytorchs_window_rule(float64, output_size, shape, expected):
    layer = nn.AdaptiveAvgPool2d(output_size)
    x = randn(*shape)
    out = layer(Tensor(x)).data
    np.testing.assert_allclose(out, naive_adaptive(x, *expected), rtol=1e-12)
    assert check_module(layer, x)


def test_adaptive_avg_pool2d_equals_avg_pool2d_when_the_size_divides():
    x = Tensor(rng.random((2, 3, 8, 6), dtype=np.float32))
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d((4, 2))(x).data, nn.AvgPool2d((2, 3))(x).data, rtol=1e-6)
    with pytest.raises(ValueError, match="output_size must be positive"):
        nn.AdaptiveAvgPool2d(0)(x)


# ---- smooth activations and Identity ----------------------------------------------------------------
@pytest.mark.parametrize("layer", [nn.SiLU(), nn.ELU(), nn.ELU(alpha=0.3), nn.Softplus(),
                                   nn.Softplus(beta=2.0, threshold=3.0), nn.Identity()], ids=repr)
def test_new_activation_gradcheck(float64, layer):
    assert check_module(layer, randn(3, 4) * 3)


def test_silu_elu_values_and_tails():
    x = np.array([-800.0, -30.0, -1.0, 0.0, 0.5, 40.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        silu = nn.SiLU()(Tensor(x)).data
        elu = nn.ELU(0.5)(Tensor(x)).data
    np.testing.assert_allclose(silu, x / (1 + np.exp(-np.clip(x, -700, 700))), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(elu, np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0))), rtol=1e-15)
    xt = Tensor(np.array([-100.0, 100.0], dtype=np.float32), requires_grad=True)
    nn.SiLU()(xt).sum().backward()
    assert np.isfinite(xt.grad).all() and xt.grad.tolist() == pytest.approx([0.0, 1.0])


def test_softplus_is_stable_in_both_tails_and_linear_past_the_threshold():
    x = np.array([-1000.0, -40.0, 0.0, 1.0, 19.0, 21.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = nn.Softplus()(Tensor(x)).data
    expected = np.where(x > 20, x, np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))
    np.testing.assert_allclose(out, expected, rtol=1e-15, atol=0)
    np.testing.assert_allclose(nn.Softplus(beta=2.0, threshold=3.0)(Tensor(np.array([1.0, 2.0]))).data,
                               [np.log1p(np.exp(2.0)) / 2, 2.0], rtol=1e-15)
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    with pytest.raises(ValueError, match="Softplus beta must be a non-zero number, got 0"):
        nn.Softplus(beta=0)


def test_identity_returns_its_input_and_ignores_arguments():
    x = Tensor(np.ones(2))
    assert nn.Identity(54, unused="argument")(x) is x


NEW_LAYERS = [
    (lambda: nn.BatchNorm1d(3), (4, 3)), (lambda: nn.BatchNorm2d(3), (2, 3, 4, 4)),
    (lambda: nn.LayerNorm(4), (2, 3, 4)), (lambda: nn.AvgPool2d(3, 2, 1), (2, 3, 5, 5)),
    (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 5, 5)), (lambda: nn.SiLU(), (3, 4)), (lambda: nn.ELU(), (3, 4)),
    (lambda: nn.Softplus(), (3, 4)),
]


@pytest.mark.parametrize("make,shape", NEW_LAYERS)
@pytest.mark.parametrize("training", [True, False])
def test_new_layers_keep_float32_in_output_and_gradients(make, shape, training):
    layer = make().train(training)
    x = Tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    out = layer(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and all(p.grad.dtype == np.float32 for p in layer.parameters())
    assert all(b.dtype in (np.float32, np.int64) for b in layer.buffers())


def test_new_layers_reprs_follow_pytorch():
    assert repr(nn.BatchNorm2d(16)) == "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    assert repr(nn.LayerNorm(8)) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True)"
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)" and repr(nn.SiLU()) == "SiLU()" and repr(nn.Identity()) == "Identity()"
    assert nn.BatchNorm1d(8).label() == "BatchNorm1d(8)"


def test_summary_of_a_cnn_with_the_new_layers():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.SiLU(), nn.AvgPool2d(2),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.LayerNorm(4), nn.Linear(4, 2))
    rows = nn.summary(model, (1, 8, 8))
    assert rows[1] == ("BatchNorm2d(4)", (4, 8, 8), 8)
    assert rows[3][1] == (4, 4, 4) and rows[4][1] == (4, 1, 1) and rows[6] == ("LayerNorm(4)", (4,), 8)


def test_sequential_relu_then_maxpool_is_exactly_the_plain_composition():
    """Sequential pools before the ReLU when nothing can observe it: values and gradients are identical."""
    import numpy as np
    import npnn
    from npnn import nn
    from npnn.nn import functional as F
    rng = np.random.default_rng(0)
    for kernel, stride, padding in ((2, 2, 0), (3, 1, 1), (3, 2, 1)):
        x = rng.normal(size=(4, 3, 9, 9))
        x[0, 0, :3, :3] = -1.0  # a window with no positive value
        model = nn.Sequential(nn.ReLU(), nn.MaxPool2d(kernel, stride, padding))
        fast_in, plain_in = npnn.Tensor(x, requires_grad=True), npnn.Tensor(x, requires_grad=True)
        fast = model(fast_in)
        plain = F.max_pool2d(F.relu(plain_in), kernel, stride, padding)
        g = rng.normal(size=fast.shape)
        fast.backward(g)
        plain.backward(g)
        assert np.array_equal(fast.data, plain.data) and np.array_equal(fast_in.grad, plain_in.grad)


def test_a_hooked_relu_before_maxpool_sees_the_unpooled_input():
    import numpy as np
    import npnn
    from npnn import nn
    seen = []
    model = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))
    model[0].register_forward_hook(lambda m, args, out: seen.append(out.shape))
    model(npnn.Tensor(np.ones((1, 1, 4, 4))))
    assert seen == [(1, 1, 4, 4)]
