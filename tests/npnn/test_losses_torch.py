"""Every loss option against PyTorch, float64, forward and gradients to rtol 1e-6 (the `torch` fixture)."""
import numpy as np
import pytest

from npnn import Tensor, nn
from tests.npnn.loss_cases import BCE_WEIGHT_SHAPES, CLASSES, WEIGHT, cross_entropy_cases, cross_entropy_inputs

RTOL, ATOL = 1e-6, 1e-12


def assert_close(ours, theirs, what):
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=what)


def run_both(torch, ours, theirs, *arrays):
    """Forward and backward (upstream gradient of ones) of both losses on the same float64 arrays."""
    npnn_in = [Tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    torch_in = [torch.from_numpy(a.copy()).requires_grad_(a.dtype.kind == "f") for a in arrays]
    out, out_t = ours(*npnn_in), theirs(*torch_in)
    assert out.shape == tuple(out_t.shape)
    assert_close(out.data, out_t, "loss")
    out.backward(np.ones(out.shape))
    out_t.backward(torch.ones_like(out_t))
    for i, (a, b) in enumerate(zip(npnn_in, torch_in)):
        if b.requires_grad:
            assert_close(a.grad, b.grad, f"gradient of input {i}")


@pytest.mark.parametrize("case", cross_entropy_cases(), ids=lambda c: c[0])
def test_cross_entropy_matches_pytorch(case, torch):
    _, shape, kind, weighted, ignore_index, smoothing, reduction = case
    logits, target = cross_entropy_inputs(shape, kind, ignore_index)
    weight = WEIGHT if weighted else None
    ours = nn.CrossEntropyLoss(weight=weight, ignore_index=ignore_index, reduction=reduction,
                               label_smoothing=smoothing)
    theirs = torch.nn.CrossEntropyLoss(weight=None if weight is None else torch.from_numpy(weight),
                                       ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    run_both(torch, ours, theirs, logits, target)


@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_mean_over_all_ignored_targets_is_nan_like_pytorch(weighted, torch):
    logits, target = np.random.default_rng(3).standard_normal((3, CLASSES)), np.array([2, 2, 2])
    weight = WEIGHT if weighted else None
    ours = nn.CrossEntropyLoss(weight=weight, ignore_index=2)(Tensor(logits), target)
    theirs = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(target), ignore_index=2,
                                               weight=None if weight is None else torch.from_numpy(weight))
    assert np.isnan(ours.item()) and np.isnan(theirs.item())


def test_cross_entropy_refuses_ignore_index_with_probabilities_like_pytorch(torch):
    logits, probs = cross_entropy_inputs("batched", "probs", -100)
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(probs), ignore_index=0)
    with pytest.raises(ValueError, match="ignore_index=0 is not supported with class-probability targets"):
        nn.CrossEntropyLoss(ignore_index=0)(Tensor(logits), probs)


def test_cross_entropy_float32_stays_close_to_pytorch(torch):
    logits, target = cross_entropy_inputs("2d", "index", 1)
    logits = logits.astype(np.float32)
    ours = nn.CrossEntropyLoss(weight=WEIGHT, ignore_index=1, label_smoothing=0.1)(Tensor(logits), target)
    theirs = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(target),
                                               weight=torch.from_numpy(WEIGHT.astype(np.float32)), ignore_index=1,
                                               label_smoothing=0.1)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-5)


BCE_INPUT_SHAPE = (5, CLASSES)


def bce_weight(name, seed):
    shape = BCE_WEIGHT_SHAPES[name]
    return None if shape is None else np.random.default_rng(seed).uniform(0.2, 3.0, shape)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", list(BCE_WEIGHT_SHAPES))
def test_bce_matches_pytorch(weight, reduction, torch):
    rng = np.random.default_rng(4)
    p, t = rng.uniform(0.05, 0.95, BCE_INPUT_SHAPE), rng.uniform(0, 1, BCE_INPUT_SHAPE)
    w = bce_weight(weight, 5)
    ours = nn.BCELoss(weight=w, reduction=reduction)
    theirs = torch.nn.BCELoss(weight=None if w is None else torch.from_numpy(w), reduction=reduction)
    run_both(torch, ours, theirs, p, t)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("pos_weight", list(BCE_WEIGHT_SHAPES))
@pytest.mark.parametrize("weight", ["none", "per-class", "per-row"])
def test_bce_with_logits_matches_pytorch(weight, pos_weight, reduction, torch):
    rng = np.random.default_rng(6)
    x, t = rng.standard_normal(BCE_INPUT_SHAPE) * 3, rng.uniform(0, 1, BCE_INPUT_SHAPE)
    x[0] = [60.0, -60.0, 800.0, -800.0]  # far tails: stable in both
    w, pw = bce_weight(weight, 7), bce_weight(pos_weight, 8)
    ours = nn.BCEWithLogitsLoss(weight=w, reduction=reduction, pos_weight=pw)
    theirs = torch.nn.BCEWithLogitsLoss(weight=None if w is None else torch.from_numpy(w), reduction=reduction,
                                        pos_weight=None if pw is None else torch.from_numpy(pw))
    run_both(torch, ours, theirs, x, t)


def test_bce_at_exact_zero_and_one_matches_pytorch(torch):
    p, t = np.array([0.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0])
    w = np.array([1.0, 2.0, 3.0, 4.0])
    ours = nn.BCELoss(weight=w, reduction="none")(Tensor(p), t)
    theirs = torch.nn.functional.binary_cross_entropy(torch.from_numpy(p), torch.from_numpy(t),
                                                      weight=torch.from_numpy(w), reduction="none")
    assert_close(ours.data, theirs, "loss at p in {0, 1}")
