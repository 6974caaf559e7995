"""nn.GRU and nn.LSTM: float64 gradchecks through the fused ops, and PyTorch parity (outputs, final
states, every gradient, state dicts both ways, parameter order, repr, hooks) on tiny sizes."""
import numpy as np
import pytest

import npnn
from npnn import Tensor, nn
from npnn.tensor import concatenate
from tests.npnn.nn_helpers import check_module, float64  # noqa: F401  (fixture)

rng = np.random.default_rng(29)
CONFIGS = [  # (id, constructor keyword arguments)
    ("1-layer", {}),
    ("2-layer-bidirectional", dict(num_layers=2, bidirectional=True)),
    ("batch-first-no-bias", dict(batch_first=True, bias=False)),
]
STATES = {"GRU": 1, "LSTM": 2}


class Joined(nn.Module):
    """rnn(x, hx) with the output and every final state flattened into one tensor (for gradcheck)."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x, *hx):
        output, final = self.rnn(x, None if not hx else hx[0] if len(hx) == 1 else hx)
        finals = final if isinstance(final, tuple) else (final,)
        return concatenate([t.reshape(-1) for t in (output, *finals)])


def state_shape(kind, num_layers=1, bidirectional=False, batch=2, hidden=3):
    return (num_layers * (2 if bidirectional else 1), batch, hidden)


def lstm_states(num_layers, bidirectional, batch, hidden, proj_size):
    """(h0, c0) of a projected LSTM: h is proj_size wide, c hidden_size."""
    return [rng.standard_normal(state_shape("LSTM", num_layers, bidirectional, batch, size))
            for size in (proj_size, hidden)]


def sequence(batch_first, steps=4, batch=2, features=3):
    return rng.standard_normal((batch, steps, features) if batch_first else (steps, batch, features))


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
@pytest.mark.parametrize("kwargs", [c[1] for c in CONFIGS], ids=[c[0] for c in CONFIGS])
def test_gradcheck_of_input_initial_states_and_every_weight(float64, kind, kwargs):
    rnn = getattr(nn, kind)(3, 3, **kwargs)
    shape = state_shape(kind, kwargs.get("num_layers", 1), kwargs.get("bidirectional", False))
    states = [rng.standard_normal(shape) for _ in range(STATES[kind])]
    assert check_module(Joined(rnn), sequence(kwargs.get("batch_first", False)), *states)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_gradcheck_without_initial_states_and_unbatched(float64, kind):
    assert check_module(Joined(getattr(nn, kind)(3, 2, num_layers=2)), rng.standard_normal((4, 3)))


def test_gradcheck_of_a_projected_lstm(float64):
    rnn = nn.LSTM(3, 3, num_layers=2, bidirectional=True, proj_size=2)
    assert check_module(Joined(rnn), sequence(False), *lstm_states(2, True, 2, 3, 2))


def twin(torch, ours):
    """torch's layer with the same arguments and our weights (float64)."""
    kwargs = dict(num_layers=ours.num_layers, bias=ours.bias, batch_first=ours.batch_first, dropout=ours.dropout,
                  bidirectional=ours.bidirectional, **({"proj_size": ours.proj_size} if ours.proj_size else {}))
    theirs = getattr(torch.nn, type(ours).__name__)(ours.input_size, ours.hidden_size, **kwargs).double()
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    return theirs


