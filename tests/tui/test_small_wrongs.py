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


# --- Esc counts the epochs recorded --------------------------------------------------------------

def _state_after(*events):
    from tui.state import RunState
    state = RunState(running=True)
    for event in events:
        state.apply(event)
    return state


def _epochs(n, batches=9):
    from npnn.events import EpochEnded, EpochStarted
    for epoch in range(1, n + 1):
        yield EpochStarted(epoch, 500, batches)
        yield EpochEnded(epoch, 500, 0.5, 0.6)


def test_esc_at_the_start_of_an_epoch_says_the_epochs_recorded():
    from npnn.events import EpochStarted, Finished
    state = _state_after(*_epochs(441), EpochStarted(442, 500, 9), Finished("stopped", None))
    assert state.log[-1] == "stopped by you after 441 epochs: best weights kept"
    assert (state.epoch, state.batch, state.batches, len(state.train_losses)) == (441, 9, 9, 441)


def test_esc_inside_an_epoch_says_that_epoch_is_not_recorded():
    from npnn.events import BatchEnded, EpochStarted, Finished
    state = _state_after(*_epochs(1), EpochStarted(2, 500, 9), BatchEnded(2, 500, 3, 9, 0.4),
                         Finished("stopped", None))
    assert state.log[-1] == ("stopped by you after 1 epoch; epoch 2 stopped at batch 3/9, not recorded: "
                             "best weights kept")
    assert state.epoch == len(state.train_losses) == 1


async def test_esc_on_a_run_paused_in_its_first_epoch_agrees_with_progress_and_runs(app_for):
    from tui.widgets import RunsTable
    app = app_for("--epochs", "5")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f10")  # a run paused after its first batch
        await wait_until(pilot, lambda: app.screen.state.paused)
        await pilot.press("escape")
        await finish(pilot)
        log = "\n".join(app.screen.query_one("Log").entries)
        assert "stopped by you after 0 epochs; epoch 1 stopped at batch 1/" in log
        assert str(app.screen.query_one("#progress-text", Static).render()).startswith("0/5")
        (run,) = app.screen.query_one(RunsTable).runs.values()
        assert run.epochs_run == 0 and run.reason == "stopped"


# --- a preset file is listed by its file name ----------------------------------------------------

async def test_a_runs_config_toml_is_listed_by_its_file_not_as_a_second_tabular_mlp(app_for, tmp_path):
    from textual.widgets import Select
    from textual.widgets._select import SelectOverlay
    from presets import Run, load_preset
    result = Run(load_preset("tabular_mlp", {"epochs": 1}), out_dir=tmp_path / "old").execute()
    config = result.run_dir / "config.toml"
    app = app_for("--preset", str(config))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        label = f"config.toml ({result.run_dir.name})"
        select = app.screen.query_one("#preset", Select)
        assert select.value == str(config)
        assert str(select.query_one("#label", Static).render()) == label
        select.focus()
        await pilot.press("enter")
        await pilot.pause()
        prompts = [str(option.prompt) for option in app.screen.query_one(SelectOverlay).options]
        assert prompts == ["Addition transformer", "Character language model", "MNIST CNN", "Tabular MLP",
                           "Wine MLP", label]


def test_a_preset_file_in_the_working_directory_is_listed_by_its_name_alone():
    from tui.app import preset_choices
    assert preset_choices("my_preset.toml")[-1] == ("my_preset.toml", "my_preset.toml")
    assert preset_choices("tabular_mlp") == [("Addition transformer", "addition_transformer"),
                                            ("Character language model", "char_lm"), ("MNIST CNN", "mnist_cnn"),
                                            ("Tabular MLP", "tabular_mlp"), ("Wine MLP", "wine_mlp")]


# --- a download without network is shown as such, without advising --download ---------------------

async def test_a_failed_download_shows_in_the_data_note_without_advising_download(app_for, tmp_path,
                                                                                  monkeypatch):
    from urllib.error import URLError

    def no_network(*args, **kwargs):
        raise URLError("[Errno 101] Network is unreachable")
    home = tmp_path / "sklearn_home"
    home.mkdir()
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(home))
    monkeypatch.setattr("sklearn.datasets.fetch_openml", no_network)
    app = app_for("--preset", "mnist_cnn", "--download")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        note = str(app.screen.query_one("#data-source", Static).render())
        assert "could not download MNIST from OpenML" in note and "Network is unreachable" in note
        assert "--download" not in note
        await pilot.press("f5")
        await pilot.pause()
        assert app.screen.state.run_id == 0  # refused before training: the preview already failed
        refusal = str(app.screen.query_one("#form-error", Static).render())
        assert refusal.startswith("Can't start: no data for mnist_cnn: could not download MNIST")


# --- descriptions that stay true ------------------------------------------------------------------

def test_builtin_descriptions_claim_nothing_a_flag_or_the_data_can_change():
    import re
    from presets import list_presets
    from presets.catalog import OPTIMIZERS
    names = {word for entry in OPTIMIZERS.values() for word in (entry.name, entry.label.lower())}
    for info in list_presets():
        words = set(re.findall(r"[a-z]+", info.description.lower()))
        assert not words & names, f"{info.name}: the optimizer can be changed"
        assert not re.search(r"\d", info.description), f"{info.name}: a count the data can change"


async def test_the_shown_description_stays_true_with_another_optimizer_and_the_digits_fallback(app_for, tmp_path,
                                                                                               monkeypatch):
    from textual.widgets import Select
    home = tmp_path / "sklearn_home"
    home.mkdir()
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(home))  # no MNIST: the 8x8 digits are used
    app = app_for("--preset", "mnist_cnn", "--optimizer", "sgd")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#optimizer", Select).value == "sgd"
        assert "digits 8x8" in str(app.screen.query_one("#data-source", Static).render())
        shown = str(app.screen.query_one("#description", Static).render())
        assert shown.startswith("Digit classification") and "Adam" not in shown and "MNIST images" not in shown
