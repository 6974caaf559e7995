"""The verdict and next step in the app: in the log at the end of a run, and on demand (v, the palette)."""
from __future__ import annotations

from textual.widgets import Log

from tests.tui.conftest import settle, train_to_the_end, wait_until

SIZE = (120, 40)


def log_text(app) -> str:
    return "\n".join(app.screen.query_one(Log).entries)  # NOTE: the lines as written, not as wrapped


async def test_the_log_ends_a_run_with_its_verdict_and_v_asks_for_it_again(app_for):
    app = app_for("--epochs", "4")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#live").focus()
        await pilot.press("v")  # before any run: nothing to judge
        await pilot.pause()
        assert "verdict" not in log_text(app)
        await train_to_the_end(pilot)
        await settle(pilot)
        advice = app.screen.runs.last[1].advice
        assert f"verdict: {advice.verdict} → {advice.next_step}" in log_text(app)
        assert advice.kind != "too_early"
        await pilot.press("v")
        await pilot.pause()
        assert log_text(app).count(f"verdict: {advice.line()}") == 2


async def test_v_while_a_step_mode_run_waits_gives_the_verdict_so_far(app_for):
    app = app_for("--epochs", "4")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#live").focus()
        await pilot.press("f10")
        await wait_until(pilot, lambda: app.screen.state.paused)
        await pilot.press("v")
        await pilot.pause()
        assert "verdict so far: 0 epochs so far → train a few more epochs before judging" in log_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.screen.state.running)


async def test_the_palette_has_the_verdict_command(app_for):
    from tui.palette import trainer_commands
    app = app_for("--epochs", "1")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = {command.title for command in trainer_commands(app.screen)}
        assert "Verdict and next step" in titles
