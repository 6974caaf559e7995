"""The Train tab driven by Pilot: the loss/accuracy chart, the labelled metrics table, timing, the form lock."""
from __future__ import annotations

import pytest
from textual.widgets import Input

from npnn.events import EpochEnded, Finished
from tests.tui.conftest import settle, train_to_the_end, wait_until
from tests.tui.test_app import text_of
from tui.state import RunState, clock
from tui.widgets.tables import metric_rows, metrics_text
from tui.widgets.train_live import TrainLive

SIZE = (120, 40)


async def finish_a_run(pilot) -> None:
    await settle(pilot)
    await train_to_the_end(pilot)


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
        # round ticks inside the shared range of both series
        assert len(ticks) >= 2 and all(min(values) <= t <= max(values) for t in ticks)


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
        live = app.screen.query_one(TrainLive)
        assert field.value == "al" and not live.log_scale and not live.accuracy


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
        assert app.screen.query_one(TrainLive).log_scale


def test_metric_rows_say_what_they_measure_for_each_task():
    labels = [row.label for row in metric_rows("classification", "cross_entropy", None)]
    assert labels == ["accuracy", "loss (cross-entropy)", "MSE (probabilities)", "MAE (probabilities)"]
    labels = [row.label for row in metric_rows("regression", "mse", (50.0,))]
    assert labels == ["loss (MSE)", "MAE (standardised)", "MAE (target units)", "RMSE (target units)"]
    assert [row.label for row in metric_rows("regression", "l1", None)] == ["loss (MAE)", "MSE"]
    # several target columns, each with its own std: no single unit to report in
    assert [row.label for row in metric_rows("regression", "mse", (1.0, 9.0))] == ["loss (MSE)", "MAE (standardised)"]


def test_errors_in_target_units_are_the_standardised_ones_times_the_target_std():
    rows = {row.label: row for row in metric_rows("regression", "mse", (50.0,))}
    assert rows["MAE (target units)"].value({"mae": 0.5}) == 25.0
    assert rows["RMSE (target units)"].value({"mse": 0.25}) == 25.0
    assert rows["MAE (target units)"].value({}) is None


def test_metrics_text_keeps_every_row_and_shortens_labels_then_headers_to_fit():
    rows = metric_rows("regression", "mse", (50.0,))
    metrics = {"before": {"loss": 1.086, "mse": 1.086, "mae": 0.9}, "current": {"loss": 0.57, "mse": 0.57, "mae": 0.6},
               "best": {}, "after": {"loss": 0.44, "mse": 0.44, "mae": 0.53}}
    for width, header in ((100, "val before"), (70, "val before"), (45, "before")):
        lines = metrics_text(rows, metrics, 83, width).plain.splitlines()
        assert all(len(line) <= width for line in lines) and len(lines) == len(rows) + (2 if width == 45 else 1)
        assert header in lines[-len(rows) - 1] and ("val epoch 83" in lines[0] or "epoch 83" in lines[1])
    wide = metrics_text(rows, metrics, 83, 100).plain.splitlines()
    assert wide[0].split("  ")[-1].strip() == "test (best weights)" and wide[-2].startswith("MAE (target units)")
    assert wide[-2].split()[-4:] == ["45", "30", "—", "26.5"]  # before, epoch 83, best (none yet), test
    narrow = metrics_text(rows, metrics, 83, 45).plain.splitlines()
    assert narrow[0].split() == ["val", "val", "val", "test"] and narrow[-1].startswith("RMSE (units)")


def test_metrics_text_drops_to_three_digits_where_two_line_headers_do_not_fit():
    """The wine preset's table at 80x24 (45 columns for the table) was cropped in its test column."""
    rows = metric_rows("classification", "cross_entropy", None)
    metrics = {"before": {"accuracy": 0.069, "loss": 1.197, "mse": 0.2439, "mae": 0.464},
               "current": {"accuracy": 1.0, "loss": 0.01651, "mse": 0.001383, "mae": 0.01023},
               "best": {"accuracy": 1.0, "loss": 0.01544, "mse": 0.001166, "mae": 0.009647},
               "after": {"accuracy": 1.0, "loss": 0.003212, "mse": 0.0001454, "mae": 0.002041}}
    lines = metrics_text(rows, metrics, 30, 45).plain.splitlines()
    assert all(len(line) <= 45 for line in lines)
    assert lines[2].split() == ["accuracy", "7%", "100%", "100%", "100%"]
    assert lines[-1].split()[-4:] == ["0.464", "0.0102", "0.00965", "0.00204"]
    assert metrics_text(rows, metrics, 30, 60).plain.splitlines()[-1].split()[-1] == "0.002041"


