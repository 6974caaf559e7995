"""A sequence model's insides (npnn.diagnostics.sequence) and the per-layer monitor on token models: attention
weights per head as the layer computes them, hidden-state norms by position, dead units of (N, T, D) outputs
per feature, and LayerMonitor rows for integer inputs."""
from __future__ import annotations

import numpy as np
import pytest

from npnn import Tensor, nn
from npnn.diagnostics import verdict
from npnn.diagnostics.monitor import LayerMonitor
from npnn.diagnostics.sequence import sequence_probe
from npnn.diagnostics.stats import dead_share

VOCAB = "abcdefg"


class CausalEncoder(nn.TransformerEncoder):
    """Blocks a Sequential can hold that attend to earlier positions only (as presets' TransformerBlocks)."""

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        return super().forward(src, mask, src_key_padding_mask, is_causal=True)


def _model(norm_first: bool, encoder=nn.TransformerEncoder) -> nn.Sequential:
    rng = np.random.default_rng(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True, norm_first=norm_first, generator=rng)
    return nn.Sequential(nn.Embedding(len(VOCAB), 8, generator=rng), encoder(layer, 2),
                         nn.Linear(8, len(VOCAB), generator=rng))


def _weights_by_hand(layer, x: np.ndarray, causal: bool) -> np.ndarray:
    """softmax(q kᵀ / √d) per head from in_proj_weight, as MultiheadAttention defines it."""
    attention = layer.self_attn
    h = layer.norm1(Tensor(x)).data if layer.norm_first else x
    q, k, _ = np.split(h @ attention.in_proj_weight.data.T + attention.in_proj_bias.data, 3, axis=-1)
    heads, d = attention.num_heads, attention.head_dim
    q, k = (a.reshape(len(x), -1, heads, d).transpose(0, 2, 1, 3) for a in (q, k))
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d)
    if causal:
        scores = np.where(np.triu(np.ones(scores.shape[-2:], bool), 1), -np.inf, scores)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (weights / weights.sum(axis=-1, keepdims=True))[0]


@pytest.mark.parametrize("norm_first", [False, True])
def test_attention_maps_are_each_head_s_weights_on_the_layer_s_own_input(norm_first):
    model = _model(norm_first)
    blocks = model[1]
    prompts = np.array([[0, 1, 2, 3, 4], [4, 3, 2, 1, 0]], dtype=np.int64)
    inputs = []
    handles = [layer.register_forward_pre_hook(lambda m, args: inputs.append(args[0].data)) for layer in blocks.layers]
    model(Tensor(prompts))
    for handle in handles:
        handle.remove()
    probe = sequence_probe(model, prompts, ["embed", "blocks", "head"], VOCAB)
    assert probe.names == tuple("abcde") and [(m.layer, m.block) for m in probe.maps] == [("blocks", 0), ("blocks", 1)]
    for attention, layer, x in zip(probe.maps, blocks.layers, inputs):
        assert attention.weights.shape == (2, 5, 5)
        assert np.allclose(attention.weights, _weights_by_hand(layer, x, causal=False), atol=1e-5)
        assert np.allclose(attention.weights.sum(axis=-1), 1.0, atol=1e-5)
    assert model.training  # its mode is put back


def test_causal_maps_attend_to_earlier_positions_only():
    model = _model(norm_first=True, encoder=CausalEncoder)
    probe = sequence_probe(model, np.array([[0, 1, 2, 3]]))
    for attention in probe.maps:
        assert np.all(np.triu(attention.weights, 1) == 0) and attention.weights[:, 0, 0] == pytest.approx(1.0)
    assert probe.names == ("0", "1", "2", "3")  # ids without a vocabulary


def test_norms_are_each_layer_s_mean_output_length_by_position():
    model = _model(norm_first=False)
    prompts = np.array([[0, 1, 2], [3, 4, 5]], dtype=np.int64)
    probe = sequence_probe(model, prompts)
    assert [label for label, _ in probe.norms] == [child.label() for child in model.children()]
    embedded = model[0](Tensor(prompts)).data
    assert np.allclose(probe.norms[0][1], np.linalg.norm(embedded, axis=-1).mean(axis=0))


def test_a_sequence_s_units_are_its_features_dead_on_every_sample_and_position():
    out = np.ones((4, 6, 3))
    out[..., 1] = 0.0        # feature 1 is 0 everywhere
    out[:, 2, :] = 0.0       # position 2 is 0 for every feature: not a dead unit
    assert dead_share(out) == pytest.approx(1 / 3)


def test_the_monitor_reads_token_models_with_integer_inputs():
    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Embedding(len(VOCAB), 8, generator=rng), nn.Linear(8, 8, generator=rng), nn.ReLU(),
                          nn.Linear(8, len(VOCAB), generator=rng))
    samples = []
    monitor = LayerMonitor(model, samples.append, every=1).attach()
    x = Tensor(rng.integers(0, len(VOCAB), size=(4, 5)))
    model(x).sum().backward()
    monitor.detach()
    rows = samples[-1].layers
    assert [row.label for row in rows][0].startswith("Embedding") and rows[0].grad_norm > 0
    assert rows[2].dead is not None and 0 <= rows[2].dead <= 1
    assert all(verdict(row).level in ("ok", "warn", "bad") for row in rows)
