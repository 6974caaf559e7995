"""The app starts, and lists every folder, whatever run folders sit in --out (the Runs tab reads them on start)."""
from __future__ import annotations

from tests.presets.test_past_runs import damaged_runs
from tests.tui.runs_fixtures import write_run
from tests.tui.test_runs_tab import SIZE, column, open_runs
from tui.widgets.runs import COLUMN_KEYS


async def test_the_app_starts_with_huge_numbers_and_deep_nesting_in_run_folders(app_for, tmp_path):
    out = damaged_runs(tmp_path / "runs")
    write_run(out, "tabular_mlp-20260102-090000")
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        table = await open_runs(app, pilot)
        assert table.row_count == 13
        ends = column(table, "end")
        assert sum(end.startswith("unreadable: ") for end in ends) == 11
        assert any("integer of 401 digits" in end for end in ends) and any("32 levels" in end for end in ends)
        for key in COLUMN_KEYS:  # sorting compares every value a damaged folder gave
            table.sort_by(key)
        assert app.is_running
