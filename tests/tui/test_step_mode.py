"""Step mode (F10) and hot edits in the app: exactly one batch per key, F5 continues, Enter in lr changes it."""
from __future__ import annotations

from textual.widgets import Input

from tests.tui.conftest import settle, wait_until


async def _paused_after_first_batch(pilot) -> None:
    """F10 from Ready: wait until the run has trained its first batch and paused."""
    await settle(pilot)
    await pilot.press("f10")
    await wait_until(pilot, lambda: pilot.app.screen.state.paused)


async def _until_the_run_ends(pilot) -> None:
    await wait_until(pilot, lambda: not pilot.app.screen.state.running)
    await settle(pilot)


async def test_f10_from_ready_trains_one_batch_per_key_then_f5_finishes(app_for):
    app = app_for("--preset", "tabular_mlp", "--epochs", "2")
    async with app.run_test(size=(120, 40)) as pilot:
        await _paused_after_first_batch(pilot)
        state = app.screen.state
        assert (state.epoch, state.batch) == (1, 1)
        assert state.status == f"Paused after batch 1/{state.batches} of epoch 1 · F10 step · F5 continue"
        for expected in (2, 3):
            await pilot.press("f10")
            await wait_until(pilot, lambda: app.screen.state.batch == expected)
            await pilot.pause(0.2)
            assert app.screen.state.batch == expected and app.screen.state.paused  # no batch beyond the step
        assert "batch 3/" in str(app.screen.query_one("#progress-text").render())
        await pilot.press("f5")
        await _until_the_run_ends(pilot)
        assert app.screen.state.reason == "completed" and len(app.screen.state.train_losses) == 2


async def test_esc_stops_a_paused_run(app_for):
    app = app_for("--preset", "tabular_mlp", "--epochs", "3")
    async with app.run_test(size=(120, 40)) as pilot:
        await _paused_after_first_batch(pilot)
        await pilot.press("escape")
        await _until_the_run_ends(pilot)
        assert app.screen.state.reason == "stopped"


async def test_a_hot_lr_edit_is_logged_marked_and_in_the_history(app_for):
    app = app_for("--preset", "tabular_mlp", "--epochs", "3")
    async with app.run_test(size=(120, 40)) as pilot:
        await _paused_after_first_batch(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: app.screen.state.batch == 2)
        lr = app.screen.query_one("#lr", Input)
        lr.value = "0.02"
        lr.focus()
        await pilot.press("enter")
        await pilot.press("f5")
        await _until_the_run_ends(pilot)
        state = app.screen.state
        assert "epoch 1, batch 3: lr 0.0001 → 0.02" in state.log
        assert state.history.lr[1:] == [0.02, 0.02] and len(state.marks) == 1
        assert [(c.epoch, c.batch, c.new) for c in state.history.changes] == [(1, 3, 0.02)]


async def test_f8_continues_the_ended_run_for_the_forms_epochs_in_its_own_directory(app_for, tmp_path):
    app = app_for("--preset", "tabular_mlp", "--epochs", "2")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f8")  # nothing ended yet: refused, nothing starts
        await settle(pilot)
        assert not app.screen.runs.running and "nothing to continue" in str(app.screen.side.query_one("#form-error").render())
        await pilot.press("f5")
        await _until_the_run_ends(pilot)
        run_dir = app.screen.runs.last[1].run_dir
        app.screen.side.form.query_one("#epochs", Input).value = "3"
        await pilot.press("f8")
        await wait_until(pilot, lambda: app.screen.runs.run_id == 2)
        await _until_the_run_ends(pilot)
        assert app.screen.state.reason == "completed" and app.screen.runs.last[1].run_dir == run_dir
        rows = (run_dir / "history.csv").read_text().splitlines()[1:]
        assert [row.split(",")[0] for row in rows] == ["1", "2", "3", "4", "5"]


async def test_f_on_the_runs_tab_loads_a_run_into_the_form_and_f5_trains_its_fork(app_for, tmp_path):
    app = app_for("--preset", "tabular_mlp", "--epochs", "2")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await _until_the_run_ends(pilot)
        parent = app.screen.runs.last[1].run_dir
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f")  # the cursor is on the only run
        await wait_until(pilot, lambda: app.screen.runs.fork_from == parent)
        form = app.screen.side.form
        assert form.query_one("#epochs", Input).value == "2"  # the parent's settings, in the form
        form.query_one("#epochs", Input).value = "4"
        form.query_one("#lr", Input).value = "0.0005"
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.screen.runs.run_id == 2)
        await _until_the_run_ends(pilot)
        fork = app.screen.runs.last[1].run_dir
        assert fork != parent and app.screen.state.reason == "completed"
        assert (fork / "config.toml").read_text().startswith(f"# forked from run {parent} at epoch 2\n")
        rows = (fork / "history.csv").read_text().splitlines()[1:]
        assert [row.split(",")[0] for row in rows] == ["1", "2", "3", "4"]
        assert rows[:2] == (parent / "history.csv").read_text().splitlines()[1:]
        assert [float(row.split(",")[3]) for row in rows[2:]] == [0.0005, 0.0005]
