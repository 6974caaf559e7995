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
