"""The layers of issue 15 and shared-module state dicts side by side with PyTorch, in float64
(skipped without torch): outputs, input and parameter gradients, running statistics, state dicts."""
import numpy as np
import pytest

import npnn
from npnn import Tensor, nn
from npnn.nn import functional as F
from tests.npnn.nn_helpers import float64  # noqa: F401  (fixture)
from tests.npnn.test_nn_module import bn_cnn

rng = np.random.default_rng(5)


CASES = [  # (id, npnn layer, the same layer in torch.nn as (name, args, kwargs), input shape)
    ("bn1d", lambda: nn.BatchNorm1d(3), ("BatchNorm1d", (3,), {}), (6, 3)),
    ("bn1d-3d-cumulative", lambda: nn.BatchNorm1d(3, momentum=None, eps=1e-3),
     ("BatchNorm1d", (3,), dict(momentum=None, eps=1e-3)), (4, 3, 5)),
    ("bn2d", lambda: nn.BatchNorm2d(2, momentum=0.3), ("BatchNorm2d", (2,), dict(momentum=0.3)), (3, 2, 4, 5)),
    ("bn2d-no-affine", lambda: nn.BatchNorm2d(2, affine=False), ("BatchNorm2d", (2,), dict(affine=False)),
     (3, 2, 3, 3)),
    ("bn2d-untracked", lambda: nn.BatchNorm2d(2, track_running_stats=False),
     ("BatchNorm2d", (2,), dict(track_running_stats=False)), (3, 2, 3, 3)),
    ("ln", lambda: nn.LayerNorm(5), ("LayerNorm", (5,), {}), (3, 4, 5)),
    ("ln-2d-no-bias", lambda: nn.LayerNorm((4, 5), eps=1e-3, bias=False),
     ("LayerNorm", ((4, 5),), dict(eps=1e-3, bias=False)), (3, 4, 5)),
    ("ln-no-affine", lambda: nn.LayerNorm(5, elementwise_affine=False),
     ("LayerNorm", (5,), dict(elementwise_affine=False)), (2, 5)),
    ("avg", lambda: nn.AvgPool2d(2), ("AvgPool2d", (2,), {}), (2, 3, 6, 7)),
    ("avg-pad", lambda: nn.AvgPool2d(3, 2, 1), ("AvgPool2d", (3, 2, 1), {}), (2, 2, 7, 6)),
    ("avg-pad-exclude", lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
     ("AvgPool2d", (3, 2, 1), dict(count_include_pad=False)), (2, 2, 7, 6)),
    ("avg-ceil", lambda: nn.AvgPool2d((3, 2), (2, 1), (1, 0), ceil_mode=True, count_include_pad=False),
     ("AvgPool2d", ((3, 2), (2, 1), (1, 0)), dict(ceil_mode=True, count_include_pad=False)), (1, 2, 6, 5)),
    ("avg-divisor", lambda: nn.AvgPool2d(2, 1, divisor_override=3), ("AvgPool2d", (2, 1), dict(divisor_override=3)),
     (1, 2, 4, 4)),
    ("adaptive-1", lambda: nn.AdaptiveAvgPool2d(1), ("AdaptiveAvgPool2d", (1,), {}), (2, 3, 5, 4)),
    ("adaptive-uneven", lambda: nn.AdaptiveAvgPool2d((3, 4)), ("AdaptiveAvgPool2d", ((3, 4),), {}), (2, 2, 7, 5)),
    ("adaptive-none", lambda: nn.AdaptiveAvgPool2d((None, 2)), ("AdaptiveAvgPool2d", ((None, 2),), {}), (1, 2, 3, 5)),
    ("silu", lambda: nn.SiLU(), ("SiLU", (), {}), (4, 5)),
    ("elu", lambda: nn.ELU(0.7), ("ELU", (0.7,), {}), (4, 5)),
    ("softplus", lambda: nn.Softplus(), ("Softplus", (), {}), (4, 5)),
    ("softplus-beta", lambda: nn.Softplus(beta=2.0, threshold=3.0), ("Softplus", (), dict(beta=2.0, threshold=3.0)),
     (4, 5)),
    ("identity", lambda: nn.Identity(), ("Identity", (), {}), (4, 5)),
]


def as_numpy(state):
    return {k: v.detach().numpy() for k, v in state.items()}


def dtypes(state):
    return [(k, str(v.dtype).replace("torch.", "")) for k, v in state.items()]


@pytest.mark.parametrize("make,spec,shape", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_layer_matches_pytorch_in_training_and_eval(torch, float64, make, spec, shape):
    ours = make()
    for p in ours.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    name, args, kwargs = spec
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    assert dtypes(ours.state_dict()) == dtypes(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    for mode in ("train", "train", "train", "eval"):
        getattr(ours, mode)(), getattr(theirs, mode)()
        x = rng.standard_normal(shape) * 2 + 0.5
        xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, out_t = ours(xo), theirs(xt)
        g = rng.standard_normal(out.shape)
        out.backward(g)
        out_t.backward(torch.from_numpy(g))
        np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-6, atol=1e-12, err_msg=mode)
        np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-6, atol=1e-12, err_msg=mode)
        for (pname, p), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-6, atol=1e-12, err_msg=pname)
            p.grad, pt.grad = None, None
        mine, reference = ours.state_dict(), as_numpy(theirs.state_dict())
        assert list(mine) == list(reference)
        for key in mine:  # running statistics after each step, num_batches_tracked included
            np.testing.assert_allclose(mine[key], reference[key], rtol=1e-6, atol=1e-12, err_msg=key)


