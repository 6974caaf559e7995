"""Side by side with PyTorch (the `torch` fixture): same weights give the same outputs and gradients."""
import numpy as np
import pytest

import npnn
from npnn import Tensor, nn

rng = np.random.default_rng(2)


def both_cnns(torch):
    ours = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                 torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                 torch.nn.Flatten(), torch.nn.Linear(784, 32), torch.nn.ReLU(),
                                 torch.nn.Linear(32, 10))
    return ours, theirs


def test_state_dicts_have_the_same_keys_and_shapes(torch):
    ours, theirs = both_cnns(torch)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


def test_cnn_outputs_and_gradients_equal_pytorchs(torch):
    ours, theirs = both_cnns(torch)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = rng.random((6, 1, 28, 28), dtype=np.float32)
    x[:, :, :4] = 0  # whole pooling windows of zeros after ReLU: ties must route like PyTorch's
    y = np.array([0, 3, 9, 1, 1, 7])
    xt = torch.from_numpy(x).requires_grad_()
    loss_t = torch.nn.functional.cross_entropy(theirs(xt), torch.from_numpy(y))
    loss_t.backward()
    xo = Tensor(x, requires_grad=True)
    loss = nn.CrossEntropyLoss()(ours(xo), y)
    loss.backward()
    np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=1e-5)
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-6)
    for (name, p), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("kernel,stride,padding", [(3, 2, 1), (2, 1, 0), ((3, 2), (2, 1), (1, 1))])
def test_pooling_with_ties_matches_pytorch(kernel, stride, padding, torch):
    x = rng.integers(0, 3, (2, 2, 7, 6)).astype(np.float64)  # many ties
    xt = torch.from_numpy(x).requires_grad_()
    out_t = torch.nn.functional.max_pool2d(xt, kernel, stride, padding)
    g = rng.standard_normal(tuple(out_t.shape))
    out_t.backward(torch.from_numpy(g))
    xo = Tensor(x, requires_grad=True)
    out = nn.MaxPool2d(kernel, stride, padding)(xo)
    out.backward(g)
    np.testing.assert_array_equal(out.data, out_t.detach().numpy())
    np.testing.assert_allclose(xo.grad, xt.grad.numpy())


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_pytorch(approximate, torch):
    x = np.linspace(-6, 6, 101)
    np.testing.assert_allclose(nn.GELU(approximate)(Tensor(x)).data,
                               torch.nn.functional.gelu(torch.from_numpy(x), approximate=approximate).numpy(),
                               atol=3e-7)


def test_losses_match_pytorch(torch):
    x, t = rng.standard_normal((5, 3)), rng.random((5, 3))
    xt, tt = torch.from_numpy(x), torch.from_numpy(t)
    F = torch.nn.functional
    pairs = [(nn.MSELoss(), F.mse_loss), (nn.L1Loss(), F.l1_loss),
             (nn.HuberLoss(delta=0.7), lambda a, b: F.huber_loss(a, b, delta=0.7)),
             (nn.BCEWithLogitsLoss(), F.binary_cross_entropy_with_logits), (nn.CrossEntropyLoss(), F.cross_entropy)]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(Tensor(x), t).item(), theirs(xt, tt).item(), rtol=1e-10, err_msg=repr(ours))
    p = 1 / (1 + np.exp(-x))
    expected = F.binary_cross_entropy(torch.from_numpy(p), tt).item()
    np.testing.assert_allclose(nn.BCELoss()(Tensor(p), t).item(), expected)


def test_default_init_spread_matches_pytorchs(torch):
    npnn.manual_seed(0)
    ours, theirs = nn.Linear(50, 40), torch.nn.Linear(50, 40)
    assert abs(ours.weight.data.std() - theirs.weight.detach().numpy().std()) < 0.01


LAYERS = {  # npnn layer and PyTorch's, built from the same arguments, and an input shape
    "Linear": (lambda m: m.Linear(5, 4), (3, 5)),
    "Linear-no-bias": (lambda m: m.Linear(5, 4, bias=False), (2, 3, 5)),
    "Conv2d": (lambda m: m.Conv2d(2, 3, 3), (2, 2, 6, 5)),
    "Conv2d-stride-padding": (lambda m: m.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 2)), (2, 2, 7, 6)),
    "MaxPool2d": (lambda m: m.MaxPool2d(2), (2, 3, 6, 6)),
    "Flatten": (lambda m: m.Flatten(), (2, 3, 4)),
    "ReLU": (lambda m: m.ReLU(), (4, 5)),
    "LeakyReLU": (lambda m: m.LeakyReLU(0.2), (4, 5)),
    "GELU-tanh": (lambda m: m.GELU(approximate="tanh"), (4, 5)),
    "Sigmoid": (lambda m: m.Sigmoid(), (4, 5)),
    "Tanh": (lambda m: m.Tanh(), (4, 5)),
    "Softmax": (lambda m: m.Softmax(dim=1), (3, 4, 2)),
    "Dropout-eval": (lambda m: m.Dropout(0.4).eval(), (4, 5)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_forward_and_gradients_match_pytorch_in_float64(name, torch):
    make, shape = LAYERS[name]
    previous = npnn.get_default_dtype()
    npnn.set_default_dtype(np.float64)
    try:
        ours = make(nn)
    finally:
        npnn.set_default_dtype(previous)
    theirs = make(torch.nn).double()
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    x = rng.standard_normal(shape) * 2
    xo, xt = Tensor(x, requires_grad=True), torch.from_numpy(x.copy()).requires_grad_()
    out, out_t = ours(xo), theirs(xt)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    out_t.backward(torch.from_numpy(g))
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-6, atol=1e-12)
    for (key, p), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-6, atol=1e-12, err_msg=key)