def run_both(torch, ours, theirs, x, states):
    """Forward both with the same input and initial states, backward the same random weighting of the output
    and final states; returns [(name, ours, theirs)] for outputs, final states and every gradient."""
    xs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hs = [(Tensor(s, requires_grad=True), torch.tensor(s, requires_grad=True)) for s in states]
    pairs = []
    for side, (inp, *init) in enumerate([(xs[0], *[h[0] for h in hs]), (xs[1], *[h[1] for h in hs])]):
        hx = None if not init else init[0] if len(init) == 1 else tuple(init)
        output, final = (ours, theirs)[side](inp, hx)
        pairs.append([output, *(final if isinstance(final, tuple) else (final,))])
    weights = [np.random.default_rng(i).standard_normal(t.shape) for i, t in enumerate(pairs[0])]
    sum(((t * Tensor(w)).sum() for t, w in zip(pairs[0], weights)), Tensor(0.0)).backward()
    sum((t * torch.from_numpy(w)).sum() for t, w in zip(pairs[1], weights)).backward()
    found = [(f"result {i}", a.data, b.detach().numpy()) for i, (a, b) in enumerate(zip(*pairs))]
    found += [("input grad", xs[0].grad, xs[1].grad.numpy())]
    found += [(f"state {i} grad", a.grad, b.grad.numpy()) for i, (a, b) in enumerate(hs)]
    theirs_params = dict(theirs.named_parameters())
    found += [(f"{name} grad", p.grad, theirs_params[name].grad.numpy()) for name, p in ours.named_parameters()]
    return found


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True)])
@pytest.mark.parametrize("with_states", [False, True])
def test_outputs_final_states_and_every_gradient_match_pytorch(torch, float64, kind, batch_first, layers,
                                                               bidirectional, with_states):
    ours = getattr(nn, kind)(3, 4, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    theirs = twin(torch, ours)
    states = [rng.standard_normal(state_shape(kind, layers, bidirectional, 2, 4))
              for _ in range(STATES[kind] if with_states else 0)]
    for name, a, b in run_both(torch, ours, theirs, sequence(batch_first, steps=5), states):
        assert a is not None and a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("batch_first,layers,bidirectional", [(False, 1, False), (True, 2, True)])
@pytest.mark.parametrize("with_states", [False, True])
def test_projected_lstm_matches_pytorch(torch, float64, batch_first, layers, bidirectional, with_states):
    ours = nn.LSTM(3, 4, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first, proj_size=2)
    states = lstm_states(layers, bidirectional, 2, 4, 2) if with_states else []
    for name, a, b in run_both(torch, ours, twin(torch, ours), sequence(batch_first, steps=5), states):
        assert a is not None and a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_unbatched_input_matches_pytorch(torch, float64, kind):
    ours = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True)
    states = [rng.standard_normal((4, 4)) for _ in range(STATES[kind])]
    for name, a, b in run_both(torch, ours, twin(torch, ours), rng.standard_normal((5, 3)), states):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_float32_by_default_and_close_to_pytorch(torch, kind):
    ours = getattr(nn, kind)(8, 16, num_layers=2)
    assert all(p.dtype == np.float32 for p in ours.parameters())
    theirs = getattr(torch.nn, kind)(8, 16, num_layers=2)
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((12, 5, 8)).astype(np.float32)
    output, _ = ours(Tensor(x))
    assert output.dtype == np.float32
    np.testing.assert_allclose(output.data, theirs(torch.from_numpy(x))[0].detach().numpy(), atol=2e-6)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_parameter_names_order_shapes_and_repr_are_torchs(torch, kind):
    kwargs = dict(num_layers=2, bidirectional=True, batch_first=True, dropout=0.25, bias=False)
    ours, theirs = getattr(nn, kind)(5, 7, **kwargs), getattr(torch.nn, kind)(5, 7, **kwargs)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    assert [[tuple(p.shape) for p in ws] for ws in ours.all_weights] == [
        [tuple(p.shape) for p in ws] for ws in theirs.all_weights]
    assert repr(getattr(nn, kind)(5, 7)) == repr(getattr(torch.nn, kind)(5, 7))
    if kind == "LSTM":
        ours, theirs = nn.LSTM(5, 7, proj_size=3, **kwargs), torch.nn.LSTM(5, 7, proj_size=3, **kwargs)
        assert [(n, p.shape) for n, p in ours.named_parameters()] == [
            (n, tuple(p.shape)) for n, p in theirs.named_parameters()]
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_state_dict_round_trips_with_pytorch_both_ways(torch, float64, kind):
    ours = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True)
    theirs = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=True).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()}, strict=True)
    x = rng.standard_normal((5, 2, 3))
    np.testing.assert_allclose(ours(Tensor(x))[0].data, theirs(torch.from_numpy(x))[0].detach().numpy(), atol=1e-12)
    fresh = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=True).double()
    ours.load_state_dict({k: v.numpy() for k, v in fresh.state_dict().items()}, strict=True)
    np.testing.assert_allclose(ours(Tensor(x))[0].data, fresh(torch.from_numpy(x))[0].detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_init_is_uniform_within_one_over_sqrt_hidden_from_the_given_generator(kind, monkeypatch):
    make = getattr(nn, kind)
    a = make(3, 16, num_layers=2, generator=np.random.default_rng(1))
    b = make(3, 16, num_layers=2, generator=np.random.default_rng(1))
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
        assert np.abs(p.data).max() <= 0.25 and np.abs(p.data).max() > 0.2, name
    monkeypatch.setattr(npnn.random, "_generator", npnn.random.generator())  # NOTE: restored after the test
    npnn.manual_seed(3)
    c = make(3, 16, num_layers=2)
    npnn.manual_seed(3)
    d = make(3, 16, num_layers=2)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(c.parameters(), d.parameters()))
    assert not np.array_equal(a.weight_hh_l1.data, c.weight_hh_l1.data)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_dropout_acts_between_layers_in_training_only(kind):
    make = getattr(nn, kind)
    dropped = make(3, 8, num_layers=2, dropout=0.5, generator=np.random.default_rng(0))
    plain = make(3, 8, num_layers=2)
    plain.load_state_dict(dropped.state_dict())
    x = Tensor(rng.standard_normal((6, 2, 3)))
    reference = plain(x)[0].data
    dropped.eval()
    np.testing.assert_array_equal(dropped(x)[0].data, reference)
    dropped.train()
    first, second = dropped(x)[0].data, dropped(x)[0].data
    assert not np.allclose(first, reference) and not np.allclose(first, second)
    dropped.generator = np.random.default_rng(7)
    again = dropped(x)[0].data
    dropped.generator = np.random.default_rng(7)
    np.testing.assert_array_equal(dropped(x)[0].data, again)
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        make(3, 8, dropout=0.5)


