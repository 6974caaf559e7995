"""The end-of-run verdict and next step, on crafted histories of each kind."""
from pathlib import Path

import numpy as np

from presets.advice import advise, markdown


def test_a_diverged_run_says_lower_the_learning_rate_with_a_value():
    advice = advise([1.0, 0.8], [1.1, float("nan")], stop_reason="diverged", lr=0.5,
                    divergence={"epoch": 2, "batch": 7, "loss": float("nan"), "origin": None})
    assert advice.kind == "diverged"
    assert advice.line() == "the loss became non-finite at epoch 2, batch 7 → lower the learning rate (try 0.05)"


def test_a_flat_loss_says_raise_the_learning_rate():
    advice = advise([1.02, 1.019, 1.018, 1.018, 1.017], [1.05, 1.05, 1.049, 1.049, 1.048], stop_reason="completed",
                    lr=1e-5)
    assert advice.kind == "stuck"
    assert "barely moved (1.02 → 1.017 in 5 epochs)" in advice.verdict and advice.next_step.endswith("(try 0.0001)")


def test_overfitting_names_the_epoch_the_rise_and_the_fall():
    train = list(np.linspace(1.0, 0.3, 60))
    val = [1.0 - 0.5 * min(i, 52) / 52 for i in range(60)]  # best 0.5 at epoch 53 (index 52)
    val[-1] = 0.56  # up 12% from the best
    advice = advise(train, val, stop_reason="early_stopped", best_epoch=53, regularised=True)
    assert advice.kind == "overfitting"
    assert advice.verdict.startswith("overfitting since epoch 53: val loss up 12% while train loss fell")
    assert "best weights (epoch 53) kept" in advice.verdict
    assert advice.next_step == "raise dropout or weight decay"
    assert advise(train, val, best_epoch=53).next_step == "add dropout or weight decay"


def test_a_loss_still_falling_at_the_budget_says_train_longer():
    train = [1.0, 0.8, 0.65, 0.55, 0.48, 0.43]
    val = [1.0, 0.85, 0.72, 0.63, 0.57, 0.52]
    advice = advise(train, val, stop_reason="completed")
    assert advice.kind == "still_improving"
    assert advice.line() == "validation loss still falling at the last epoch (0.72 → 0.52 over 3 epochs) → train longer"


def test_train_and_val_both_high_next_to_the_baseline_says_a_bigger_model():
    train = [1.0, 0.9, 0.85, 0.84, 0.84, 0.84]
    val = [1.0, 0.92, 0.87, 0.86, 0.86, 0.861]
    advice = advise(train, val, stop_reason="early_stopped", baseline=1.0)
    assert advice.kind == "underfitting" and "bigger model" in advice.next_step


def test_a_good_run_has_settled():
    train = [1.0, 0.5, 0.2, 0.1, 0.09, 0.09]
    val = [1.0, 0.5, 0.25, 0.15, 0.15, 0.151]
    advice = advise(train, val, stop_reason="early_stopped", best_epoch=5, baseline=1.0)
    assert advice.kind == "settled" and "best 0.15 at epoch 5" in advice.verdict


def test_too_few_epochs_are_not_judged_and_nothing_raises_on_empty_or_nan_histories():
    assert advise([0.9], [None]).kind == "too_early"
    assert advise([], []).kind == "too_early"
    assert advise([float("nan")] * 5, [float("nan")] * 5).kind == "too_early"
    assert advise([1.0, 0.9, 0.8, 0.7], [None] * 4, stop_reason="completed").kind == "still_improving"


def test_docs_list_every_threshold():
    assert (Path(__file__).parents[2] / "docs" / "advice.md").read_text() == markdown()
