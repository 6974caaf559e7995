"""The trainer app driven by Pilot: real presets.Run on the built-in data, run directories in tmp_path."""
from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from textual.widgets import Input, Log, Select, Static

import presets
from tests.tui.conftest import settle, wait_until
from tui.widgets import ModelSummary, RunsTable
from tui.widgets.runs import COLUMN_KEYS

SIZE = (120, 40)


def plain(widget: Static) -> str:
    """The text a Static shows, also when it holds a Rich renderable (a table)."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def text_of(app, selector: str) -> str:
    return plain(app.screen.query_one(selector, Static)).strip()


def log_text(app) -> str:
    return "\n".join(app.screen.query_one(Log).entries)


async def test_short_tabular_run_finishes_with_metrics_and_a_run_directory(app_for, tmp_path):
    app = app_for("--epochs", "3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await wait_until(pilot, lambda: not app.screen.state.running and app.screen.state.run_id == 1)
        await settle(pilot)
        state = app.screen.state
        assert text_of(app, "#status") == "Finished"
        assert len(state.train_losses) == len(state.val_losses) == 3
        assert set(state.metrics["after"]) >= {"mse", "mae"}
        assert "finished 3 epochs" in log_text(app)
        assert "3/3" in text_of(app, "#progress-text")
        assert app.screen.query_one(RunsTable).row_count == 1
        assert [p.name for p in (tmp_path / "runs").iterdir()] == [state.run_dir.split("/")[-1]]

        await pilot.press("ctrl+e", "ctrl+s")
        await pilot.pause()
        history = next(tmp_path.glob("*-history.csv")).read_text().splitlines()
        assert len(history) == 1 + 3 and "train_loss" in history[0]
        assert len(list(tmp_path.glob("*-model.npz"))) == 1


async def test_escape_stops_a_run_between_batches_and_keeps_its_history(app_for):
    app = app_for("--epochs", "5000", "--patience", "5000")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await wait_until(pilot, lambda: len(app.screen.state.train_losses) >= 2)
        await pilot.press("escape")
        # NOTE: no wall-clock bound (it failed on a busy machine); stopping is shown by the reason and
        # by the run ending far inside its 5,000-epoch budget (asserted below)
        await wait_until(pilot, lambda: app.screen.state.reason == "stopped")
        await wait_until(pilot, lambda: not app.screen.state.running)
        await settle(pilot)
        state = app.screen.state
        assert text_of(app, "#status") == "Stopped"
        assert len(state.train_losses) >= 2 and state.epoch < 5000
        assert "best weights kept" in log_text(app)
        table = app.screen.query_one(RunsTable)
        assert table.row_count == 1 and "stopped" in map(str, table.get_row_at(0))


async def test_invalid_lr_is_marked_explained_and_start_is_refused(app_for):
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lr = app.screen.query_one("#lr", Input)
        lr.focus()
        lr.value = ""
        await pilot.press(*"[abc")
        await pilot.pause()
        assert lr.has_class("-invalid")
        assert "lr must be" in text_of(app, "#form-error") and "[abc" in text_of(app, "#form-error")
        await pilot.press("f5")
        await pilot.pause()
        assert app.screen.state.run_id == 0 and not app.screen.state.running
        assert text_of(app, "#form-error").startswith("Can't start: lr must be")
        assert any("lr must be" in str(n.message) for n in app._notifications)


async def test_a_second_run_is_added_to_the_runs_table_beside_the_first(app_for):
    app = app_for("--epochs", "2")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.screen.state.run_id == 1 and not app.screen.state.running)
        app.screen.query_one("#optimizer", Select).value = "sgd"
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.screen.state.run_id == 2 and not app.screen.state.running)
        await settle(pilot)
        table = app.screen.query_one(RunsTable)
        assert table.row_count == 2
        first, second = table.get_row_at(0), table.get_row_at(1)
        optimizer = 1 + COLUMN_KEYS.index("optimizer")
        assert str(first[optimizer]) == "adam" and str(second[optimizer]) == "sgd"
        assert str(first[1]) != str(second[1])  # each run has its own directory


async def test_switching_preset_updates_description_data_and_model_summary(app_for):
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        summary = app.screen.query_one(ModelSummary)
        assert "Linear(10" in plain(summary) and "Conv2d" not in plain(summary)
        app.screen.query_one("#preset", Select).value = "mnist_cnn"
        await settle(pilot)
        assert "Conv2d" in plain(summary)
        assert "digits" in text_of(app, "#data-source").lower()
        assert "MNIST" in text_of(app, "#description") or "digit" in text_of(app, "#description").lower()


async def test_the_wine_preset_is_picked_trained_and_its_matrix_names_the_classes(app_for):
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#preset", Select).value = "wine_mlp"  # NOTE: Select refuses a value not offered
        await settle(pilot)
        app.screen.query_one("#epochs", Input).value = "5"
        assert "wine (178 rows" in text_of(app, "#data-source")
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.screen.state.run_id == 1 and not app.screen.state.running)
        await settle(pilot)
        assert "accuracy" in app.screen.state.metrics["after"]
        matrix = text_of(app, "#confusion")
        assert "of 36" in matrix and matrix.count("class_1") == 2  # a column and a row


async def test_the_form_offers_the_optimizers_arguments_and_a_step_schedule_reaches_the_run(app_for, tmp_path):
    app = app_for("--preset", "wine_mlp", "--epochs", "4", "--patience", "50")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        def field(key: str) -> Input:
            return app.screen.query_one(f"#{key}", Input)
        assert field("nesterov").disabled and not field("betas").disabled and field("betas").placeholder == "0.9, 0.999"
        app.screen.query_one("#optimizer", Select).value = "sgd"
        await pilot.pause()
        assert field("betas").disabled and not field("nesterov").disabled and not field("momentum").disabled
        field("nesterov").value = "true"
        await pilot.pause()
        assert "nesterov requires momentum > 0" in text_of(app, "#form-error")
        field("momentum").value = "0.9"
        field("weight_decay").value = "1e-4"
        app.screen.query_one("#lr_schedule", Select).value = "step"
        await pilot.pause()
        assert "needs training.lr_schedule_options.step_size" in text_of(app, "#form-error")
        assert field("lr_schedule_options").placeholder == "step_size=?, gamma=0.1"
        field("lr_schedule_options").value = "step_size=2, gamma=0.5"
        await pilot.pause()
        assert text_of(app, "#form-error") == ""
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.screen.state.run_id == 1 and not app.screen.state.running)
        await settle(pilot)
        (run_dir,) = (tmp_path / "runs").iterdir()
        lrs = [line.split(",")[3] for line in (run_dir / "history.csv").read_text().splitlines()[1:]]
        assert lrs == ["0.01", "0.01", "0.005", "0.005"]
        config = (run_dir / "config.toml").read_text()
        assert 'lr_schedule = "step"' in config and "nesterov = true" in config and "weight_decay = 0.0001" in config


async def test_huge_lr_shows_skipped_steps_and_does_not_crash(app_for):
    app = app_for("--optimizer", "sgd", "--lr", "1e6", "--clip-norm", "off", "--epochs", "3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.screen.state.run_id == 1 and not app.screen.state.running)
        await settle(pilot)
        state = app.screen.state
        assert state.skipped_steps > 0
        assert f"skipped steps {state.skipped_steps}" in text_of(app, "#info")
        assert "non-finite steps skipped" in log_text(app)
        assert not text_of(app, "#status").startswith("Failed")


async def test_a_preset_file_from_the_command_line_is_offered_selected_and_summarised(app_for, tmp_path):
    text = (Path(presets.__file__).parent / "tabular_mlp.toml").read_text()
    path = tmp_path / "my_mlp.toml"
    path.write_text(text.replace('name = "tabular_mlp"', 'name = "my_mlp"').replace('"Tabular MLP"', '"My MLP"'))
    app = app_for("--preset", str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select = app.screen.query_one("#preset", Select)
        assert select.value == str(path) and app.sub_title.startswith("My MLP · diabetes")
        assert "Linear(10" in plain(app.screen.query_one(ModelSummary))


async def test_data_that_cannot_load_is_reported_and_start_refused_before_training(app_for, tmp_path):
    missing = tmp_path / "missing.csv"
    app = app_for("--data", str(missing), "--target", "y")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "not available" in text_of(app, "#data-source") and "missing.csv" in text_of(app, "#data-source")
        await pilot.press("f5")
        await pilot.pause()
        assert app.screen.state.run_id == 0 and not app.screen.state.running
        refusal = text_of(app, "#form-error")
        assert refusal.startswith("Can't start: no data for tabular_mlp") and "missing.csv" in refusal
        assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


async def test_ctrl_s_and_ctrl_e_before_any_run_say_there_is_nothing_to_save(app_for, tmp_path):
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s", "ctrl+e")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert messages == ["Nothing to save yet: train a run first (F5)"] * 2
        assert not list(tmp_path.glob("*.npz")) and not list(tmp_path.glob("*.csv"))