def graph_size(tensor) -> int:
    """How many ops the graph above `tensor` holds."""
    seen, stack = set(), [tensor._ctx]
    while stack:
        node = stack.pop()
        if node is not None and not isinstance(node, Tensor) and id(node) not in seen:
            seen.add(id(node))
            stack.extend(node.parents)
    return len(seen)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_each_layer_and_direction_is_one_fused_op_whatever_the_sequence_length(kind):
    rnn = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True)
    sizes = [graph_size(rnn(Tensor(np.ones((steps, 2, 3)), requires_grad=True))[0]) for steps in (2, 40)]
    assert sizes[0] == sizes[1] <= 12


def test_hooks_see_the_call_and_full_backward_hooks_get_torchs_gradients(torch, float64):
    ours = nn.GRU(3, 4, num_layers=2)
    theirs = twin(torch, ours)
    seen = {}
    for name, module in (("ours", ours), ("theirs", theirs)):
        module.register_forward_pre_hook(lambda m, args, name=name: seen.__setitem__(name + " pre", len(args)))
        module.register_forward_hook(lambda m, args, out, name=name: seen.__setitem__(name + " out", out[0].shape))
        module.register_full_backward_hook(
            lambda m, grad_in, grad_out, name=name: seen.__setitem__(name + " grads", (grad_in, grad_out)))
    x = rng.standard_normal((5, 2, 3))
    g_out, g_h = rng.standard_normal((5, 2, 4)), rng.standard_normal((2, 2, 4))
    output, h_n = ours(Tensor(x, requires_grad=True))
    ((output * Tensor(g_out)).sum() + (h_n * Tensor(g_h)).sum()).backward()
    t_output, t_h_n = theirs(torch.tensor(x, requires_grad=True))
    ((t_output * torch.from_numpy(g_out)).sum() + (t_h_n * torch.from_numpy(g_h)).sum()).backward()
    assert seen["ours pre"] == seen["theirs pre"] == 1
    assert tuple(seen["ours out"]) == tuple(seen["theirs out"]) == (5, 2, 4)
    (ours_in, ours_out), (theirs_in, theirs_out) = seen["ours grads"], seen["theirs grads"]
    np.testing.assert_allclose(ours_in[0], theirs_in[0].numpy(), atol=1e-12)
    for a, b in zip(ours_out, theirs_out):
        np.testing.assert_allclose(a, b.numpy(), atol=1e-12)


