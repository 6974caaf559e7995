"""Embedding, scaled_dot_product_attention, MultiheadAttention and the Transformer encoder side by side with
PyTorch in float64: outputs, attention weights, gradients of inputs and every parameter, and state dicts loaded
both ways (npnn -> torch, torch -> npnn)."""
import numpy as np
import pytest

from npnn import Tensor, nn
from npnn.nn import functional as F
from tests.npnn.nn_helpers import float64  # noqa: F401  (fixture)

rng = np.random.default_rng(290)


def to_torch(torch, value):
    return torch.from_numpy(value) if isinstance(value, np.ndarray) else value


def load_both_ways(torch, ours, theirs):
    """torch's random weights into npnn, then npnn's (redrawn) into torch: keys, shapes and values agree."""
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    for p in ours.parameters():
        p.data[...] = rng.standard_normal(p.shape) * 0.5
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    for (name, mine), (_, reference) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_array_equal(mine, reference.numpy(), err_msg=name)


def compare(torch, ours, theirs, inputs, kwargs=None, weights=False, call=None):
    """Run both (modules, or functions) on the same float inputs and kwargs (masks as arrays), backward the same
    random gradient, compare the output (and attention weights), the inputs' and every parameter's gradient.
    `call(layer, *inputs, **kwargs)` says how to apply them (default: layer(*inputs, **kwargs))."""
    call = call or (lambda layer, *args, **kw: layer(*args, **kw))
    kwargs = kwargs or {}
    mine = [Tensor(x, requires_grad=True) for x in inputs]
    reference = [torch.tensor(x, requires_grad=True) for x in inputs]
    out = call(ours, *mine, **kwargs)
    out_t = call(theirs, *reference, **{k: to_torch(torch, v) for k, v in kwargs.items()})
    if weights:
        (out, attention), (out_t, attention_t) = out, out_t
        if attention is None:
            assert attention_t is None
        else:
            np.testing.assert_allclose(attention.data, attention_t.detach().numpy(), rtol=1e-9, atol=1e-12)
    assert np.isfinite(out.data).all()
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-9, atol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    out_t.backward(torch.from_numpy(g))
    for m, r in zip(mine, reference):
        np.testing.assert_allclose(m.grad, r.grad.numpy(), rtol=1e-8, atol=1e-11)
    if isinstance(ours, nn.Module):
        for (name, p), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
            np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-8, atol=1e-11, err_msg=name)


# ---- Embedding ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"max_norm": 1.5},
                                    {"max_norm": 1.0, "norm_type": 1.0}])
def test_embedding_matches_pytorch(torch, float64, kwargs):
    ours, theirs = nn.Embedding(7, 3, **kwargs), torch.nn.Embedding(7, 3, **kwargs).double()
    load_both_ways(torch, ours, theirs)
    if "padding_idx" in kwargs:
        padding = kwargs["padding_idx"] % 7
        assert not nn.Embedding(7, 3, **kwargs).weight.data[padding].any()
    indices = np.array([[0, 2, 2, 6], [5, 2, 1, 0]])
    out, out_t = ours(indices), theirs(torch.from_numpy(indices))
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    out_t.backward(torch.from_numpy(g))
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-12)  # after max_norm


# ---- scaled_dot_product_attention ----------------------------------------------------------------------
BOOL_MASK = rng.standard_normal((4, 5)) > -0.8
BOOL_MASK[:, 0] = True  # every query sees at least one key (a fully masked row is NaN in both)
SDPA_CASES = [
    ("plain", {}),
    ("bool-mask", {"attn_mask": BOOL_MASK}),
    ("float-mask", {"attn_mask": rng.standard_normal((2, 1, 4, 5))}),
    ("causal", {"is_causal": True}),
    ("query-with-no-key", {"attn_mask": np.arange(5) < np.array([[0], [2], [5], [1]])}),  # row 0: all masked
    ("scale", {"scale": 0.3}),
]


@pytest.mark.parametrize("kwargs", [c[1] for c in SDPA_CASES], ids=[c[0] for c in SDPA_CASES])
def test_scaled_dot_product_attention_matches_pytorch(torch, kwargs):
    shapes = [(2, 3, 4, 6), (2, 3, 5, 6), (2, 3, 5, 2)]
    compare(torch, F.scaled_dot_product_attention, torch.nn.functional.scaled_dot_product_attention,
            [rng.standard_normal(s) for s in shapes], kwargs)


# ---- MultiheadAttention -------------------------------------------------------------------------------
KEY_PADDING = np.array([[False, False, True, False, True], [False, True, False, False, False]])
MHA_CASES = [  # (id, constructor kwargs, self-attention?, forward kwargs); N=2, L=4 (S=5 unless self)
    ("self", {}, True, {}),
    ("self-batch-first", {"batch_first": True}, True, {}),
    ("cross", {}, False, {}),
    ("no-bias", {"bias": False}, False, {}),
    ("heads-weights", {"batch_first": True}, False, {"average_attn_weights": False}),
    ("no-weights", {}, True, {"need_weights": False}),
    ("bool-causal", {}, True, {"attn_mask": np.triu(np.ones((4, 4), bool), 1)}),
    ("float-mask-3d", {}, False, {"attn_mask": rng.standard_normal((2 * 2, 4, 5))}),
    ("key-padding-bool", {"batch_first": True}, False, {"key_padding_mask": KEY_PADDING}),
    ("key-padding-float", {}, False, {"key_padding_mask": np.where(KEY_PADDING, -3.0, 0.5)}),
    ("both-masks", {}, False, {"key_padding_mask": KEY_PADDING, "attn_mask": ~BOOL_MASK}),
]


