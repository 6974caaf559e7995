"""Embedding, attention and the Transformer encoder on their own: float64 gradchecks on tiny sizes, causal
masks that hide the future, deep-copied layers, dropout drawn from a generator, and errors that name the
layer and what it expected."""
import numpy as np
import pytest

import npnn
from npnn import Tensor, gradcheck, nn
from npnn.nn import functional as F
from tests.npnn.nn_helpers import check_module, float64  # noqa: F401  (fixture)

rng = np.random.default_rng(2029)
CAUSAL = np.triu(np.ones((3, 3), bool), 1)  # nn.MultiheadAttention's polarity: True may not attend


def randn(*shape):
    return rng.standard_normal(shape)


class _Applied(nn.Module):
    """`call(inner, *inputs)` as a module, so check_module reaches every parameter of `inner` through it."""

    def __init__(self, inner, call):
        super().__init__()
        self.inner, self.call = inner, call

    def forward(self, *inputs):
        return self.call(self.inner, *inputs)


def test_embedding_gradcheck_with_repeated_indices(float64):
    """(The padding row is left out: its gradient is zero by definition, not by calculus.)"""
    assert check_module(nn.Embedding(5, 3), np.array([[0, 1, 4], [4, 4, 1]]))


def test_embedding_padding_row_starts_at_zero_and_gets_no_gradient():
    layer = nn.Embedding(6, 4, padding_idx=-2)
    assert layer.padding_idx == 4 and not layer.weight.data[4].any()
    layer(np.array([4, 4, 0])).sum().backward()
    assert not layer.weight.grad[4].any() and (layer.weight.grad[0] == 1).all()


def test_embedding_weights_are_standard_normal_from_the_generator():
    a = nn.Embedding(2000, 8, generator=np.random.default_rng(3))
    b = nn.Embedding(2000, 8, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert a.weight.dtype == np.float32 and abs(a.weight.data.mean()) < 0.02 and abs(a.weight.data.std() - 1) < 0.02


def test_embedding_max_norm_rescales_only_the_rows_looked_up():
    layer = nn.Embedding.from_pretrained(np.array([[3.0, 4.0], [6.0, 8.0], [0.3, 0.4]]), max_norm=1.0)
    out = layer(np.array([0, 2]))
    np.testing.assert_allclose(np.linalg.norm(out.data, axis=1), [1.0, 0.5], rtol=1e-6)
    np.testing.assert_array_equal(layer.weight.data[1], [6.0, 8.0])  # not looked up: unchanged
    assert not layer.weight.requires_grad and not out.requires_grad


@pytest.mark.parametrize("call,error,words", [
    ("nn.Embedding(4, 2)(np.array([0.0, 1.0]))", TypeError, r"Embedding\(4, 2\) expects integer indices"),
    ("nn.Embedding(4, 2)(np.array([0, 4]))", IndexError, r"Embedding\(4, 2\): index 4 is outside 0..3"),
    ("nn.Embedding(4, 2, padding_idx=4)", ValueError, "padding_idx must be an int within the 4"),
    ("nn.Embedding(0, 2)", ValueError, "num_embeddings must be a positive integer"),
    ("nn.MultiheadAttention(6, 4)", ValueError, "divisible by num_heads 4"),
    ("nn.MultiheadAttention(4, 2, dropout=1.0)", ValueError, r"dropout must be a number in \[0, 1\)"),
    ("nn.MultiheadAttention(4, 2)(x, x, Tensor(randn(3, 2, 5)))", ValueError, r"\(L, N, E\) or \(L, E\) with E=4"),
    ("nn.MultiheadAttention(4, 2)(x, Tensor(randn(3, 5, 4)), Tensor(randn(3, 5, 4)))", ValueError,
     "one batch size N"),
    ("nn.MultiheadAttention(4, 2)(x, x, x, attn_mask=np.ones((3, 4), bool))", ValueError,
     r"attn_mask must be \(3, 3\) or \(4, 3, 3\), got \(3, 4\)"),
    ("nn.MultiheadAttention(4, 2)(x, x, x, key_padding_mask=np.ones((3, 2), bool))", ValueError,
     r"key_padding_mask must be \(2, 3\)"),
    ("nn.MultiheadAttention(4, 2)(x, x, x, attn_mask=np.ones((3, 3), int))", TypeError, "boolean or floating"),
    ("F.scaled_dot_product_attention(x, x, x, attn_mask=CAUSAL, is_causal=True)", ValueError, "not both"),
    ("F.scaled_dot_product_attention(x, x, Tensor(randn(3, 5)))", ValueError, r"key \(..., S, E\)"),
    ("nn.TransformerEncoderLayer(4, 2, activation='swish')", ValueError, "'relu', 'gelu' or a callable"),
    ("nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2), 0)", ValueError, "num_layers must be a positive"),
])
def test_bad_arguments_name_the_layer_and_what_it_expected(call, error, words):
    x = Tensor(randn(3, 2, 4))  # noqa: F841  (read by eval)
    with pytest.raises(error, match=words):
        eval(call)


def test_scaled_dot_product_attention_gradcheck_with_a_float_mask():
    mask = randn(3, 4)
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), randn(2, 3, 2),
                     randn(2, 4, 2), randn(2, 4, 3))


def test_scaled_dot_product_attention_gradcheck_causal():
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), randn(2, 3, 2),
                     randn(2, 3, 2), randn(2, 3, 2))


