"""Shared by the GRU and LSTM cases: forward + backward of a 1-layer recurrent layer (input 32, hidden
128) on a (seq 32, batch 64) float32 sequence, loss = mean of the output; one run times several steps
and reports the time of one. The same random data and the same weights on both sides."""
import numpy as np

STEPS, BATCH, INPUT, HIDDEN = 32, 64, 32, 128
STEPS_PER_RUN, QUICK_STEPS_PER_RUN = 10, 2


def title(kind: str) -> str:
    return f"{kind} fwd+bwd (1 layer, input {INPUT}, hidden {HIDDEN}, batch {BATCH}, seq {STEPS})"


def _sequence() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((STEPS, BATCH, INPUT)).astype(np.float32)


def _weights(kind: str) -> dict:
    """Both frameworks' state dict: PyTorch's names and shapes, uniform ±1/sqrt(hidden) (their init)."""
    rng, rows, bound = np.random.default_rng(1), {"GRU": 3, "LSTM": 4}[kind] * HIDDEN, HIDDEN ** -0.5
    shapes = {"weight_ih_l0": (rows, INPUT), "weight_hh_l0": (rows, HIDDEN), "bias_ih_l0": (rows,),
              "bias_hh_l0": (rows,)}
    return {name: rng.uniform(-bound, bound, shape).astype(np.float32) for name, shape in shapes.items()}


def npnn_runner(kind: str, quick: bool):
    import npnn
    from npnn import nn

    k = QUICK_STEPS_PER_RUN if quick else STEPS_PER_RUN
    layer = getattr(nn, kind)(INPUT, HIDDEN)
    layer.load_state_dict(_weights(kind))
    x = npnn.Tensor(_sequence())

    def run():
        for _ in range(k):
            layer.zero_grad()
            layer(x)[0].mean().backward()
        return k, k * BATCH

    return run


def torch_runner(kind: str, quick: bool):
    import torch

    k = QUICK_STEPS_PER_RUN if quick else STEPS_PER_RUN
    layer = getattr(torch.nn, kind)(INPUT, HIDDEN)
    layer.load_state_dict({name: torch.from_numpy(w) for name, w in _weights(kind).items()})
    x = torch.from_numpy(_sequence())

    def run():
        for _ in range(k):
            layer.zero_grad()
            layer(x)[0].mean().backward()
        return k, k * BATCH

    return run
