"""The Runs tab reads at a glance: whole curves on one scale, results first, hot edits shown, losses not mixed."""
from __future__ import annotations

import math

from tests.tui.runs_fixtures import write_run
from tests.tui.test_runs_tab import column, open_runs
from tui.widgets.chart import SPARK_BLOCKS
from tui.widgets.runs import COLUMN_KEYS, SPARK_WIDTH, curve_scale, curve_text, resample

FALLING = [1.02 - 0.45 * (1 - math.exp(-i / 6)) for i in range(40)]  # 1.02 down to about 0.57 over 40 epochs


def test_a_long_run_is_resampled_to_the_width_as_means_of_equal_stretches():
    assert resample([1, 2, 3], 5) == [1, 2, 3]
    assert resample([1, 3, 5, 7], 2) == [2, 6]
    assert math.isnan(resample([math.nan, math.nan, 1.0, 1.0], 2)[0])


def test_the_curve_cell_is_the_whole_run_on_the_shared_scale():
    scale = curve_scale([FALLING, [0.5, 0.45, 0.41]])
    text = curve_text(FALLING, SPARK_WIDTH, scale)
    assert len(text) == SPARK_WIDTH
    levels = [SPARK_BLOCKS.index(c) for c in text]
    assert levels == sorted(levels, reverse=True) and levels[0] == len(SPARK_BLOCKS) - 1  # falls from the top
    low_run = curve_text([0.5, 0.45, 0.41], SPARK_WIDTH, scale)
    assert set(low_run) <= set(SPARK_BLOCKS[:2])  # on the shared scale a low run stays low
    assert curve_text([0.5, 0.45, 0.41], SPARK_WIDTH, curve_scale([[0.5, 0.45, 0.41]])) == "█▄▁"  # its own scale
    assert curve_scale([[1.0, 100.0]]).log and curve_text([1.0, math.inf], 4, scale)[1] == " "


async def test_rows_share_one_scale_that_the_header_names_and_results_are_visible_at_120_columns(app_for, tmp_path):
    out = tmp_path / "runs"
    write_run(out, "tabular_mlp-20260101-090000", val=tuple(FALLING), reason="early_stopped")
    write_run(out, "tabular_mlp-20260102-090000", val=(0.5, 0.45, 0.41))
    app = app_for()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_runs(app, pilot)
        curves = dict(zip(column(table, "run"), column(table, "curve")))
        assert len(curves["tabular_mlp-20260101-090000"]) == SPARK_WIDTH
        assert curves["tabular_mlp-20260101-090000"][0] == "█" and set(curves["tabular_mlp-20260102-090000"]) <= set(SPARK_BLOCKS[:2])
        labels = {key.value: str(col.label) for key, col in table.columns.items()}
        assert labels["curve"] == "val loss 0.41…1.02"
        # the results' columns end inside the 120 columns, with no horizontal scrolling
        shown = 0
        for key, col in table.columns.items():
            shown += col.get_render_width(table)
            if key.value == "curve":
                break
        assert shown <= table.size.width
        assert COLUMN_KEYS.index("end") < COLUMN_KEYS.index("date") and COLUMN_KEYS.index("test_mse") < 5


async def test_the_lr_column_shows_a_runs_hot_edits(app_for, tmp_path):
    out = tmp_path / "runs"
    write_run(out, "tabular_mlp-20260101-090000", lr=0.02, changes=[(3, 1, "lr", 0.002), (5, 2, "lr", 0.0005)])
    write_run(out, "tabular_mlp-20260102-090000", lr=0.01)
    app = app_for()
    async with app.run_test(size=(160, 40)) as pilot:
        table = await open_runs(app, pilot)
        lrs = dict(zip(column(table, "run"), column(table, "lr")))
        assert lrs == {"tabular_mlp-20260101-090000": "0.02→0.002→0.0005", "tabular_mlp-20260102-090000": "0.01"}


async def test_runs_of_another_loss_are_left_out_of_the_overlay_with_a_word(app_for, tmp_path):
    out = tmp_path / "runs"
    write_run(out, "tabular_mlp-20260101-090000", val=(0.9, 0.7))
    write_run(out, "tabular_mlp-20260102-090000", val=(0.8, 0.5))
    write_run(out, "wine_mlp-20260103-090000", task="classification", loss="cross_entropy", val=(1.1, 0.3))
    app = app_for()
    async with app.run_test(size=(160, 45)) as pilot:
        table = await open_runs(app, pilot)
        table.sort_by("date", reverse=False)
        chart = app.screen.query_one("#runs-chart")
        shown = []
        real = chart.show
        chart.show = lambda series, **kw: (shown.append((series, kw)), real(series, **kw))
        table.cursor_coordinate = table.cursor_coordinate._replace(row=0)
        await pilot.press("space", "down", "space", "down", "space")
        await pilot.pause()
        series, options = shown[-1]
        assert [s.name for s in series] == ["tabular_mlp-20260101-090000", "tabular_mlp-20260102-090000"]
        assert "1 left out" in options["title"] and "cross-entropy is another loss" in options["title"]
        assert "(MSE)" in options["title"]
