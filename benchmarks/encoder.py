"""Case: forward and backward of a small Transformer encoder on tokens, issue 29's yardstick: Embedding(32, 64)
-> TransformerEncoder of 2 TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=256, dropout=0.1,
batch_first=True) -> Linear(64, 32) -> cross-entropy against random next tokens, on a (64, 32) batch of token
ids, in training mode (dropout on). No optimizer step: the time is the layers' forward and backward.
One run times STEPS_PER_RUN steps and reports the time of one."""
import numpy as np

TITLE = "Transformer encoder fwd+bwd (2 layers, 4 heads, d=64, tokens 64x32)"
VOCAB, D_MODEL, HEADS, FEEDFORWARD, LAYERS = 32, 64, 4, 256, 2
BATCH, LENGTH = 64, 32
STEPS_PER_RUN, QUICK_STEPS_PER_RUN = 10, 2


def _tokens():
    rng = np.random.default_rng(0)
    return rng.integers(0, VOCAB, (BATCH, LENGTH)), rng.integers(0, VOCAB, (BATCH, LENGTH))


def _model(nn):
    layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, dropout=0.1, batch_first=True)
    return nn.Embedding(VOCAB, D_MODEL), nn.TransformerEncoder(layer, LAYERS), nn.Linear(D_MODEL, VOCAB)


def npnn_runner(quick: bool):
    import npnn
    from npnn import nn
    from npnn.nn import functional as F

    k = QUICK_STEPS_PER_RUN if quick else STEPS_PER_RUN
    npnn.manual_seed(0)
    embed, encoder, head = _model(nn)
    modules = (embed, encoder, head)
    tokens, targets = _tokens()

    def run():
        for _ in range(k):
            for m in modules:
                m.zero_grad()
            logits = head(encoder(embed(tokens)))
            F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1)).backward()
        return k, k * BATCH

    return run


def torch_runner(quick: bool):
    import torch
    from torch import nn

    k = QUICK_STEPS_PER_RUN if quick else STEPS_PER_RUN
    torch.manual_seed(0)
    embed, encoder, head = _model(nn)
    modules = (embed, encoder, head)
    tokens, targets = (torch.from_numpy(a) for a in _tokens())

    def run():
        for _ in range(k):
            for m in modules:
                m.zero_grad()
            logits = head(encoder(embed(tokens)))
            torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1)).backward()
        return k, k * BATCH

    return run
