"""The Runs tab driven by Pilot: earlier runs loaded from --out, sorting, marks, settings diff, sweep groups."""
from __future__ import annotations

from rich.text import Text

from tests.tui.conftest import settle
from tests.tui.test_app import plain
from tests.tui.runs_fixtures import write_runs
from tui.widgets import RunsTable
from tui.widgets.runs import COLUMN_KEYS, RunsView, differing_settings

SIZE = (160, 45)


def names(table: RunsTable) -> list:
    return [run.name for run in table.ordered()]


def column(table: RunsTable, key: str) -> list:
    index = 1 + COLUMN_KEYS.index(key)
    return [str(table.get_row_at(i)[index]) for i in range(table.row_count)]


async def open_runs(app, pilot) -> RunsTable:
    await settle(pilot)
    await pilot.press("f3")  # from the Train tab's focused preset picker
    await pilot.pause()
    table = app.screen.query_one(RunsTable)
    assert app.screen.query_one("#tabs").active == "runs" and app.focused is table
    return table


async def test_earlier_runs_are_loaded_with_settings_and_the_damaged_one_is_unreadable(app_for, tmp_path):
    write_runs(tmp_path / "runs")
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_runs(app, pilot)
        assert table.row_count == 6 + 1  # six runs and the study's header row
        rows = {str(table.get_row_at(i)[1]): table.get_row_at(i) for i in range(table.row_count)}
        first = rows["tabular_mlp-20260102-090000"]
        assert str(first[1 + COLUMN_KEYS.index("date")]) == "2026-01-02 09:00" and "0.01" in map(str, first) and "0.41" in map(str, first)
        broken = rows["tabular_mlp-20260104-090000"]
        assert str(broken[1 + COLUMN_KEYS.index("end")]).startswith("unreadable: metrics.json: not valid JSON")


async def test_sorting_by_a_column_by_header_click_and_by_key_keeps_study_trials_together(app_for, tmp_path):
    write_runs(tmp_path / "runs")
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_runs(app, pilot)
        table.sort_by("best_val_loss")
        order = names(table)
        assert order[:3] == ["tabular_mlp-20260102-090000", "tabular_mlp-20260101-090000",
                             "tabular_mlp-20260104-090000"]  # single runs, the unreadable one (no value) last
        assert order[3:] == ["tabular_mlp-20260103-090002", "tabular_mlp-20260103-090000",
                             "tabular_mlp-20260103-090001"]  # the study's trials together, best first
        table.sort_by("best_val_loss")  # again: reversed, missing values still last
        assert names(table)[:3] == ["tabular_mlp-20260101-090000", "tabular_mlp-20260102-090000",
                                    "tabular_mlp-20260104-090000"]
        table.cursor_coordinate = table.cursor_coordinate._replace(column=1 + COLUMN_KEYS.index("lr"))
        await pilot.press("s")
        assert table.sort_key == "lr" and not table.reverse
        assert names(table)[3:] == ["tabular_mlp-20260103-090002", "tabular_mlp-20260103-090000",
                                    "tabular_mlp-20260103-090001"]
        assert "lr ▲" in [str(c.label) for c in table.columns.values()]
        table.post_message(RunsTable.HeaderSelected(table, table._column_key("seed"), 0,
                                                    Text("seed")))
        await pilot.pause()
        assert table.sort_key == "seed"


async def test_the_study_header_row_counts_trials_pruned_and_best_and_trials_show_params(app_for, tmp_path):
    write_runs(tmp_path / "runs")
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_runs(app, pilot)
        runs = column(table, "run")
        header = next(r for r in runs if r.startswith("▾"))
        assert header == "▾ study lr-search · 3 trials · 1 pruned · best 0.45"
        trials, params = column(table, "trial"), column(table, "params")
        pruned = runs.index("tabular_mlp-20260103-090001")
        assert trials[pruned] == "1 · pruned" and params[pruned] == "lr=0.02"
        assert column(table, "end")[pruned] == "pruned"


async def test_marking_runs_shows_only_the_settings_that_differ_and_overlays_their_curves(app_for, tmp_path):
    write_runs(tmp_path / "runs")
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_runs(app, pilot)
        table.sort_by("date", reverse=False)
        shown = []
        view = app.screen.query_one(RunsView)
        chart = app.screen.query_one("#runs-chart")
        real = chart.show
        chart.show = lambda series, **kw: (shown.append((series, kw)), real(series, **kw))
        table.cursor_coordinate = table.cursor_coordinate._replace(row=0)
        await pilot.press("space", "down", "space")
        await pilot.pause()
        marked = [table.runs[k] for k in table.marked]
        assert [r.name for r in marked] == ["tabular_mlp-20260101-090000", "tabular_mlp-20260102-090000"]
        assert column(table, "run")[:2] == [r.name for r in marked] and [str(table.get_row_at(i)[0]) for i in (0, 1)] == ["●"] * 2
        assert differing_settings(marked) == ["lr", "seed"]
        diff = view.query_one("#runs-diff")
        text = plain(diff)
        assert "lr" in text and "seed" in text and "optimizer" not in text and "dropout" not in text
        series = shown[-1][0]
        assert [s.name for s in series] == [r.name for r in marked]
        assert list(series[1].values) == [0.8, 0.5, 0.41]
        assert "tabular_mlp-20260102-090000" in plain(chart) and "⣿" in plain(chart)
        await pilot.press("space")  # unmark the second
        await pilot.pause()
        assert len(table.marked) == 1 and "Mark two or more" in plain(diff)


async def test_an_unreadable_row_cannot_be_marked(app_for, tmp_path):
    write_runs(tmp_path / "runs")
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_runs(app, pilot)
        row = column(table, "run").index("tabular_mlp-20260104-090000")
        table.cursor_coordinate = table.cursor_coordinate._replace(row=row)
        await pilot.press("space")
        assert table.marked == []


async def test_f2_f3_f4_switch_tabs_from_anywhere(app_for, tmp_path):
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await open_runs(app, pilot)
        tabs = app.screen.query_one("#tabs")
        await pilot.press("f4")
        assert tabs.active == "predictions"
        await pilot.press("f2")
        assert tabs.active == "train" and app.focused.id == "preset"
