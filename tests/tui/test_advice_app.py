"""The verdict and next step in the app: in the log at the end of a run, and on demand (v, the palette); a verdict
to train longer names the key that continues the run."""
from __future__ import annotations

from textual.widgets import Input, Log

from tests.tui.conftest import settle, train_to_the_end, wait_until

SIZE = (120, 40)


def log_text(app) -> str:
    return "\n".join(app.screen.query_one(Log).entries)  # NOTE: the lines as written, not as wrapped


async def test_the_log_ends_a_run_with_its_verdict_v_asks_again_and_to_train_longer_its_key_continues(app_for):
    app = app_for("--epochs", "4")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#live").focus()
        await pilot.press("v")  # before any run: nothing to judge
        await pilot.pause()
        assert "verdict" not in log_text(app)
        await train_to_the_end(pilot)
        await settle(pilot)
        ended = app.screen.runs.last[1]
        assert ended.advice.kind == "still_improving"  # lr 1e-4, 4 epochs
        # the verdict to train longer names the key that continues the run
        offer = f"verdict: {ended.advice.verdict} → train longer: F8 continues this run for the form's Epochs more " \
                "epochs"
        assert offer in log_text(app).splitlines()
        await pilot.press("v")
        await pilot.pause()
        assert log_text(app).splitlines().count(offer) == 2
        app.screen.side.form.query_one("#epochs", Input).value = "2"
        await pilot.press("f8")
        await wait_until(pilot, lambda: app.screen.state.run_id == 2 and not app.screen.state.running)
        await settle(pilot)
        assert app.screen.runs.last[1].run_dir == ended.run_dir
        rows = (ended.run_dir / "history.csv").read_text().splitlines()[1:]
        assert [row.split(",")[0] for row in rows] == ["1", "2", "3", "4", "5", "6"]


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