@pytest.mark.parametrize("make,self_attention,kwargs", [c[1:] for c in MHA_CASES], ids=[c[0] for c in MHA_CASES])
def test_multihead_attention_matches_pytorch(torch, float64, make, self_attention, kwargs):
    ours, theirs = nn.MultiheadAttention(4, 2, **make), torch.nn.MultiheadAttention(4, 2, **make).double()
    load_both_ways(torch, ours, theirs)
    batch_first = make.get("batch_first", False)
    shape = (lambda length: (2, length, 4)) if batch_first else (lambda length: (length, 2, 4))
    if self_attention:
        x = rng.standard_normal(shape(4))
        compare(torch, ours, theirs, [x], kwargs, weights=True, call=lambda layer, a, **kw: layer(a, a, a, **kw))
        return
    inputs = [rng.standard_normal(shape(4)), rng.standard_normal(shape(5)), rng.standard_normal(shape(5))]
    compare(torch, ours, theirs, inputs, kwargs, weights=True)


def test_multihead_attention_unbatched_matches_pytorch(torch, float64):
    ours, theirs = nn.MultiheadAttention(6, 3), torch.nn.MultiheadAttention(6, 3).double()
    load_both_ways(torch, ours, theirs)
    inputs = [rng.standard_normal((4, 6)), rng.standard_normal((3, 6)), rng.standard_normal((3, 6))]
    compare(torch, ours, theirs, inputs, {"attn_mask": rng.standard_normal((3, 4, 3)),
                                          "average_attn_weights": False}, weights=True)


def test_multihead_attention_is_causal_alone_equals_pytorch_with_the_causal_mask(torch, float64):
    ours, theirs = nn.MultiheadAttention(4, 2), torch.nn.MultiheadAttention(4, 2).double()
    load_both_ways(torch, ours, theirs)
    x = rng.standard_normal((5, 2, 4))
    causal = torch.from_numpy(np.triu(np.ones((5, 5), bool), 1))
    out, _ = ours(Tensor(x), Tensor(x), Tensor(x), is_causal=True)
    xt = torch.from_numpy(x)
    out_t, _ = theirs(xt, xt, xt, attn_mask=causal, is_causal=True)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-9, atol=1e-12)


# ---- TransformerEncoderLayer and TransformerEncoder ---------------------------------------------------
ENCODER_CASES = [  # (id, layer kwargs, forward kwargs); d_model 4, nhead 2, dim_feedforward 6, (S=5, N=2)
    ("post-norm-relu", {}, {}),
    ("pre-norm-gelu-batch-first", {"norm_first": True, "activation": "gelu", "batch_first": True}, {}),
    ("causal-mask", {"layer_norm_eps": 1e-3}, {"src_mask": np.triu(np.ones((5, 5), bool), 1)}),
    ("float-mask-padding", {"batch_first": True},
     {"src_mask": rng.standard_normal((5, 5)), "src_key_padding_mask": np.where(KEY_PADDING, -4.0, 0.0)}),
    ("no-bias", {"bias": False}, {}),
    ("a-sample-all-padding", {"batch_first": True}, {"src_key_padding_mask": np.array([[True] * 5, [False] * 5])}),
]


def _layers(torch, kwargs):
    ours = nn.TransformerEncoderLayer(4, 2, 6, **kwargs)
    theirs = torch.nn.TransformerEncoderLayer(4, 2, 6, **kwargs).double()
    return ours.eval(), theirs.eval()  # NOTE: dropout 0.1 (the default) is off in eval, as in torch


@pytest.mark.parametrize("make,kwargs", [c[1:] for c in ENCODER_CASES], ids=[c[0] for c in ENCODER_CASES])
def test_transformer_encoder_layer_matches_pytorch(torch, float64, make, kwargs):
    ours, theirs = _layers(torch, make)
    load_both_ways(torch, ours, theirs)
    shape = (2, 5, 4) if make.get("batch_first") else (5, 2, 4)
    compare(torch, ours, theirs, [rng.standard_normal(shape)], kwargs)


@pytest.mark.parametrize("make,kwargs", [c[1:] for c in ENCODER_CASES[:4]], ids=[c[0] for c in ENCODER_CASES[:4]])
def test_transformer_encoder_matches_pytorch(torch, float64, make, kwargs):
    layer, layer_t = _layers(torch, make)
    ours = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4)).eval()
    theirs = torch.nn.TransformerEncoder(layer_t, 2, norm=torch.nn.LayerNorm(4).double(),
                                         enable_nested_tensor=False).eval()
    assert list(ours.state_dict())[:5] == ["layers.0.self_attn.in_proj_weight", "layers.0.self_attn.in_proj_bias",
                                           "layers.0.self_attn.out_proj.weight", "layers.0.self_attn.out_proj.bias",
                                           "layers.0.linear1.weight"]
    load_both_ways(torch, ours, theirs)
    shape = (2, 5, 4) if make.get("batch_first") else (5, 2, 4)
    kwargs = {"mask" if k == "src_mask" else k: v for k, v in kwargs.items()}
    compare(torch, ours, theirs, [rng.standard_normal(shape)], kwargs)
