"""The torch-named tensor ops (npnn/tensor_ops.py): float64 gradchecks, one line each, then each op side by
side with PyTorch (forward and gradient), the integer ops and constructors, and their error messages."""
import numpy as np
import pytest

import npnn
from npnn import Tensor, gradcheck

rng = np.random.default_rng(29)


def randn(*shape):
    return rng.standard_normal(shape)


MASK = randn(3, 4) > 0
INDEX = np.array([[0, 3, 3], [2, 1, 0]])


def test_where(): assert gradcheck(lambda a, b: npnn.where(MASK, a, b), randn(3, 4), randn(4))
def test_where_method_with_number(): assert gradcheck(lambda a: a.where(MASK, 2.0), randn(3, 4))
def test_masked_fill_broadcast_mask(): assert gradcheck(lambda a: a.masked_fill(MASK[:1], -1.0), randn(3, 4))
def test_gather_smaller_index(): assert gradcheck(lambda a: a.gather(1, INDEX), randn(3, 4))
def test_gather_repeats_dim0(): assert gradcheck(lambda a: a.gather(0, np.array([[2, 2], [0, 2]])), randn(3, 4))
def test_cat(): assert gradcheck(lambda a, b: npnn.cat([a, b], dim=-1), randn(3, 2), randn(3, 4))
def test_split_sizes(): assert gradcheck(lambda a: a.split([1, 3], dim=1)[1] * 2 + a.split(2, 1)[0].sum(), randn(3, 4))
def test_chunk(): assert gradcheck(lambda a: npnn.cat(a.chunk(3, 0)[::-1]), randn(5, 2))
def test_unsqueeze_squeeze(): assert gradcheck(lambda a: a.unsqueeze(1).squeeze(-1).squeeze(1), randn(3, 1))
def test_permute(): assert gradcheck(lambda a: a.permute(2, 0, 1), randn(2, 3, 4))
def test_view(): assert gradcheck(lambda a: a.view(4, -1), randn(2, 3, 4))
def test_expand(): assert gradcheck(lambda a: a.expand(2, -1, 4), randn(3, 1))
def test_flatten(): assert gradcheck(lambda a: a.flatten(1), randn(2, 3, 4))
def test_min_all(): assert gradcheck(lambda a: a.min(), randn(3, 4))
def test_min_dim_keepdim(): assert gradcheck(lambda a: a.min(1, keepdim=True), randn(3, 4))
def test_clamp(): assert gradcheck(lambda a: a.clamp(-0.5, 0.5), randn(3, 4))
def test_clamp_min_only(): assert gradcheck(lambda a: a.clamp(min=0.1), randn(3, 4))
def test_var(): assert gradcheck(lambda a: a.var(1), randn(3, 4))
def test_var_keepdim(): assert gradcheck(lambda a: a.var((0, 2), keepdim=True, correction=0), randn(2, 3, 4))
def test_std_all(): assert gradcheck(lambda a: a.std(), randn(3, 4))
def test_cumsum(): assert gradcheck(lambda a: a.cumsum(-1), randn(2, 3, 4))
def test_tril(): assert gradcheck(lambda a: a.tril(), randn(2, 3, 4))
def test_triu_offset(): assert gradcheck(lambda a: a.triu(1), randn(3, 4))