def test_default_state_dict_dtypes_equal_pytorchs_in_float32(torch):
    for ours, theirs in [(nn.BatchNorm1d(4), torch.nn.BatchNorm1d(4)), (nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)),
                         (nn.LayerNorm((2, 3)), torch.nn.LayerNorm((2, 3)))]:
        assert dtypes(ours.state_dict()) == dtypes(theirs.state_dict())
        assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
        assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


def test_functional_forms_match_torch_nn_functional(torch, float64):
    TF = torch.nn.functional
    x = rng.standard_normal((4, 3, 5, 6))
    xt = torch.from_numpy(x)
    mean, var = rng.standard_normal(3), rng.random(3) + 0.5
    mean_t, var_t = torch.tensor(mean), torch.tensor(var)
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    out = F.batch_norm(Tensor(x), mean, var, w, b, training=True, momentum=0.2, eps=1e-4)
    out_t = TF.batch_norm(xt, mean_t, var_t, torch.tensor(w), torch.tensor(b), training=True, momentum=0.2, eps=1e-4)
    np.testing.assert_allclose(out.data, out_t.numpy(), rtol=1e-10)
    np.testing.assert_allclose(mean, mean_t.numpy(), rtol=1e-12)  # running statistics updated in place
    np.testing.assert_allclose(var, var_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.batch_norm(Tensor(x), mean, var).data, TF.batch_norm(xt, mean_t, var_t).numpy(),
                               rtol=1e-10)
    pairs = [(F.layer_norm(Tensor(x), (5, 6)), TF.layer_norm(xt, (5, 6))),
             (F.avg_pool2d(Tensor(x), 3, 2, 1, True, False), TF.avg_pool2d(xt, 3, 2, 1, True, False)),
             (F.adaptive_avg_pool2d(Tensor(x), (4, 4)), TF.adaptive_avg_pool2d(xt, (4, 4))),
             (F.silu(Tensor(x)), TF.silu(xt)), (F.elu(Tensor(x), 0.3), TF.elu(xt, 0.3)),
             (F.softplus(Tensor(x), 0.5, 1.0), TF.softplus(xt, 0.5, 1.0))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-10, atol=1e-14)


def test_shared_module_state_dicts_move_both_ways_with_pytorch(torch):
    lin = nn.Linear(3, 3)
    ours = nn.Sequential(lin, nn.ReLU(), lin)
    tlin = torch.nn.Linear(3, 3)
    theirs = torch.nn.Sequential(tlin, torch.nn.ReLU(), tlin)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 2
    ours.load_state_dict(theirs.state_dict())  # torch tensors as they come, strict
    x = rng.random((4, 3), dtype=np.float32)
    np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5)
    other = torch.nn.Linear(3, 3)
    theirs2 = torch.nn.Sequential(other, torch.nn.ReLU(), other)
    theirs2.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()}, strict=True)
    np.testing.assert_array_equal(other.weight.detach().numpy(), lin.weight.data)


def torch_bn_cnn(torch):
    t = torch.nn
    return t.Sequential(t.Conv2d(1, 4, 3, padding=1), t.BatchNorm2d(4), t.ReLU(), t.AvgPool2d(2),
                        t.Conv2d(4, 6, 3), t.BatchNorm2d(6, momentum=None), t.SiLU(), t.AdaptiveAvgPool2d(2),
                        t.Flatten(), t.Linear(24, 8), t.BatchNorm1d(8), t.ELU(), t.LayerNorm(8), t.Linear(8, 3))


def test_a_model_with_batchnorm_saved_by_npnn_runs_the_same_in_pytorch(torch, tmp_path):
    npnn.manual_seed(2)
    model = bn_cnn()
    opt = npnn.optim.SGD(model.parameters(), lr=0.1)
    data = np.random.default_rng(3).random((6, 1, 8, 8), dtype=np.float32)
    for _ in range(3):
        opt.zero_grad()
        (model(Tensor(data)) ** 2).mean().backward()
        opt.step()
    npnn.save(model.state_dict(), tmp_path / "model.npz")
    theirs = torch_bn_cnn(torch)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in npnn.load(tmp_path / "model.npz").items()})
    model.eval(), theirs.eval()
    x = np.random.default_rng(4).random((5, 1, 8, 8), dtype=np.float32)
    np.testing.assert_allclose(model(Tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    assert int(theirs[1].num_batches_tracked) == 3
    back = bn_cnn()
    back.load_state_dict(theirs.state_dict())  # and back again, strict
    np.testing.assert_array_equal(back.eval()(Tensor(x)).data, model(Tensor(x)).data)