def test_a_query_that_may_attend_to_nothing_gives_zeros_and_finite_gradients():
    mask = np.array([[False] * 4, [True, False, True, False], [True] * 4])
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), randn(3, 2),
                     randn(4, 2), randn(4, 3))
    out = F.scaled_dot_product_attention(Tensor(randn(3, 2)), Tensor(randn(4, 2)), Tensor(randn(4, 3)), attn_mask=mask)
    assert not out.data[0].any() and np.isfinite(out.data).all()


def test_scaled_dot_product_attention_dropout_follows_the_generator():
    q = Tensor(randn(2, 5, 4))

    def run(seed, p=0.5):
        return F.scaled_dot_product_attention(q, q, q, dropout_p=p, generator=np.random.default_rng(seed)).data

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.allclose(run(1), run(2)) and not np.allclose(run(1), run(1, p=0.0))


def test_multihead_attention_gradcheck_cross_attention_with_masks(float64):
    padding = np.array([[False, False, True], [False, False, False]])
    mask = randn(2, 3)
    module = _Applied(nn.MultiheadAttention(4, 2, batch_first=True),
                      lambda attention, q, kv: attention(q, kv, kv, key_padding_mask=padding, attn_mask=mask)[0])
    assert check_module(module, randn(2, 2, 4), randn(2, 3, 4))


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_layer_gradcheck(float64, norm_first):
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu", norm_first=norm_first)
    assert check_module(layer, randn(3, 2, 4))


def test_transformer_encoder_gradcheck_with_a_final_norm_and_masks(float64):
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 4, dropout=0.0, batch_first=True), 2,
                                    norm=nn.LayerNorm(4))
    padding = np.array([[False, False, True], [False, False, False]])
    module = _Applied(encoder, lambda inner, x: inner(x, mask=CAUSAL, src_key_padding_mask=padding))
    assert check_module(module, randn(2, 3, 4))


def test_causal_attention_never_looks_ahead():
    """Changing the last token changes no earlier output, in the functional form, the layer and the encoder."""
    x = randn(2, 3, 4).astype(np.float32)
    changed = x.copy()
    changed[:, -1] += 5
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True), 2)
    attention = nn.MultiheadAttention(4, 2, batch_first=True)
    runs = [lambda t: F.scaled_dot_product_attention(t, t, t, is_causal=True),
            lambda t: attention(t, t, t, is_causal=True)[0],
            lambda t: attention(t, t, t, attn_mask=CAUSAL)[0],
            lambda t: encoder(t, mask=CAUSAL)]
    for run in runs:
        before, after = run(Tensor(x)).data, run(Tensor(changed)).data
        np.testing.assert_allclose(before[:, :-1], after[:, :-1], rtol=1e-5, atol=1e-6)
        assert np.abs(before[:, -1] - after[:, -1]).max() > 1e-3


def test_causal_attention_weights_are_lower_triangular_and_rows_sum_to_one():
    layer = nn.MultiheadAttention(4, 2)
    _, weights = layer(*(Tensor(randn(3, 2, 4)),) * 3, is_causal=True, average_attn_weights=False)
    assert weights.shape == (2, 2, 3, 3)
    assert not np.triu(weights.data, 1).any()
    np.testing.assert_allclose(weights.data.sum(-1), 1, rtol=1e-6)


def test_encoder_layers_are_independent_copies_that_share_the_generator():
    generator = np.random.default_rng(0)
    layer = nn.TransformerEncoderLayer(4, 2, 8, generator=generator)
    encoder = nn.TransformerEncoder(layer, 2)
    first, second = encoder.layers[0], encoder.layers[1]
    np.testing.assert_array_equal(first.linear1.weight.data, second.linear1.weight.data)
    first.linear1.weight.data[...] = 0
    assert second.linear1.weight.data.any() and layer.linear1.weight.data.any()
    assert first.dropout.generator is generator and second.self_attn.generator is generator


def test_dropout_in_training_follows_the_generator_and_is_off_in_eval():
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.5)
    x = Tensor(randn(3, 2, 4).astype(np.float32))

    def run(seed):
        for module in layer.modules():
            if hasattr(module, "generator"):
                module.generator = np.random.default_rng(seed)
        return layer(x).data

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.allclose(run(1), run(2))
    layer.eval()
    np.testing.assert_array_equal(run(1), run(2))


def test_state_dict_round_trip_keeps_outputs():
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), 2, norm=nn.LayerNorm(4))
    copy = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), 2, norm=nn.LayerNorm(4))
    copy.load_state_dict(encoder.state_dict())
    x = Tensor(randn(3, 2, 4).astype(np.float32))
    np.testing.assert_array_equal(encoder(x).data, copy(x).data)
    assert len(encoder.state_dict()) == 2 * 12 + 2


def test_float32_stays_float32_through_masks_given_in_float64(tmp_path):
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, batch_first=True), 2)
    embed = nn.Embedding(6, 4, padding_idx=0)
    x = embed(np.array([[1, 2, 0], [3, 4, 5]]))
    out = encoder(x, mask=randn(3, 3), src_key_padding_mask=np.array([[0.0, 0.0, -1e9], [0.0, 0.0, 0.0]]))
    out.sum().backward()
    assert out.dtype == np.float32 and {p.grad.dtype for p in encoder.parameters()} == {np.dtype(np.float32)}
    npnn.save(encoder.state_dict(), tmp_path / "encoder.npz")
    copy = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, batch_first=True), 2).eval()
    copy.load_state_dict(npnn.load(tmp_path / "encoder.npz"))
    np.testing.assert_array_equal(copy(x).data, encoder.eval()(x).data)