# (id, npnn function, the same in torch, input shapes): forward and gradient in float64
PARITY = [
    ("where", lambda a, b: npnn.where(MASK, a, b), lambda t, a, b: t.where(t.from_numpy(MASK), a, b), [(3, 4), (4,)]),
    ("masked_fill", lambda a: a.masked_fill(MASK, -2.0), lambda t, a: a.masked_fill(t.from_numpy(MASK), -2.0),
     [(3, 4)]),
    ("gather", lambda a: a.gather(1, INDEX), lambda t, a: a.gather(1, t.from_numpy(INDEX)), [(3, 4)]),
    ("cat", lambda a, b: npnn.cat([a, b], 1), lambda t, a, b: t.cat([a, b], 1), [(3, 2), (3, 4)]),
    ("stack", lambda a, b: npnn.stack([a, b], 2), lambda t, a, b: t.stack([a, b], 2), [(3, 4), (3, 4)]),
    ("split", lambda a: a.split([1, 2], 1)[1], lambda t, a: a.split([1, 2], 1)[1], [(4, 3)]),
    ("split-int", lambda a: a.split(2)[-1], lambda t, a: a.split(2)[-1], [(5, 3)]),
    ("chunk", lambda a: a.chunk(4, 1)[-1], lambda t, a: a.chunk(4, 1)[-1], [(2, 7)]),
    ("unsqueeze", lambda a: a.unsqueeze(-2), lambda t, a: a.unsqueeze(-2), [(3, 4)]),
    ("squeeze-tuple", lambda a: a.squeeze((0, 1, 2)), lambda t, a: a.squeeze((0, 1, 2)), [(1, 3, 1)]),
    ("permute", lambda a: a.permute(1, 2, 0), lambda t, a: a.permute(1, 2, 0), [(2, 3, 4)]),
    ("view", lambda a: a.view(3, 8), lambda t, a: a.view(3, 8), [(2, 3, 4)]),
    ("expand", lambda a: a.expand(2, 3, -1), lambda t, a: a.expand(2, 3, -1), [(1, 4)]),
    ("expand_as", lambda a, b: a.expand_as(b) * b, lambda t, a, b: a.expand_as(b) * b, [(3, 1), (3, 4)]),
    ("flatten", lambda a: a.flatten(0, 1), lambda t, a: a.flatten(0, 1), [(2, 3, 4)]),
    ("min", lambda a: a.min(), lambda t, a: a.min(), [(3, 4)]),
    ("min-dim", lambda a: a.min(0), lambda t, a: a.min(0).values, [(3, 4)]),
    ("amin", lambda a: npnn.amin(a, (0, 2)), lambda t, a: t.amin(a, (0, 2)), [(2, 3, 4)]),
    ("amax-keepdim", lambda a: a.amax(dim=1, keepdim=True), lambda t, a: a.amax(dim=1, keepdim=True), [(3, 4)]),
    ("clamp", lambda a: a.clamp(-0.3, 0.6), lambda t, a: a.clamp(-0.3, 0.6), [(4, 5)]),
    ("clamp-max", lambda a: a.clamp(max=0.2), lambda t, a: a.clamp(max=0.2), [(4, 5)]),
    ("var", lambda a: a.var(), lambda t, a: a.var(), [(3, 4)]),
    ("var-dim", lambda a: a.var(1, keepdim=True), lambda t, a: a.var(1, keepdim=True), [(3, 4)]),
    ("var-biased", lambda a: a.var(0, unbiased=False), lambda t, a: a.var(0, unbiased=False), [(3, 4)]),
    ("std-correction", lambda a: a.std((0, 1), correction=2), lambda t, a: a.std((0, 1), correction=2), [(3, 4)]),
    ("cumsum", lambda a: a.cumsum(0), lambda t, a: a.cumsum(0), [(3, 4)]),
    ("tril", lambda a: a.tril(-1), lambda t, a: a.tril(-1), [(2, 3, 4)]),
    ("triu", lambda a: a.triu(), lambda t, a: a.triu(), [(4, 3)]),
]


