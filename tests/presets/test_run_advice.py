"""A run's verdict: the baseline it is judged against, metrics.json's `advice`, and advice on demand."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from npnn import nn
from npnn.events import EpochEnded
from npnn.history import History
from presets import Run, load_preset
from presets.run_advice import baseline_loss, run_advice


def test_the_regression_baseline_is_the_mse_of_predicting_the_training_mean():
    y = np.array([[1.0], [2.0], [3.0], [6.0]], dtype=np.float32)
    assert baseline_loss(nn.MSELoss(), y, "regression") == pytest.approx(np.var(y))
    standardised = (y - y.mean()) / y.std()
    assert baseline_loss(nn.MSELoss(), standardised, "regression") == pytest.approx(1.0)


def test_the_classification_baseline_is_the_cross_entropy_of_the_class_frequencies():
    y = np.array([0, 0, 0, 1, 2, 2], dtype=np.int64)
    prior = np.array([3, 1, 2]) / 6
    expected = -float(np.sum(prior * np.log(prior)))
    assert baseline_loss(nn.CrossEntropyLoss(), y, "classification", 3) == pytest.approx(expected)
    assert math.isfinite(baseline_loss(nn.CrossEntropyLoss(), y, "classification", 5))  # classes absent
    assert baseline_loss(nn.MSELoss(), np.zeros((0, 1)), "regression") is None


def test_a_history_that_hovers_at_the_baseline_reads_as_underfitting():
    history = History()
    for epoch, (train, val) in enumerate([(1.0, 1.0), (0.9, 0.92), (0.85, 0.87), (0.84, 0.86), (0.84, 0.86),
                                          (0.84, 0.861)], start=1):
        history.append(epoch, train, val, 0.01, 0, {})
    history.stop_reason = "early_stopped"
    preset = load_preset("tabular_mlp")
    advice = run_advice(preset, history, baseline=1.0)
    assert advice.kind == "underfitting"
    assert run_advice(preset, history, baseline=None).kind == "settled"  # no baseline: nothing to compare with
    assert run_advice(preset, None, baseline=1.0).kind == "too_early"


def test_the_run_writes_its_verdict_to_metrics_json_and_its_result(tmp_path):
    run = Run(load_preset("tabular_mlp", {"epochs": 5, "lr": 0.01}), out_dir=tmp_path / "runs")
    result = run.execute()
    assert result.advice is not None and result.advice == run.advice()
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["advice"] == {"kind": result.advice.kind, "verdict": result.advice.verdict,
                                 "next_step": result.advice.next_step}
    assert metrics["advice"]["kind"] in {"still_improving", "settled", "overfitting", "underfitting"}


def test_advice_on_demand_while_the_run_trains(tmp_path):
    run = Run(load_preset("tabular_mlp", {"epochs": 4}), out_dir=tmp_path / "runs")
    seen = []

    def ask(event):
        if isinstance(event, EpochEnded):
            seen.append(run.advice().kind)

    run.execute(callbacks=[ask])
    assert seen[:2] == ["too_early", "too_early"] and len(seen) == 4


def test_a_diverged_run_advises_a_lower_learning_rate(tmp_path):
    run = Run(load_preset("tabular_mlp", {"epochs": 5, "lr": 1e6, "optimizer": "sgd"}), out_dir=tmp_path / "runs")
    result = run.execute()
    assert result.reason == "diverged"
    assert result.advice.kind == "diverged" and result.advice.next_step == "lower the learning rate (try 1e+05)"
