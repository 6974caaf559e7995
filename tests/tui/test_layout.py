"""Layout by Textual's breakpoints: narrow and tall classes follow the screen size, no on_resize code."""
from __future__ import annotations

import pytest
from textual.widgets import Static

from tests.tui.conftest import settle


@pytest.mark.parametrize("size, classes, absent", [
    ((120, 40), {"-wide", "-tall"}, {"-narrow", "-short"}),
    ((80, 24), {"-narrow", "-short"}, {"-wide", "-tall"}),
    ((200, 50), {"-widest", "-tall"}, {"-narrow", "-wide", "-short"}),
])
async def test_breakpoint_classes_follow_the_terminal_size(app_for, size, classes, absent):
    app = app_for()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert classes <= app.screen.classes and not absent & app.screen.classes
        label = app.screen.query_one(".field Label")
        assert label.outer_size.width == 11  # $label-width in app.tcss
        side = app.screen.query_one("#side")
        assert side.outer_size.width == (34 if size[0] < 100 else 41)


async def test_the_side_column_is_as_wide_whether_or_not_it_scrolls(app_for):
    """A column that fits exactly must not flip to a scrolled layout one row taller (the first screen once
    depended on what ran before it in the process)."""
    app = app_for("--preset", "tabular_mlp")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        side, description = app.screen.query_one("#side"), app.screen.query_one("#description")
        fitted = description.size
        assert side.virtual_size.height <= side.size.height
        side.mount(Static("\n" * 40, id="overflow"))
        await pilot.pause()
        assert side.virtual_size.height > side.size.height and description.size == fitted


async def test_resizing_moves_between_breakpoints(app_for):
    app = app_for()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.resize_terminal(90, 30)
        await pilot.pause()
        assert {"-narrow", "-short"} <= app.screen.classes


async def test_the_widest_screens_give_the_log_a_column_and_the_chart_the_height(app_for):
    app = app_for()
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        chart, log, table = (app.screen.query_one(s).region for s in ("#train-chart", "#log", "#metrics"))
        assert log.x >= chart.right and log.height > 40 and chart.height > 25
        assert table.right <= log.x and table.width >= 60
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        chart, log = (app.screen.query_one(s).region for s in ("#train-chart", "#log"))
        assert log.y >= chart.bottom and log.width == chart.width  # under the chart again
