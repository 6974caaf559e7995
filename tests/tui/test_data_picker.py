"""ctrl+o: pick a CSV and its target column in the app; data that does not fit a preset is refused before F5."""
from __future__ import annotations

import numpy as np
from textual.widgets import Select, Static

from tests.tui.conftest import settle, wait_until
from tui.screens.data_picker import DataChoice, DataPicker, csv_columns


def _houses(path):
    rng = np.random.default_rng(0)
    rows = ["rooms,area,age,price"]
    for _ in range(120):
        rooms, area, age = rng.integers(1, 6), rng.uniform(40, 200), rng.uniform(0, 80)
        rows.append(f"{rooms},{area:.1f},{age:.1f},{1000 * area + 5000 * rooms - 300 * age:.0f}")
    path.write_text("\n".join(rows) + "\n")
    return path


def _data_note(app) -> str:
    return str(app.screen.query_one("#data-source", Static).render())


def test_csv_columns_reads_the_header_and_tolerates_bad_files(tmp_path):
    assert csv_columns(_houses(tmp_path / "h.csv")) == ["rooms", "area", "age", "price"]
    assert csv_columns(tmp_path / "missing.csv") == []


async def test_ctrl_o_picks_a_csv_and_its_target_then_the_preview_uses_it(app_for, tmp_path):
    csv_path = _houses(tmp_path / "houses.csv")
    app = app_for()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, DataPicker)
        picker._choose(csv_path)
        await pilot.pause()
        target = picker.query_one("#picker-target", Select)
        assert target.display and target.value == "price"
        target.value = "area"
        picker.action_use()
        await pilot.pause()
        trainer = app.screen
        assert trainer.side.data == DataChoice(str(csv_path), "area")
        await wait_until(pilot, lambda: "houses.csv" in _data_note(app))
        assert "not available" not in _data_note(app)


async def test_a_csv_that_does_not_fit_the_image_preset_is_reported_before_f5(app_for, tmp_path):
    csv_path = _houses(tmp_path / "houses.csv")
    app = app_for("--preset", "mnist_cnn", "--data", str(csv_path), "--target", "price")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "not available" in _data_note(app) and "ctrl+o picks other data" in _data_note(app)
        await pilot.press("f5")
        await pilot.pause()
        assert not app.screen.state.running
        assert "Can't start: no data for mnist_cnn" in str(app.screen.query_one("#form-error").render())
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.action_built_in()
        await pilot.pause()
        await wait_until(pilot, lambda: "digits" in _data_note(app))
        assert app.screen.side.data_error is None


def test_the_picker_and_the_loader_read_a_header_alike(tmp_path):
    """One header reader: `a, b, price` is a, b, price for the picker as for training (was ' price')."""
    from presets.table.read import read_table
    path = tmp_path / "spaced.csv"
    path.write_text("a, b, price\n1, 2, 3\n4, 5, 6\n")
    assert csv_columns(path) == read_table(path).names == ["a", "b", "price"]
    semicolons = tmp_path / "semi.txt"
    semicolons.write_text("a;b;price\n1;2;3\n")
    assert csv_columns(semicolons) == ["a", "b", "price"]


def _mixed(path):
    rng = np.random.default_rng(1)
    rows = ["id\tcolour\tsize\tconstant\tlabel\tprice"]
    for i in range(80):
        size = "NA" if i % 9 == 0 else f"{rng.uniform(1, 9):.2f}"
        rows.append(f"n{i}\t{['red', 'blue'][i % 2]}\t{size}\t7\t{i % 3}\t{rng.uniform(10, 99):.1f}")
    path.write_text("\n".join(rows) + "\n")
    return path


async def test_the_picker_lists_each_column_with_its_kind_and_returns_the_toggled_ones(app_for, tmp_path):
    from textual.widgets import SelectionList
    path = _mixed(tmp_path / "shop.tsv")
    app = app_for()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        picker = app.screen
        picker._choose(path)
        await pilot.pause()
        target = picker.query_one("#picker-target", Select)
        assert target.value == "label"  # a column called label, not the last one
        note = str(picker.query_one("#picker-note", Static).render())
        assert "target 'label' (a column called label)" in note and "tab-delimited" in note
        columns = picker.query_one("#picker-columns", SelectionList)
        labels = {columns.get_option_at_index(i).value: str(columns.get_option_at_index(i).prompt)
                  for i in range(columns.option_count)}
        assert labels["colour"] == "colour — text, 2 categories"
        assert labels["size"] == "size — number, 9 gaps"
        assert labels["id"].startswith("id — left out: 80 distinct text values")
        assert labels["constant"].startswith("constant — left out: the same value (7)")
        assert "label" not in labels and set(columns.selected) == {"colour", "size", "price"}
        target.value = "price"
        await pilot.pause()
        assert "target 'price' (chosen)" in str(picker.query_one("#picker-note", Static).render())
        columns.deselect("colour")
        await pilot.pause()
        picker.action_use()
        await pilot.pause()
        assert app.screen.side.data == DataChoice(str(path), "price", ("size", "label"))
        await wait_until(pilot, lambda: "shop.tsv" in _data_note(app))
        note = _data_note(app)
        assert "size: number" in note and "left out by data.columns / data.drop: id, colour, constant" in note
