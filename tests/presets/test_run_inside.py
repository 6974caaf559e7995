"""The Inside tab's per-layer rows and sequence probe on every sequence layer: a short char_lm run watched by
run.inside gives finite weight, gradient and update numbers and a verdict for Embedding, PositionalEmbedding,
TransformerBlocks, GRU and LSTM, and attention maps of the fixed prompt for the transformer."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from npnn.diagnostics import verdict
from presets import load_preset
from presets.run import Run
from presets.sequence.data import decode

ROOT = Path(__file__).resolve().parents[2]
EMBED = '{ type = "Embedding", num_embeddings = "auto", embedding_dim = 16 }'
HEAD = '{ type = "Linear", in_features = "auto", out_features = "auto" }'
BODIES = {
    "GRU": ['{ type = "GRU", input_size = "auto", hidden_size = 16 }'],
    "LSTM": ['{ type = "LSTM", input_size = "auto", hidden_size = 16, num_layers = 2 }'],
    "TransformerBlocks": ['{ type = "PositionalEmbedding", num_positions = "auto", embedding_dim = "auto" }',
                          '{ type = "TransformerBlocks", d_model = "auto", nhead = 2, num_layers = 2, '
                          'dim_feedforward = 32, dropout = 0.0, norm_first = true, causal = true }'],
}


def _preset(tmp_path: Path, body: list[str]):
    text = (ROOT / "presets" / "char_lm.toml").read_text()
    start, end = text.index("model = ["), text.index("]\n", text.index("model = [")) + 2
    model = "model = [\n" + "".join(f"    {layer},\n" for layer in [EMBED, *body, HEAD]) + "]\n"
    path = tmp_path / "tiny_lm.toml"
    path.write_text(text[:start] + model + text[end:])
    return load_preset(str(path), {"epochs": 1, "batch_size": 64})


@pytest.mark.parametrize("kind", BODIES)
def test_each_sequence_layer_gets_a_row_with_numbers_and_a_verdict(tmp_path, kind):
    run = Run(_preset(tmp_path, BODIES[kind]), out_dir=tmp_path)
    run.prepare()
    samples: list = []
    run.inside.watch(samples.append, every=1)
    run.execute()
    rows = samples[-1].layers
    names = {"GRU": ["GRU"], "LSTM": ["LSTM"], "TransformerBlocks": ["Positions", "Transformer×2"]}
    assert [row.label.split("(")[0] for row in rows] == ["Embedding", *names[kind], "Linear"]
    for row in rows:
        assert row.num_parameters > 0 and row.grad_norm > 0 and row.update_ratio > 0
        assert all(math.isfinite(value) for value in (row.weight_norm, row.mean, row.std))
        assert verdict(row).level in ("ok", "warn", "bad")
    probes = [sample.sequence for sample in samples if sample.sequence is not None]
    assert probes, "the Inside samples carry no attention maps or norms"
    probe = probes[-1]
    prompts = run.sample_prompts
    assert "".join(probe.names) == decode(prompts.rows[0], prompts.vocab)  # the fixed prompt of the samples
    assert len(probe.norms) == len(rows) and len(probe.maps) == (2 if kind == "TransformerBlocks" else 0)
    assert all(m.weights.shape == (2, 16, 16) for m in probe.maps)
