"""Case: the fixed cost of one small elementwise op with autograd — y = a * b on 32 float32 values,
then y.backward(g) — so the time is Python and bookkeeping, not arithmetic."""
import numpy as np

TITLE = "per-op overhead (a*b, 32 floats, fwd+bwd)"
SIZE = 32
OPS_PER_RUN, QUICK_OPS_PER_RUN = 5000, 500


def _arrays():
    rng = np.random.default_rng(0)
    return (rng.random(SIZE, dtype=np.float32), rng.random(SIZE, dtype=np.float32),
            np.ones(SIZE, dtype=np.float32))


def npnn_runner(quick: bool):
    import npnn

    k = QUICK_OPS_PER_RUN if quick else OPS_PER_RUN
    a_np, b_np, g_np = _arrays()
    a, b = npnn.Tensor(a_np, requires_grad=True), npnn.Tensor(b_np, requires_grad=True)

    def run():
        for _ in range(k):
            a.grad = b.grad = None
            (a * b).backward(g_np)
        return k, k

    return run


def torch_runner(quick: bool):
    import torch

    k = QUICK_OPS_PER_RUN if quick else OPS_PER_RUN
    a_np, b_np, g_np = _arrays()
    a = torch.from_numpy(a_np).requires_grad_()
    b = torch.from_numpy(b_np).requires_grad_()
    g = torch.from_numpy(g_np)

    def run():
        for _ in range(k):
            a.grad = b.grad = None
            (a * b).backward(g)
        return k, k

    return run