@pytest.mark.parametrize("ours,theirs,shapes", [c[1:] for c in PARITY], ids=[c[0] for c in PARITY])
def test_op_matches_pytorch_forward_and_gradient(torch, ours, theirs, shapes):
    inputs = [randn(*s) for s in shapes]
    mine = [Tensor(x.copy(), requires_grad=True) for x in inputs]
    reference = [torch.tensor(x, requires_grad=True) for x in inputs]
    out, out_t = ours(*mine), theirs(torch, *reference)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = randn(*out.shape)
    out.backward(g)
    out_t.backward(torch.from_numpy(g))
    for m, r in zip(mine, reference):
        np.testing.assert_allclose(m.grad, r.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call", ["argmax()", "argmax(1)", "argmin(0, keepdim=True)", "argmax(-1, keepdim=True)"])
def test_arg_reductions_match_pytorch(torch, call):
    x = randn(3, 4)  # noqa: F841  (read by eval)
    mine, theirs = eval(f"Tensor(x).{call}"), eval(f"torch.from_numpy(x).{call}")
    assert mine.dtype == np.int64 and mine.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(mine.data, theirs.numpy())


CONSTRUCTORS = ["arange(5)", "arange(1, 4, 0.5)", "arange(2, 11, 3)", "zeros(2, 3)", "ones((3,))", "full((2, 2), 1.5)",
                "full((2,), 7)", "full((2,), True)", "eye(3)", "eye(2, 3)", "linspace(0, 1, 5)"]


@pytest.mark.parametrize("call", CONSTRUCTORS)
def test_constructor_matches_pytorch(torch, call):
    mine, theirs = eval(f"npnn.{call}"), eval(f"torch.{call}").numpy()
    assert (mine.shape, mine.dtype) == (theirs.shape, theirs.dtype)
    np.testing.assert_allclose(mine.data, theirs, rtol=1e-6)


def test_like_constructors_and_random_ones_follow_dtype_and_generator():
    x = Tensor(np.zeros((2, 3)))
    assert npnn.zeros_like(x).dtype == np.float64 and npnn.full_like(x, 2).data.sum() == 12
    assert npnn.ones_like(x, dtype=np.float32).dtype == np.float32
    a, b = (npnn.randn(2, 3, generator=np.random.default_rng(1)) for _ in range(2))
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == np.float32 and npnn.rand(4, requires_grad=True).requires_grad
    ints = npnn.randint(3, (50,), generator=np.random.default_rng(0))
    assert ints.dtype == np.int64 and set(ints.data.tolist()) <= {0, 1, 2}
    assert npnn.randint(5, 7, (4,)).data.min() >= 5


def test_ops_keep_float32():
    x = Tensor(randn(3, 4).astype(np.float32), requires_grad=True)
    outs = [x.where(MASK, 0.0), x.masked_fill(MASK, 1), x.gather(1, INDEX), x.clamp(0, 1), x.var(1), x.std(),
            x.cumsum(1), x.tril(), x.expand(2, 3, 4), x.min(0)]
    assert {o.dtype for o in outs} == {np.dtype(np.float32)}
    sum(o.sum() for o in outs).backward()
    assert x.grad.dtype == np.float32


def test_variance_of_one_entry_is_nan_as_pytorch():
    assert np.isnan(Tensor([1.0]).var().item()) and Tensor([1.0]).var(correction=0).item() == 0


@pytest.mark.parametrize("call,error,words", [
    ("x.gather(1, np.array([[0, 4]] * 3))", IndexError, "holds 4, outside 0..3"),
    ("x.gather(1, np.array([[0.0]] * 3))", TypeError, "integers"),
    ("x.gather(0, np.zeros((2, 5), dtype=int))", ValueError, "no larger"),
    ("x.gather(2, np.zeros((3, 4), dtype=int))", IndexError, "dim 2 is out of range"),
    ("x.masked_fill(np.ones((3, 4)), 0)", TypeError, "boolean"),
    ("x.masked_fill(np.ones((2, 3, 4), dtype=bool), 0)", ValueError, "does not broadcast"),
    ("x.masked_fill(np.ones((3, 5), dtype=bool), 0)", ValueError, "does not broadcast"),
    ("x.split([1, 2], 1)", ValueError, "sum to dim 1's size 4"),
    ("x.chunk(0)", ValueError, "positive"),
    ("x.expand(3, 5)", ValueError, "cannot expand"),
    ("x.expand(-1, 3, 4)", ValueError, "-1 only keeps"),
    ("x.unsqueeze(3)", IndexError, "out of range"),
    ("x.clamp()", ValueError, "at least one"),
    ("x.var(unbiased=True, correction=1)", ValueError, "not both"),
    ("Tensor(np.zeros(3)).tril()", ValueError, "at least 2 dimensions"),
    ("npnn.zeros(2, -1)", ValueError, "non-negative"),
    ("npnn.arange(0, 3, 0)", ValueError, "non-zero"),
    ("x.flatten(2, 1)", ValueError, "does not fit"),
])
def test_bad_arguments_say_what_was_expected(call, error, words):
    x = Tensor(randn(3, 4))  # noqa: F841  (read by eval)
    with pytest.raises(error, match=words):
        eval(call)
