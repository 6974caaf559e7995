"""The Train tab driven by Pilot: the loss/accuracy chart, the labelled metrics table, timing, the form lock."""
from __future__ import annotations

from textual.widgets import Input

from tests.tui.conftest import settle, wait_until
from tests.tui.test_app import text_of

SIZE = (120, 40)


async def finish_a_run(pilot) -> None:
    await settle(pilot)
    await pilot.press("f5")
    await wait_until(pilot, lambda: pilot.app.screen.state.run_id == 1 and not pilot.app.screen.state.running)
    await settle(pilot)


async def test_the_chart_draws_train_and_val_loss_over_the_epochs_run_with_the_best_epoch(app_for):
    app = app_for("--epochs", "7", "--patience", "50")
    async with app.run_test(size=SIZE) as pilot:
        assert "no values yet" in text_of(app, "#train-chart")
        await finish_a_run(pilot)
        lines = text_of(app, "#train-chart").splitlines()
        state = app.screen.state
        assert "⣿ train loss" in lines[-1] and "⣿ val loss" in lines[-1]
        assert f"best epoch {state.best_epoch}" in lines[-1] and "log10" not in lines[-1]
        assert lines[-2].split()[-1] == "7" and "epoch└1" in lines[-2]  # the epochs run: no budget of 300
        ticks = [float(line.split("┤")[0]) for line in lines if "┤" in line]
        values = state.train_losses + state.val_losses
        assert abs(ticks[0] - max(values)) < 0.01 * max(values) and abs(ticks[-1] - min(values)) < 0.01 * max(values)


async def test_l_puts_the_chart_on_a_log_scale_and_back(app_for):
    app = app_for("--epochs", "3")
    async with app.run_test(size=SIZE) as pilot:
        await finish_a_run(pilot)
        app.screen.query_one("#log").focus()  # not an input: there `l` is a letter
        await pilot.press("l")
        assert "log10 y axis" in text_of(app, "#train-chart").splitlines()[-1]
        await pilot.press("l")
        assert "log10" not in text_of(app, "#train-chart")


async def test_typing_l_or_a_into_a_field_edits_it_and_leaves_the_chart_alone(app_for):
    app = app_for("--epochs", "3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        field = app.screen.query_one("#max_grad_norm", Input)
        field.focus()
        field.value = ""
        await pilot.press("a", "l")
        assert field.value == "al" and not app.screen.chart_log and not app.screen.chart_accuracy


async def test_a_shows_validation_accuracy_for_classification_and_is_hidden_for_regression(app_for):
    app = app_for("--preset", "mnist_cnn", "--epochs", "2")
    async with app.run_test(size=SIZE) as pilot:
        await finish_a_run(pilot)
        assert "a" in app.screen.active_bindings
        app.screen.query_one("#log").focus()
        await pilot.press("a")
        chart = text_of(app, "#train-chart")
        assert "⣿ val accuracy" in chart and "train loss" not in chart
        ticks = [float(line.split("┤")[0]) for line in chart.splitlines() if "┤" in line]
        assert all(0 <= tick <= 1 for tick in ticks)
    regression = app_for()
    async with regression.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "a" not in regression.screen.active_bindings and "l" in regression.screen.active_bindings


async def test_the_palette_offers_the_chart_toggles(app_for):
    app = app_for("--preset", "mnist_cnn")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Chart: log scale" in titles and "Chart: accuracy" in titles and "Quit" in titles
        next(c for c in app.get_system_commands(app.screen) if c.title == "Chart: log scale").callback()
        assert app.screen.chart_log