async def test_the_table_shows_loss_and_target_units_before_and_after_a_run(app_for):
    app = app_for("--epochs", "3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = text_of(app, "#metrics")
        assert "val before" in before and "test (best weights)" in before and "RMSE (target units)" in before
        await finish_a_run(pilot)
        table = text_of(app, "#metrics").splitlines()
        state = app.screen.state
        assert "val epoch 3" in table[0]
        loss = table[1].split()
        assert loss[:2] == ["loss", "(MSE)"] and all(cell != "—" for cell in loss[2:])
        assert float(loss[-1]) == pytest.approx(state.metrics["after"]["loss"], rel=1e-3)
        units = next(line for line in table if line.startswith("MAE (target units)")).split()
        scaled = next(line for line in table if line.startswith("MAE (standardised)")).split()
        assert float(units[-1]) == pytest.approx(float(scaled[-1]) * state.target_std[0], rel=1e-2)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
async def test_every_table_row_and_status_line_fits_the_screen(app_for, size):
    app = app_for("--preset", "mnist_cnn", "--epochs", "1")
    async with app.run_test(size=size) as pilot:
        await finish_a_run(pilot)
        table = app.screen.query_one("#metrics")
        assert table.region.height == 2 + 4 or table.region.height == 1 + 4  # header lines + four rows
        lines = text_of(app, "#metrics").splitlines()
        assert all(len(line) <= table.content_size.width for line in lines) and lines[-1].startswith("MAE (prob")
        live = app.screen.query_one("#live").region
        short = size[1] < 34  # NOTE: short screens leave out the timing line to give the chart 8 rows
        assert app.screen.query_one("#timing").display == (not short)
        for selector in ("#status", "#train-chart", "#progress-row", "#metrics", "#info", "#log") + ("#timing",) * (not short):
            region = app.screen.query_one(selector).region
            assert region.height > 0 and live.contains_region(region), selector


def test_timing_shows_epoch_time_eta_and_samples_per_second_and_only_dashes_when_steady():
    state = RunState(running=True, epochs=10, train_samples=200)
    assert state.timing() == "— ms/epoch · ETA — · — samples/s"
    for seconds in (0.4, 0.6):
        state.apply(EpochEnded(len(state.train_losses) + 1, 10, 1.0, 1.0, seconds=seconds))
    assert state.timing() == "600 ms/epoch · ETA 0:04 · 333 samples/s"  # 8 epochs left at the mean 0.5 s
    state.apply(Finished("early_stopped", None))
    assert state.timing() == "600 ms/epoch · took 0:01 · 333 samples/s"
    state.steady = True
    assert state.timing() == "— ms/epoch · ETA — · — samples/s"
    assert [clock(59.6), clock(61), clock(3725)] == ["1:00", "1:01", "1:02:05"]


async def test_a_steady_run_shows_fixed_timing_text(app_for):
    app = app_for("--epochs", "2")
    async with app.run_test(size=SIZE) as pilot:
        await finish_a_run(pilot)
        assert text_of(app, "#timing") == "— ms/epoch · ETA — · — samples/s"
        assert app.screen.state.seconds_total > 0


async def test_a_long_failure_wraps_in_the_status_line_at_80x24(app_for):
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.state.fail("/data/" + "a-folder-with-a-rather-long-name/" * 3 + "houses.csv: no column 'price'")
        app.screen.refresh_views()
        await pilot.pause()
        status = app.screen.query_one("#status")
        text = app.screen.state.status
        assert len(text) > 2 * status.content_size.width
        assert status.region.height >= -(-len(text) // status.content_size.width)  # every line of it shows
        assert "'price'" in text_of(app, "#status") and app.screen.query_one("#train-chart").region.y >= status.region.bottom
        app.screen.state.status = "Ready"
        app.screen.state.version += 1
        app.screen.refresh_views()
        await pilot.pause()
        assert status.region.height == 1  # back onto one line


async def test_the_form_is_locked_but_for_its_hot_edits_while_a_run_trains_and_unlocked_when_it_ends(app_for):
    app = app_for("--epochs", "5000", "--patience", "5000")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.query_one("#form-lock").display
        not_taken = {field.id for field in app.screen.query_one("#form").query("Input, Select") if field.disabled}
        assert "momentum" in not_taken and "betas" not in not_taken  # Adam takes betas, not momentum
        app.screen.query_one("#epochs", Input).focus()
        await pilot.press("f5")
        await wait_until(pilot, lambda: len(app.screen.state.train_losses) >= 1)
        fields = list(app.screen.query_one("#form").query("Input, Select"))
        locked = [field.id for field in fields if field.disabled]
        assert sorted(set(f.id for f in fields) - set(locked)) == ["betas", "lr", "max_grad_norm"]
        note = app.screen.query_one("#form-lock")
        assert note.display and note.region.height >= 1 and "Locked while training" in text_of(app, "#form-lock")
        epochs = app.screen.query_one("#epochs", Input)
        assert epochs.parent.has_class("-locked") and not app.screen.query_one("#lr").parent.has_class("-locked")
        epochs.focus()
        before = epochs.value
        await pilot.press("9")
        assert epochs.value == before  # an edit the run would never use is not taken
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.screen.state.running)
        await settle(pilot)
        assert {field.id for field in fields if field.disabled} == not_taken and not note.display


async def test_switching_to_a_classification_preset_brings_the_accuracy_key_into_the_footer(app_for):
    app = app_for()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        keys = lambda: [key.key for key in app.screen.query("FooterKey")]  # noqa: E731
        assert "a" not in keys()
        app.screen.query_one("#preset").value = "mnist_cnn"
        await settle(pilot)
        assert "a" in keys() and "l" in keys()


async def test_a_hot_edit_mid_run_is_marked_on_the_train_chart(app_for):
    app = app_for("--epochs", "3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: app.screen.state.paused)
        lr = app.screen.query_one("#lr", Input)
        assert not lr.disabled and app.screen.query_one("#epochs").disabled  # open for hot edits, the rest locked
        lr.value = "0.02"
        lr.focus()
        await pilot.press("enter", "f5")
        await wait_until(pilot, lambda: not app.screen.state.running)
        await settle(pilot)
        chart = text_of(app, "#train-chart").splitlines()
        assert "1 hyperparameter change" in chart[-1]  # (its ╎ at epoch 1 sits under the curves' first dots)
