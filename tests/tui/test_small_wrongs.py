"""Small wrongs of issue 13, each pinned: the app shows what a run does (dropout field, stop epoch,
preset picker, download failures, preset descriptions)."""
from __future__ import annotations

import sys
from pathlib import Path

from textual.widgets import Input, Static

from tests.tui.conftest import settle, wait_until

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

SIZE = (120, 40)


def run_config(app) -> dict:
    return tomllib.loads((Path(app.screen.state.run_dir) / "config.toml").read_text())


async def finish(pilot) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.screen.state.run_id >= 1 and not app.screen.state.running)
    await settle(pilot)


# --- the Dropout field means what it shows ---------------------------------------------------------

async def test_a_cleared_dropout_field_says_off_and_the_run_has_no_dropout(app_for):
    app = app_for("--epochs", "1")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        field = app.screen.query_one("#dropout", Input)
        assert field.value == "0.3"
        field.value = ""
        await pilot.pause()
        assert field.placeholder == "0 (off)" and field.is_valid
        await pilot.press("f5")
        await finish(pilot)
        config = run_config(app)
        assert config["training"]["dropout"] == 0
        assert [layer["p"] for layer in config["model"] if layer["type"] == "Dropout"] == [0, 0]


async def test_dropout_on_a_preset_without_dropout_layers_is_refused_in_the_form(app_for):
    app = app_for("--preset", "mnist_cnn")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        field = app.screen.query_one("#dropout", Input)
        assert field.value == "" and field.placeholder == "none"
        field.value = "0.2"
        await pilot.pause()
        assert not field.is_valid
        await pilot.press("f5")
        await pilot.pause()
        assert app.screen.state.run_id == 0
        assert "no Dropout layer" in str(app.screen.query_one("#form-error", Static).render())
