"""Per-layer statistics and verdicts on crafted arrays: each threshold fires on the side it names."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from npnn.diagnostics import LayerStats, headline, thresholds as T, verdict
from npnn.diagnostics.stats import activation_stats, dead_share, norm, saturated_share, update_ratio
from npnn.diagnostics.verdicts import sci

ROOT = Path(__file__).resolve().parents[2]


def test_norm_takes_several_arrays_as_one_vector_without_overflow():
    assert norm([np.full(3, 3.0, np.float32), np.full(1, 4.0)]) == pytest.approx(math.sqrt(27 + 16))
    assert norm([np.full(4, 1e30, np.float32)]) == pytest.approx(2e30, rel=1e-6)


def test_update_ratio_is_the_change_over_the_weights_norm():
    before = [np.ones(100, np.float32)]
    after = [before[0] + np.float32(1e-3)]
    assert update_ratio(before, after) == pytest.approx(1e-3, rel=1e-3)
    assert update_ratio(before, before) == 0.0


def test_dead_units_are_zero_on_every_sample_and_position():
    out = np.abs(np.random.default_rng(0).normal(size=(16, 4, 5, 5)))
    out[:, :3] = 0.0
    out[3, 2, 1, 1] = 0.5   # one sample lights channel 2: it is not dead
    assert dead_share(out) == pytest.approx(0.5)
    features = np.zeros((8, 10))
    features[:, 7] = 1.0
    assert dead_share(features) == pytest.approx(0.9)


def test_saturated_units_sit_at_the_flat_ends_on_most_samples():
    rng = np.random.default_rng(1)
    sig = 1 / (1 + np.exp(-rng.normal(scale=200, size=(200, 10))))
    assert saturated_share(sig, "sigmoid") >= 0.9
    mild = 1 / (1 + np.exp(-rng.normal(scale=0.5, size=(200, 10))))
    assert saturated_share(mild, "sigmoid") == 0.0
    assert saturated_share(np.tanh(rng.normal(scale=200, size=(200, 10))), "tanh") >= 0.9
    assert saturated_share(np.tanh(rng.normal(scale=0.5, size=(200, 10))), "tanh") == 0.0
    with pytest.raises(ValueError, match="kind must be 'sigmoid' or 'tanh', got 'relu'"):
        saturated_share(sig, "relu")


def test_activation_stats_name_what_applies_to_the_kind():
    out = np.array([[0.0, 2.0], [0.0, 4.0]])
    assert activation_stats(out, "relu") == {"mean": 1.5, "std": pytest.approx(np.std(out)), "dead": 0.5}
    assert set(activation_stats(out, None)) == {"mean", "std"}


@pytest.mark.parametrize("stats, level, text", [
    (LayerStats("L", weight_norm=3.0, grad_norm=3e-9), "bad", "gradients vanishing"),
    (LayerStats("L", weight_norm=1.0, grad_norm=50.0), "bad", "gradients exploding"),
    (LayerStats("L", weight_norm=1.0, grad_norm=0.1, update_ratio=0.5), "bad", "updates too large"),
    (LayerStats("L", weight_norm=1.0, grad_norm=0.1, update_ratio=1e-7), "warn", "updates tiny"),
    (LayerStats("L", kind="relu", mean=0.0, std=0.0, dead=0.75), "bad", "ReLUs dying"),
    (LayerStats("L", kind="sigmoid", mean=0.5, std=0.5, saturated=0.6), "bad", "saturated"),
    (LayerStats("L", weight_norm=math.inf, grad_norm=1.0), "bad", "weights non-finite"),
    (LayerStats("L", weight_norm=1.0, grad_norm=math.nan), "bad", "gradients non-finite"),
    (LayerStats("L", mean=math.nan, std=math.nan), "bad", "outputs non-finite"),
    (LayerStats("L", weight_norm=1.0, grad_norm=0.1, update_ratio=1e-3), "ok", "healthy"),
    (LayerStats("L", kind="relu", mean=0.3, std=0.4, dead=0.1), "ok", "healthy"),
    (LayerStats("L", weight_norm=1.0, grad_norm=0.1, update_ratio=0.0), "ok", "healthy"),  # a skipped step
])
def test_each_verdict_fires_on_its_crafted_numbers(stats, level, text):
    v = verdict(stats)
    assert (v.level, v.text) == (level, text)


def test_verdict_thresholds_sit_where_thresholds_py_says():
    edge = T.VANISHING_GRAD_RATIO
    assert verdict(LayerStats("L", weight_norm=1.0, grad_norm=edge * 0.9)).text == "gradients vanishing"
    assert verdict(LayerStats("L", weight_norm=1.0, grad_norm=edge * 1.1)).level == "ok"
    assert verdict(LayerStats("L", kind="relu", dead=T.DEAD_RELU_SHARE)).text == "ReLUs dying"
    assert verdict(LayerStats("L", kind="relu", dead=T.DEAD_RELU_SHARE - 0.01)).level == "ok"


def test_headline_names_the_earliest_worst_layer_with_its_numbers():
    layers = [LayerStats("Linear(10→128)", weight_norm=1.0, grad_norm=0.1, update_ratio=1e-7),
              LayerStats("Linear(128→256)", weight_norm=3e-3, grad_norm=3e-9),
              LayerStats("ReLU", kind="relu", dead=0.9)]
    assert headline(layers) == ("Linear(128→256): gradients vanishing — grad norm 3e-9, 1e-6 of its weights' norm"
                                " · 2 more layers flagged")
    assert headline(layers[:1]).startswith("Linear(10→128): updates tiny — a step moves the weights 1e-7")
    assert headline([LayerStats("ReLU", kind="relu", dead=0.0)] * 3) == "All 3 layers healthy"
    assert headline([]) == ""


def test_sci_writes_tiny_and_huge_numbers_with_one_digit():
    assert [sci(v) for v in (3e-9, 1e-6, 0.25, 12.5, 4e12, 0.0)] == ["3e-9", "1e-6", "0.25", "12.5", "4e+12", "0"]


def test_docs_list_every_threshold_with_its_value():
    text = (ROOT / "docs" / "inside.md").read_text()
    for name, value in T.ALL.items():
        assert f"`{name}`" in text and f"{value:g}" in text, name
