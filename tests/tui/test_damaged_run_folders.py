"""The app starts, and lists every folder, whatever run folders sit in --out (the Runs tab reads them on start)."""
from __future__ import annotations

import json

import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.presets.test_loaders_fuzz import CONFIG, METRICS, SWEEP, _good_files, _read_folder, mutated, values
from tests.presets.test_past_runs import damaged_runs
from tests.tui.runs_fixtures import write_run
from tests.tui.test_runs_tab import SIZE, column, open_runs
from tui.widgets.runs import COLUMN_KEYS, COLUMNS, _cell, _params, _sort_value, settings_diff


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


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.data())
def test_every_runs_table_cell_of_a_fuzzed_run_folder_can_be_shown_and_sorted(data):
    """Whatever a run folder holds, the Runs tab can write and sort each of its cells (the app's start)."""
    files = _good_files()
    name = data.draw(st.sampled_from(["metrics.json", "config.toml", "sweep.json"]), label="file")
    if name == "config.toml":
        files[name] = tomli_w.dumps(mutated(CONFIG, data, values())).encode()
    else:
        files[name] = json.dumps(mutated(METRICS if name == "metrics.json" else SWEEP, data,
                                         st.one_of(st.none(), values()))).encode()
    run = _read_folder(files)
    for column in COLUMNS:
        assert isinstance(_cell(column, run), str)
        _sort_value(column.value(run))
    settings_diff([run, run])
    _params(run)
