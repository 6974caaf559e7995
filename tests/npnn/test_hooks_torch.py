"""Module and tensor hooks against PyTorch: call order, arguments, replaced values, removal (float64)."""
import numpy as np
import pytest

from npnn import Tensor, nn
from tests.npnn.nn_helpers import float64  # noqa: F401  (fixture)

pytestmark = [pytest.mark.usefixtures("float64"),
              pytest.mark.filterwarnings("ignore:Full backward hook is firing:UserWarning")]


def _np(value):
    """A hook argument (npnn Tensor/ndarray, torch tensor, None, tuple of them) as plain arrays."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return tuple(_np(v) for v in value)
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach"):
        return value.detach().numpy()
    if isinstance(value, np.ndarray):
        return value
    return value  # a plain Python argument


def _same(mine, theirs, where=""):
    if isinstance(mine, tuple) or isinstance(theirs, tuple):
        assert isinstance(mine, tuple) and isinstance(theirs, tuple) and len(mine) == len(theirs), where
        for k, (a, b) in enumerate(zip(mine, theirs)):
            _same(a, b, f"{where}[{k}]")
    elif isinstance(mine, np.ndarray) or isinstance(theirs, np.ndarray):
        assert mine is not None and theirs is not None, f"{where}: {mine} vs {theirs}"
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12, err_msg=where)
    else:
        assert mine == theirs, where


def _same_events(mine, theirs):
    assert [e[:2] for e in mine] == [e[:2] for e in theirs]
    for a, b in zip(mine, theirs):
        _same(a[2:], b[2:], f"{a[:2]}")


def _recorder(events):
    """Hooks of every kind that append (kind, module path, their arguments as arrays) to `events`."""
    def pre(path):
        return lambda m, args: events.append(("pre", path, _np(args)))

    def fwd(path):
        return lambda m, args, out: events.append(("fwd", path, _np(args), _np(out)))

    def bwd_pre(path):
        return lambda m, go: events.append(("bwd_pre", path, _np(go)))

    def bwd(path):
        return lambda m, gi, go: events.append(("bwd", path, _np(gi), _np(go)))

    def register(model):
        for path, module in model.named_modules():
            module.register_forward_pre_hook(pre(path))
            module.register_forward_hook(fwd(path))
            module.register_full_backward_pre_hook(bwd_pre(path))
            module.register_full_backward_hook(bwd(path))
    return register


def _twin(torch, model, torch_model):
    torch_model.double()
    torch_model.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return torch_model


def _mlp(torch):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    return model, _twin(torch, model, twin)


X = np.random.default_rng(0).standard_normal((5, 3))


@pytest.mark.parametrize("input_requires_grad", [True, False])
def test_every_hook_of_a_sequential_runs_in_pytorchs_order_with_its_values(input_requires_grad, torch):
    model, twin = _mlp(torch)
    mine, theirs = [], []
    _recorder(mine)(model)
    _recorder(theirs)(twin)
    x = Tensor(X.copy(), requires_grad=input_requires_grad)
    tx = torch.tensor(X.copy(), requires_grad=input_requires_grad)
    (model(x) ** 2).sum().backward()
    (twin(tx) ** 2).sum().backward()
    _same_events(mine, theirs)
    for p, tp in zip(model.parameters(), twin.parameters()):
        _same(p.grad, _np(tp.grad))


def test_a_pre_hook_returning_a_non_tuple_replaces_the_args(torch):
    model, twin = _mlp(torch)
    model[2].register_forward_pre_hook(lambda m, args: args[0] * 3.0)
    twin[2].register_forward_pre_hook(lambda m, args: args[0] * 3.0)
    _same(model(Tensor(X)).data, _np(twin(torch.tensor(X))))


def test_a_forward_hook_replaces_the_output_and_gradients_follow_it(torch):
    model, twin = _mlp(torch)
    model[0].register_forward_hook(lambda m, args, out: out.tanh())
    twin[0].register_forward_hook(lambda m, args, out: out.tanh())
    model(Tensor(X)).sum().backward()
    twin(torch.tensor(X)).sum().backward()
    for p, tp in zip(model.parameters(), twin.parameters()):
        _same(p.grad, _np(tp.grad))


def test_with_kwargs_hooks_see_and_replace_keyword_arguments(torch):
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    class TorchScale(torch.nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    outputs = []
    for module, x in ((Scale(), Tensor(X)), (TorchScale(), torch.tensor(X))):
        module.register_forward_pre_hook(lambda m, args, kwargs: (args, {"factor": kwargs["factor"] + 1}),
                                         with_kwargs=True)
        module.register_forward_hook(lambda m, args, kwargs, out: out * kwargs["factor"], with_kwargs=True)
        outputs.append(_np(module(x, factor=2.0)))
    _same(*outputs)


def test_replacing_grad_input_and_grad_output_changes_the_gradients_upstream(torch):
    model, twin = _mlp(torch)
    for m in (model, twin):
        m[2].register_full_backward_hook(lambda mod, gi, go: (gi[0] * 3.0,))
        m[1].register_full_backward_pre_hook(lambda mod, go: (go[0] - 0.5,))
    x, tx = Tensor(X.copy(), requires_grad=True), torch.tensor(X.copy(), requires_grad=True)
    model(x).sum().backward()
    twin(tx).sum().backward()
    _same(x.grad, _np(tx.grad))
    for p, tp in zip(model.parameters(), twin.parameters()):
        _same(p.grad, _np(tp.grad))


def test_a_module_with_two_inputs_a_constant_and_two_outputs(torch):
    def two(self, a, b, scale):
        return a * b * scale, (a + b).sum()

    class Two(nn.Module):
        forward = two

    class TorchTwo(torch.nn.Module):
        forward = two

    rng = np.random.default_rng(1)
    A, B = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    for b_requires_grad in (True, False):
        mine, theirs = [], []
        for module, make, events in ((Two(), Tensor, mine), (TorchTwo(), torch.tensor, theirs)):
            _recorder(events)(module)
            a, b = make(A.copy(), requires_grad=True), make(B.copy(), requires_grad=b_requires_grad)
            first, second = module(a, b, 2.0)
            (first.sum() * 3.0 + second * first.sum()).backward()
        _same_events(mine, theirs)


def test_an_unused_output_has_no_grad_output_and_an_input_without_gradient_gets_zeros(torch):
    def two(self, a, b):
        return a * 2.0, a * b

    class Two(nn.Module):
        forward = two

    class TorchTwo(torch.nn.Module):
        forward = two

    mine, theirs = [], []
    for module, make, events in ((Two(), Tensor, mine), (TorchTwo(), torch.tensor, theirs)):
        _recorder(events)(module)
        module(make(X.copy(), requires_grad=True), make(X.copy(), requires_grad=True))[0].sum().backward()
    _same_events(mine, theirs)
    kind, _, grad_input, grad_output = mine[-1]
    assert kind == "bwd" and grad_output[1] is None and not grad_input[1].any()


def test_a_module_used_twice_gets_its_hooks_once_per_call(torch):
    def build(lib):
        shared = lib.Linear(3, 3)
        return lib.Sequential(shared, lib.Tanh(), shared)

    model = build(nn)
    twin = _twin(torch, model, build(torch.nn))
    mine, theirs = [], []
    _recorder(mine)(model)
    _recorder(theirs)(twin)
    model(Tensor(X.copy(), requires_grad=True)).sum().backward()
    twin(torch.tensor(X.copy(), requires_grad=True)).sum().backward()
    _same_events(mine, theirs)


def test_tensor_hooks_on_a_leaf_used_twice_and_on_a_non_leaf(torch):
    results = []
    for make in (Tensor, torch.tensor):
        calls = []
        w = make(X.copy(), requires_grad=True)
        w.register_hook(lambda g: calls.append(("first", _np(g).copy())))
        w.register_hook(lambda g: g * 2.0)
        w.register_hook(lambda g: calls.append(("third", _np(g).copy())))
        h = w * w + w
        h.register_hook(lambda g: g + 1.0)
        h.register_hook(lambda g: calls.append(("h", _np(g).copy())))
        (h * 3.0).sum().backward()
        results.append((calls, _np(w.grad)))
    (mine, grad), (theirs, torch_grad) = results
    assert [c[0] for c in mine] == [c[0] for c in theirs] == ["h", "first", "third"]
    for (_, a), (_, b) in zip(mine, theirs):
        _same(a, b)
    _same(grad, torch_grad)


def test_prepend_puts_a_hook_first(torch):
    orders = []
    for module in (nn.ReLU(), torch.nn.ReLU()):
        order = []
        module.register_forward_hook(lambda m, a, o: order.append("a"))
        module.register_forward_hook(lambda m, a, o: order.append("b"), prepend=True)
        module.register_forward_pre_hook(lambda m, a: order.append("pre"))
        module(Tensor(X) if isinstance(module, nn.Module) else torch.tensor(X))
        orders.append(order)
    assert orders[0] == orders[1] == ["pre", "b", "a"]


def test_removed_hooks_no_longer_run(torch):
    for module, x in ((nn.Linear(3, 2), Tensor(X.copy(), requires_grad=True)),
                      (torch.nn.Linear(3, 2).double(), torch.tensor(X.copy(), requires_grad=True))):
        calls = []
        handles = [module.register_forward_pre_hook(lambda m, a: calls.append("pre")),
                   module.register_forward_hook(lambda m, a, o: calls.append("fwd")),
                   module.register_full_backward_hook(lambda m, gi, go: calls.append("bwd")),
                   x.register_hook(lambda g: calls.append("tensor"))]
        module(x).sum().backward()
        assert calls == ["pre", "fwd", "bwd", "tensor"]
        for handle in handles:
            handle.remove()
            handle.remove()  # twice is harmless
        module(x).sum().backward()
        assert calls == ["pre", "fwd", "bwd", "tensor"]
