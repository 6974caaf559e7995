"""Graphs where a value feeds more than one op: each gradient is checked against finite differences
(npnn.gradcheck, float64) and, with torch installed, against PyTorch (forward and grad, rtol 1e-6).

The same function builds the graph in both frameworks: it uses only methods npnn's Tensor and
torch.Tensor share (tanh, sigmoid, exp, relu, .T, @, arithmetic).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import npnn
from npnn import Tensor, gradcheck
from npnn.nn import functional as F

rng = np.random.default_rng(10)


def randn(*shape):
    return rng.standard_normal(shape)


def residual_mlp(x, w1, b1, w2, b2, w3):
    """Linear-tanh, then a residual block h + f(h), then a linear read-out."""
    h = (x @ w1.T + b1).tanh()
    h = h + (h @ w2.T + b2).tanh()
    return h @ w3.T


def diamond(x):
    """x → a → (b, c) → b·c: two paths leave a and meet again."""
    a = x.exp()
    return a.tanh() * (a * 2.0)


def nested_diamonds(x):
    a = x.sigmoid()
    b = a * a.tanh() + a  # a feeds three ops
    c = b.exp() * b - a   # b feeds two, a comes back from above
    return c * x


GRAPHS = {
    "x*tanh(x)": (lambda x: x * x.tanh(), [randn(3, 4)]),
    "tanh(x)*x": (lambda x: x.tanh() * x, [randn(3, 4)]),
    "x+exp(x)": (lambda x: x + x.exp(), [randn(3, 4)]),
    "exp(x)+x": (lambda x: x.exp() + x, [randn(3, 4)]),
    "h*sigmoid(h) (SiLU)": (lambda h: h * h.sigmoid(), [randn(3, 4)]),
    "sigmoid(h)*h": (lambda h: h.sigmoid() * h, [randn(3, 4)]),
    "x@x.T": (lambda x: x @ x.T, [randn(3, 4)]),
    "x.T@x": (lambda x: x.T @ x, [randn(3, 4)]),
    "gram of features": (lambda x, w: (x @ w).T @ (x @ w), [randn(5, 3), randn(3, 4)]),
    "residual block h+f(h)": (lambda h, w: h + (h @ w).tanh(), [randn(3, 4), randn(4, 4)]),
    "f(h)+h": (lambda h, w: (h @ w).tanh() + h, [randn(3, 4), randn(4, 4)]),
    "residual MLP": (residual_mlp, [randn(6, 3), randn(4, 3), randn(4), randn(4, 4), randn(4), randn(2, 4)]),
    "used three times": (lambda x: x * x.tanh() + x.exp(), [randn(3, 4)]),
    "x*x*x": (lambda x: x * x * x, [randn(3, 4)]),
    "diamond": (diamond, [randn(3, 4) * 0.5]),
    "nested diamonds": (nested_diamonds, [randn(3, 4)]),
    "two inputs crossing": (lambda a, b: (a * b).tanh() * a + (a + b).sigmoid() * b, [randn(3, 4), randn(3, 4)]),
}


@pytest.mark.parametrize("name", GRAPHS)
def test_graph_gradient_matches_finite_differences(name):
    fn, inputs = GRAPHS[name]
    assert gradcheck(fn, *inputs)


@pytest.mark.parametrize("name", GRAPHS)
def test_graph_forward_and_gradient_match_pytorch(name, torch):
    fn, inputs = GRAPHS[name]
    ours = [Tensor(a.copy(), requires_grad=True) for a in inputs]
    theirs = [torch.tensor(a, requires_grad=True) for a in inputs]
    out, expected = fn(*ours), fn(*theirs)
    weights = randn(*out.shape)
    (out * weights).sum().backward()
    (expected * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-6, atol=1e-12)
    for position, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-6, atol=1e-12, err_msg=f"input {position}")


def test_the_issues_example_x_times_tanh_x():
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    (x * x.tanh()).sum().backward()
    np.testing.assert_allclose(x.grad, [0.855, -1.182, 1.105], atol=1e-3)  # was tanh(x) = [0.462, -0.762, 0.964]


def test_a_value_used_directly_and_through_an_op_gets_both_parts_in_either_order():
    for fn in (lambda x: x + x.exp(), lambda x: x.exp() + x):
        x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad, 1 + np.exp([0.0, 1.0]))


def test_a_shared_subgraph_is_run_once_with_the_summed_gradient():
    calls = []

    class Counted(npnn.ops.Tanh):
        def backward(self, grad):
            calls.append(grad.copy())
            return super().backward(grad)

    x = Tensor(np.array([0.3, -0.7]), requires_grad=True)
    a = Counted.apply(x)
    (a * 2.0 + a * 3.0 + a).sum().backward()
    assert len(calls) == 1 and np.allclose(calls[0], 6.0)
    np.testing.assert_allclose(x.grad, 6 * (1 - np.tanh([0.3, -0.7]) ** 2))


def test_a_deep_chain_with_reuse_at_every_step_needs_no_recursion():
    x = Tensor(np.array([0.1]), requires_grad=True)
    h = x
    for _ in range(3_400):  # 10,200 ops, each step uses h twice
        h = h * 0.5 + h * 0.5
    h.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0])


def test_gradient_only_flows_to_what_requires_it_in_a_shared_graph():
    x = Tensor(randn(3), requires_grad=True)
    c = Tensor(randn(3))
    (x * c + c.exp() * x).sum().backward()
    np.testing.assert_allclose(x.grad, c.data + np.exp(c.data))
    assert c.grad is None


# ---- random DAGs with fan-out and reuse against finite differences ---------------------------------
# Every node has shape (2, 3); each op names the earlier nodes it reads, so nodes are reused at random.
UNARY = {
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "exp_tanh": lambda a: a.tanh().exp(),
    "softplus": lambda a: F.softplus(a),
    "logsigmoid": lambda a: F.logsigmoid(a),
    "gelu": lambda a: F.gelu(a),
    "half": lambda a: a * 0.5,
    "neg": lambda a: -a,
    "square": lambda a: a ** 2,
    "transpose_twice": lambda a: a.T.transpose(1, 0),
    "row_mean": lambda a: a - a.mean(axis=1, keepdims=True),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: (a * b).tanh(),
    "matmul": lambda a, b: (a @ b.T @ a) * 0.25,  # (2,3)@(3,2)@(2,3): a read twice
    "column_scale": lambda a, b: a * b.sum(axis=0, keepdims=True).sigmoid(),
}


@st.composite
def dags(draw):
    """A list of (op, reads) steps over 2 inputs: each step reads any earlier node (fan-out, reuse)."""
    steps = []
    for position in range(draw(st.integers(2, 8))):
        available = 2 + position
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(sorted(UNARY))), (draw(st.integers(0, available - 1)),)))
        else:
            reads = (draw(st.integers(0, available - 1)), draw(st.integers(0, available - 1)))
            steps.append((draw(st.sampled_from(sorted(BINARY))), reads))
    return steps


def run_dag(steps, a, b):
    nodes, read = [a, b], set()
    for op, reads in steps:
        args = [nodes[i] for i in reads]
        read.update(reads)
        nodes.append(UNARY[op](*args) if op in UNARY else BINARY[op](*args))
    sinks = [node for i, node in enumerate(nodes) if i >= 2 and i not in read]
    total = sinks[0]
    for node in sinks[1:]:  # every value no op reads is part of the output, so every path counts
        total = total + node
    return total


@settings(max_examples=60, deadline=None, derandomize=True)
@given(dags(), st.integers(0, 2**16))
def test_random_dag_backward_matches_finite_differences(steps, seed):
    inputs = np.random.default_rng(seed).uniform(-1.5, 1.5, (2, 2, 3))
    assert gradcheck(lambda a, b: run_dag(steps, a, b), inputs[0], inputs[1])
