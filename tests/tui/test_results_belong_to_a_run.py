"""The Train tab after a run: results cleared when the preset or data changes, a log that wraps, a footer that
fits, chart keys on their tab, toasts off the log, a chart of 8 rows at 80x24 and one percent format."""
from __future__ import annotations

import numpy as np
from textual.widgets import Log
from textual.widgets._toast import ToastRack

from presets import events as run_events
from tests.tui.conftest import settle, train_to_the_end
from tests.tui.test_app import plain, text_of
from tui.app import TrainerApp
from tui.screens.data_picker import DataChoice
from tui.state import RunState, percent
from tui.widgets.confusion import ConfusionMatrix
from tui.widgets.tables import metric_rows, metrics_text
from tui.widgets.train_live import TrainLive

SMALL = (80, 24)


async def test_switching_preset_or_data_clears_the_last_runs_status_metrics_lr_and_log(app_for, tmp_path):
    app = app_for("--preset", "wine_mlp", "--epochs", "2")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await train_to_the_end(pilot)
        assert text_of(app, "#status") == "Finished" and "lr 1.00e-02" in text_of(app, "#info")
        assert "saved to" in "\n".join(app.screen.query_one(Log).entries)
        app.screen.query_one("#preset").value = "tabular_mlp"
        await settle(pilot)
        assert text_of(app, "#status") == "Ready" and text_of(app, "#info").startswith("lr —")
        assert list(app.screen.query_one(Log).entries) == [] and app.screen.query_one(Log).lines == []
        assert "%" not in text_of(app, "#metrics") and "no values yet" in text_of(app, "#train-chart")
        # a new run, then other data: cleared again
        app.screen.query_one("#epochs").value = "2"
        await train_to_the_end(pilot, run_id=2)
        assert text_of(app, "#status") == "Finished"
        app.screen._use_data(DataChoice(str(tmp_path / "other.csv"), "quality"))  # the data picker's choice
        await settle(pilot)
        assert text_of(app, "#status") == "Ready" and list(app.screen.query_one(Log).entries) == []


async def test_long_log_lines_wrap_at_80x24_and_the_test_accuracy_is_shown(app_for):
    app = app_for("--preset", "wine_mlp", "--epochs", "2")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await train_to_the_end(pilot)
        log = app.screen.query_one(Log)
        width = log.content_size.width
        assert all(len(line) <= width for line in log.lines)
        shown = " ".join(line.strip() for line in log.lines)
        after = next(e for e in log.entries if e.startswith("after training (best weights), test:"))
        assert after in shown and after.rstrip().endswith("%")  # wrapped, not cut: its accuracy is there
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        assert " ".join(line.strip() for line in log.lines).count(after) == 1  # rewrapped at the new width


async def test_the_footer_fits_80_columns_on_every_tab_with_start_and_stop(app_for):
    app = app_for("--preset", "wine_mlp")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for tab in ("f2", "f3", "f4", "f6"):
            await pilot.press(tab)
            await pilot.pause()
            keys = list(app.screen.query("FooterKey"))
            palette = next(k for k in keys if k.has_class("-command-palette"))
            shown = [k for k in keys if k is not palette]
            assert {"f5", "escape"} <= {k.key for k in shown}
            assert all(k.region.right <= palette.region.x for k in shown), tab  # nothing runs under ^p palette
        assert "F3" in str(app.screen.query_one("#tabs").get_tab("runs").label)  # the tab keys are in the tabs


async def test_chart_keys_act_on_the_train_tab_only(app_for):
    app = app_for("--preset", "wine_mlp")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        live = app.screen.query_one(TrainLive)
        await pilot.press("f4", "a", "l")
        assert not live.accuracy and not live.log_scale
        assert "a" not in [k.key for k in app.screen.query("FooterKey")]
        await pilot.press("f2")
        app.screen.query_one("#log").focus()
        await pilot.press("a", "l")
        assert live.accuracy and live.log_scale


async def test_toasts_are_short_and_sit_at_the_top_not_over_the_log(app_for):
    app = app_for("--preset", "wine_mlp")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        rack = ToastRack()  # NOTE: run_test disables notifications, so the screen has none of its own
        await app.screen.mount(rack)
        await pilot.pause()
        assert rack.styles.dock == "top" and rack.styles.align_vertical == "top"
        assert TrainerApp.NOTIFICATION_TIMEOUT <= 3


async def test_the_chart_has_8_plot_rows_at_80x24_and_everything_fits(app_for):
    app = app_for("--preset", "wine_mlp", "--epochs", "2")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await train_to_the_end(pilot)
        chart = app.screen.query_one("#train-chart").region
        assert chart.height >= 10  # 8 rows of plot, the epoch axis and the legend
        live = app.screen.query_one("#live").region
        for selector in ("#status", "#train-chart", "#progress-row", "#metrics", "#info", "#log"):
            region = app.screen.query_one(selector).region
            assert region.height and live.y <= region.y and region.bottom <= live.bottom, selector
        assert text_of(app, "#metrics").count("\n") == 5  # two header lines and four rows, none wrapped


def test_accuracy_is_one_percent_format_in_the_table_log_and_confusion_title():
    assert percent(0.06897) == "6.9%" and percent(1) == "100.0%" and percent(0.9314) == "93.1%"
    assert percent(None) == "—"
    rows = metric_rows("classification", "cross_entropy", None)
    metrics = {"before": {"accuracy": 0.06897}, "current": {"accuracy": 1.0}, "best": {}, "after": {}}
    text = metrics_text(rows, metrics, 3, 120).plain
    assert "6.9%" in text and "100.0%" in text and "0.06897" not in text
    state = RunState()
    state.apply(run_events.Evaluated(stage="after", split="test", metrics={"loss": 0.1, "accuracy": 0.9314}))
    assert state.log[-1].endswith("Accuracy 93.1%")
    matrix = ConfusionMatrix()
    matrix.show(np.array([[5, 0], [1, 4]]), ["a", "b"])
    assert "accuracy 90.0% of 10" in plain(matrix)
