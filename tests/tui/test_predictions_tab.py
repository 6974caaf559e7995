"""The Predictions tab (F4) driven by Pilot: it names its run and follows the latest run of either kind."""
from __future__ import annotations

from textual.widgets import Input, Select

from tests.tui.conftest import settle, wait_until
from tests.tui.test_app import text_of
from tui.app import make_app
from tui.options import parse_options
from tui.widgets.predictions import EMPTY

SIZE = (120, 40)


async def train(app, pilot, run_id: int) -> None:
    await pilot.press("f5")
    await wait_until(pilot, lambda: app.screen.state.run_id == run_id and not app.screen.state.running)
    await settle(pilot)


def shown(app) -> str:
    """Which views of the tab are visible: "classification", "regression" or "none"."""
    screen = app.screen
    if screen.query_one("#predictions-row").display:
        return "classification"
    return "regression" if screen.query_one("#residuals").display else "none"


async def test_the_tab_names_the_run_directory_it_shows(tmp_path):
    app = make_app(parse_options(["--out", str(tmp_path / "runs"), "--epochs", "2"]), export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(app, "#predictions-title") == EMPTY and shown(app) == "none"
        await train(app, pilot, 1)
        (run_dir,) = (tmp_path / "runs").iterdir()
        assert text_of(app, "#predictions-title") == f"{run_dir.name} · test split, best weights"


async def test_steady_screens_hide_the_time_in_the_run_name(app_for):
    app = app_for("--epochs", "2")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await train(app, pilot, 1)
        assert text_of(app, "#predictions-title").startswith("tabular_mlp-YYYYMMDD-HHMMSS · test split")


async def test_a_run_of_the_other_kind_replaces_what_the_tab_shows(app_for):
    app = app_for("--epochs", "2")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await train(app, pilot, 1)
        assert shown(app) == "regression" and "residuals" in text_of(app, "#residuals")
        app.screen.query_one("#preset", Select).value = "mnist_cnn"
        await settle(pilot)
        app.screen.query_one("#epochs", Input).value = "1"
        await train(app, pilot, 2)
        assert shown(app) == "classification"
        assert text_of(app, "#predictions-title").startswith("mnist_cnn-")
        app.screen.query_one("#preset", Select).value = "tabular_mlp"
        await settle(pilot)
        app.screen.query_one("#epochs", Input).value = "1"
        await train(app, pilot, 3)
        assert shown(app) == "regression" and text_of(app, "#predictions-title").startswith("tabular_mlp-")
