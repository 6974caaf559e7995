"""Screenshots of the app at 120x40: the first screen of each preset and the screen after a short run.

Seeded runs on built-in data, BLAS on one thread, no durations or run-directory names on screen, no
cursor blink (make_app(steady=True)); scikit-learn's data home is pinned so the MNIST fallback
notice reads the same on every machine. Regenerate with `pytest tests/tui --snapshot-update`.
"""
from __future__ import annotations

import pytest

from tests.tui.conftest import settle, train_to_the_end

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def no_mnist_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", "sklearn-home")


@pytest.mark.parametrize("preset", ["tabular_mlp", "mnist_cnn", "wine_mlp"])
def test_first_screen_of_each_preset(snap_compare, app_for, preset):
    assert snap_compare(app_for("--preset", preset), terminal_size=SIZE, run_before=settle)


def test_screen_after_a_short_seeded_run(snap_compare, app_for):
    async def run(pilot):
        await settle(pilot)
        await train_to_the_end(pilot)

    assert snap_compare(app_for("--epochs", "12", "--seed", "3"), terminal_size=SIZE, run_before=run)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_train_tab_after_a_short_seeded_run_at_the_smallest_and_a_large_size(snap_compare, app_for, size):
    async def run(pilot):
        await settle(pilot)
        await train_to_the_end(pilot)

    assert snap_compare(app_for("--epochs", "12", "--seed", "3"), terminal_size=size, run_before=run)


def test_train_tab_after_a_short_mnist_run_showing_val_accuracy(snap_compare, app_for):
    async def run(pilot):
        await settle(pilot)
        await train_to_the_end(pilot)
        pilot.app.screen.action_toggle_accuracy()
        await pilot.pause()

    assert snap_compare(app_for("--preset", "mnist_cnn", "--epochs", "3"), terminal_size=SIZE, run_before=run)


def test_predictions_tab_after_a_short_mnist_run(snap_compare, app_for):
    async def run(pilot):
        await settle(pilot)
        await train_to_the_end(pilot)
        pilot.app.screen.query_one("#tabs").active = "predictions"
        await pilot.pause()

    assert snap_compare(app_for("--preset", "mnist_cnn", "--epochs", "2"), terminal_size=SIZE, run_before=run)


def test_predictions_tab_after_a_short_tabular_run(snap_compare, app_for):
    async def run(pilot):
        await settle(pilot)
        await train_to_the_end(pilot)
        await pilot.press("f4")
        await pilot.pause()

    assert snap_compare(app_for("--epochs", "12", "--seed", "3"), terminal_size=SIZE, run_before=run)


def test_inside_tab_during_a_short_mnist_run(snap_compare, app_for):
    async def run(pilot):
        await settle(pilot)
        await pilot.press("f6")
        await train_to_the_end(pilot)

    assert snap_compare(app_for("--preset", "mnist_cnn", "--epochs", "2"), terminal_size=SIZE, run_before=run)
