"""Hot edits in the app follow presets.settings: the lock note and the open fields are the optimizer's hot
settings, and an edit out of range is refused as a preset's value would be, so config.toml always replays."""
from __future__ import annotations

from textual.widgets import Input, Select, Static

from presets import load_preset
from presets.settings import lock_note
from tests.tui.conftest import settle, wait_until


async def _paused_after_first_batch(pilot) -> None:
    await settle(pilot)
    await pilot.press("f10")
    await wait_until(pilot, lambda: pilot.app.screen.state.paused)


async def test_the_lock_note_and_the_open_fields_are_the_optimizers_hot_edits(app_for):
    app = app_for("--preset", "tabular_mlp", "--optimizer", "sgd", "--momentum", "0.5", "--epochs", "2")
    async with app.run_test(size=(120, 40)) as pilot:
        await _paused_after_first_batch(pilot)
        note = app.screen.query_one("#form-lock", Static)
        assert note.display and str(note.render()) == lock_note("sgd")
        assert "momentum" in lock_note("sgd") and "betas" not in lock_note("sgd")
        fields = app.screen.query_one("#form").query("Input, Select")
        assert {field.id for field in fields if not field.disabled} == {"lr", "momentum", "max_grad_norm"}
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.screen.state.running)
        await settle(pilot)
        assert not app.screen.query_one("#form-lock", Static).display
        assert not app.screen.query_one("#optimizer", Select).disabled


async def test_a_momentum_edit_out_of_range_is_refused_and_the_run_replays(app_for):
    app = app_for("--preset", "tabular_mlp", "--optimizer", "sgd", "--momentum", "0.5", "--epochs", "1")
    async with app.run_test(size=(120, 40)) as pilot:
        await _paused_after_first_batch(pilot)
        momentum = app.screen.query_one("#momentum", Input)
        momentum.value = "1.5"
        momentum.focus()
        await pilot.press("enter")
        messages = [n.message for n in app._notifications]
        assert any("momentum must be a number >= 0 and < 1" in message for message in messages)
        momentum.value = "0.8"
        await pilot.press("enter")
        await pilot.press("f5")
        await wait_until(pilot, lambda: not app.screen.state.running)
        await settle(pilot)
        state = app.screen.state
        assert [(c.name, c.new) for c in state.history.changes] == [("momentum", 0.8)]
        run_dir = app.screen.runs.last[0].out_dir
        config = next(run_dir.glob("*/config.toml"))
        assert [(c.name, c.value) for c in load_preset(str(config)).changes] == [("momentum", 0.8)]
