"""Batch-level progress in the app: after each F10 the batch's loss, the epoch's running mean, lr and the chart
update; the chart's batch points (b) and smoothing (s) keys act on the Train tab only."""
from __future__ import annotations

import pytest

from npnn.events import BatchEnded, EpochStarted
from presets.events import Paused
from tests.tui.conftest import settle, train_to_the_end, wait_until
from tests.tui.test_app import text_of
from tui.state import RunState, fmt
from tui.widgets.train_live import TrainLive, info_line

SIZE = (120, 40)


def test_the_state_keeps_each_batch_once_and_the_running_mean_restarts_with_each_epoch():
    state = RunState()
    for event in (EpochStarted(1, 3, 4), BatchEnded(1, 3, 1, 4, 0.9, 0.9, 8, 0.01), Paused(1, 3, 1, 4, 0.9, 0.9, 0.01),
                  Paused(1, 3, 2, 4, 0.7, 0.8, 0.01), EpochStarted(2, 3, 4)):
        state.apply(event)
    assert state.batch_points == [(0.25, 0.9), (0.5, 0.7)] and state.lr == 0.01
    assert state.running_loss is None and state.batch_loss == 0.7  # a new epoch: no mean over it yet
    state.apply(BatchEnded(2, 3, 3, 4, 0.5, 0.6, 24, 0.005))
    assert state.batch_points[-1] == (1.75, 0.5) and state.lr == 0.005
    state.running = True
    assert info_line(state) == "batch loss 0.5 · epoch mean 0.6 · lr 5.00e-03 · skipped steps 0"
    assert info_line(state, 40) == "loss 0.5 · mean 0.6 · lr 5.00e-03"  # a narrow column: shorter words
    state.running = False
    assert info_line(state) == "lr 5.00e-03 · skipped steps 0"  # after the run the table has the losses


async def test_each_f10_updates_the_batch_loss_the_epoch_mean_lr_and_the_chart(app_for):
    app = app_for("--preset", "tabular_mlp", "--epochs", "2")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(app, "#info") == "lr — · skipped steps 0" and "no values yet" in text_of(app, "#train-chart")
        for step in (1, 2, 3):
            await pilot.press("f10")
            await wait_until(pilot, lambda: app.screen.state.paused and app.screen.state.batch == step)
            await pilot.pause(0.05)
            state = app.screen.state
            losses = [loss for _, loss in state.batch_points]
            assert len(losses) == step and [p for p, _ in state.batch_points][-1] == pytest.approx(step / state.batches)
            assert state.running_loss == pytest.approx(sum(losses) / step)  # equal batches: the plain mean
            info = text_of(app, "#info")
            assert info.startswith(f"batch loss {fmt(losses[-1])} · epoch mean {fmt(state.running_loss)} · lr ")
            assert len(info) <= app.screen.query_one("#info").content_size.width
            assert "lr —" not in info and state.lr == pytest.approx(app.screen.runs.active.run.preset.lr)
            chart = text_of(app, "#train-chart")
            assert "no values yet" not in chart and "⣿ batch loss" in chart.splitlines()[-1]
        await pilot.press("f5")
        await wait_until(pilot, lambda: not app.screen.state.running)


async def test_b_shows_batch_points_s_cycles_the_smoothing_and_both_act_on_the_train_tab_only(app_for):
    app = app_for("--preset", "tabular_mlp", "--epochs", "3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await train_to_the_end(pilot)
        live = app.screen.query_one(TrainLive)
        app.screen.query_one("#log").focus()  # not an input: there `b` and `s` are letters
        legend = lambda: text_of(app, "#train-chart").splitlines()[-1]  # noqa: E731
        assert "batch loss" not in legend() and "smoothing" not in legend()
        assert {"b", "s"} <= set(app.screen.active_bindings)
        await pilot.press("b")
        assert "⣿ batch loss" in legend()
        await pilot.press("b")
        assert "batch loss" not in legend()
        for weight in ("0.6", "0.9", "0.99"):
            await pilot.press("s")
            assert f"smoothing {weight}" in legend()
        await pilot.press("s")
        assert "smoothing" not in legend()
        await pilot.press("f4")
        await pilot.pause()
        assert not {"b", "s"} & set(app.screen.active_bindings)  # nor in the footer
        await pilot.press("b", "s")
        assert not live.batches and live.smoothing == 0
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Chart: batch points" not in titles
        await pilot.press("f2")
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Chart: batch points" in titles and "Chart: smoothing" in titles
