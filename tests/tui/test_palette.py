"""The command palette (ctrl+p) offers the app's own commands, and each does what its key does."""
from __future__ import annotations

from tests.tui.conftest import settle, wait_until
from tui.palette import trainer_commands


async def test_the_palette_lists_start_stop_save_export_data_tabs_and_presets(app_for):
    app = app_for()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Start run", "Step one batch", "Stop run", "Save model", "Export history", "Open data…",
                      "Show Train tab", "Show Runs tab", "Show Predictions tab", "Show Inside tab",
                      "Switch preset: Tabular MLP", "Switch preset: MNIST CNN"):
            assert title in titles
        assert "Quit" in titles and "Theme" in " ".join(titles)  # Textual's own stay


async def test_palette_commands_act_like_their_keys(app_for):
    app = app_for("--epochs", "2")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        commands = {c.title: c.callback for c in trainer_commands(app.screen)}
        commands["Show Runs tab"]()
        await pilot.pause()
        assert app.screen.query_one("#tabs").active == "runs"
        commands["Switch preset: MNIST CNN"]()
        await settle(pilot)
        assert app.screen.runs.name == "mnist_cnn"
        commands["Start run"]()
        await wait_until(pilot, lambda: app.screen.state.run_id == 1 and not app.screen.state.running)
        await settle(pilot)
        assert app.screen.state.reason == "completed"


async def test_ctrl_p_opens_a_palette_that_finds_start_run(app_for):
    from textual.command import CommandPalette
    app = app_for()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"start run")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "TrainerScreen"
                         and app.screen.state.run_id == 1)
        await pilot.press("escape")