@pytest.mark.parametrize("call,message", [
    (lambda: nn.GRU(3, 4)(Tensor(np.zeros((5, 2, 6)))), r"GRU\(3→4\) expected input \(L, N, H_in\).*got \(5, 2, 6\)"),
    (lambda: nn.GRU(3, 4, batch_first=True)(Tensor(np.zeros((2, 0, 3)))), r"\(N, L, H_in\).*got \(2, 0, 3\)"),
    (lambda: nn.GRU(3, 4)(Tensor(np.zeros((5, 2, 3))), Tensor(np.zeros((2, 2, 4)))),
     r"GRU\(3→4\) expected h0 of shape \(1, 2, 4\).*got \(2, 2, 4\)"),
    (lambda: nn.LSTM(3, 4)(Tensor(np.zeros((5, 3))), (Tensor(np.zeros((1, 4))), Tensor(np.zeros((1, 1, 4))))),
     r"expected c0 of shape \(1, 4\) for unbatched input"),
    (lambda: nn.GRU(3, 4, proj_size=2), r"GRU: proj_size is only supported for LSTM, got proj_size=2"),
    (lambda: nn.LSTM(3, 4, proj_size=4), r"LSTM proj_size must be an integer from 0 .* to hidden_size - 1 = 3, got 4"),
    (lambda: nn.LSTM(3, 4, proj_size=2)(Tensor(np.zeros((5, 2, 3))), (Tensor(np.zeros((1, 2, 4))),
                                                                      Tensor(np.zeros((1, 2, 4))))),
     r"expected h0 of shape \(1, 2, 2\) \(num_layers \* num_directions, batch, proj_size\)"),
    (lambda: nn.GRU(3, 4, num_layers=2, dropout=1.5), r"GRU dropout must be a number in \[0, 1\).*1.5"),
    (lambda: nn.LSTM(3, 0), r"LSTM hidden_size must be a positive integer, got 0"),
])
def test_bad_arguments_name_the_layer_what_was_expected_and_what_came(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_lstm_states_must_be_a_pair_and_input_floating():
    with pytest.raises(TypeError, match=r"LSTM\(3→4\) expects hx as a tuple \(h0, c0\)"):
        nn.LSTM(3, 4)(Tensor(np.zeros((5, 2, 3))), Tensor(np.zeros((1, 2, 4))))
    with pytest.raises(TypeError, match="floating input"):
        nn.GRU(3, 4)(Tensor(np.zeros((5, 2, 3), dtype=np.int64)))


def test_no_grad_forward_records_nothing_and_training_step_learns():
    generator = np.random.default_rng(0)
    rnn, head = nn.LSTM(2, 8, batch_first=True, generator=generator), nn.Linear(8, 1, generator=generator)
    x = Tensor(np.random.default_rng(1).standard_normal((16, 6, 2)).astype(np.float32))
    target = Tensor(x.data.sum(axis=(1, 2))[:, None])  # the sum of the sequence: needs memory across steps
    with npnn.no_grad():
        assert not rnn(x)[0].requires_grad
    optimizer = npnn.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=0.02)
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = ((head(rnn(x)[1][0][0]) - target) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
