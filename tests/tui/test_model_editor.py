"""The model editor (ctrl+l) driven by the keyboard: shapes and parameter counts follow each edit, invalid models
are refused with the schema's message, applied models train and replay from config.toml, saved presets are listed."""
from __future__ import annotations

import sys

from textual.command import CommandPalette
from textual.coordinate import Coordinate
from textual.widgets import Input, OptionList, Select

from presets import load_preset
from tests.tui.conftest import settle, train_to_the_end, wait_until
from tests.tui.test_app import SIZE, plain, text_of
from tui.cli import main
from tui.model_edit import LayerList, check, describe
from tui.screens.model_editor import COLUMNS, LayerTable, ModelEditor, OptionInput
from tui.widgets import ModelSummary

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def linear(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


async def open_editor(pilot) -> ModelEditor:
    await pilot.press("ctrl+l")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ModelEditor))
    await pilot.pause()
    return pilot.app.screen


async def type_in(pilot, text: str) -> None:
    """Replace the focused field's text, key by key."""
    await pilot.press("end", "ctrl+u", *text)
    await pilot.pause()


def cell(editor: ModelEditor, row: int, column: str) -> str:
    return str(editor.query_one(LayerTable).get_cell_at(Coordinate(row, COLUMNS.index(column))))


def types(editor: ModelEditor) -> list[str]:
    return [layer.spec["type"] for layer in editor.model.layers]


def first_command(app) -> str:
    """The palette's first match (empty while it searches)."""
    if not isinstance(app.screen, CommandPalette):
        return ""
    results = app.screen.query_one(OptionList)
    return str(results.get_option_at_index(0).prompt) if results.option_count else ""


def summary(app) -> str:
    return plain(app.screen.query_one(ModelSummary))


async def test_resize_add_move_and_remove_update_shapes_and_the_parameter_count(app_for):
    app = app_for()  # tabular_mlp: 10 features in, 1 output
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        assert editor.checked.num_parameters == linear(10, 128) + linear(128, 256) + linear(256, 1)
        await pilot.press("tab")  # to model[0]'s first field, out_features
        assert isinstance(app.focused, OptionInput) and app.focused.option.name == "out_features"
        await type_in(pilot, "64")
        assert isinstance(app.focused, OptionInput)  # typing keeps the field (the table is redrawn in place)
        assert cell(editor, 0, "output") == "64" and cell(editor, 3, "params") == f"{linear(64, 256):,}"
        assert editor.checked.num_parameters == linear(10, 64) + linear(64, 256) + linear(256, 1)
        assert f"{editor.checked.num_parameters:,} parameters" in text_of(app, "#editor-status")

        await pilot.press("shift+tab", "down", "down", "x")  # remove model[2], a Dropout
        await pilot.pause()
        assert types(editor) == ["Linear", "ReLU", "Linear", "ReLU", "Dropout", "Linear"]
        await pilot.press("up", "a")  # add after model[1]: the picker lists the registry, Linear first
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert types(editor)[2] == "Linear" and editor.query_one(LayerTable).cursor_row == 2
        assert cell(editor, 2, "output") == "64" and cell(editor, 3, "params") == f"{linear(64, 256):,}"
        assert editor.checked.num_parameters == linear(10, 64) + linear(64, 64) + linear(64, 256) + linear(256, 1)

        await pilot.press("shift+down")  # the new Linear now follows the wide one: 256 → 64, then 64 → 1
        await pilot.pause()
        assert editor.query_one(LayerTable).cursor_row == 3 and cell(editor, 3, "output") == "64"
        assert editor.checked.num_parameters == linear(10, 64) + linear(64, 256) + linear(256, 64) + linear(64, 1)


async def test_an_invalid_combination_is_marked_with_the_schema_message_and_apply_is_refused(app_for):
    app = app_for("--preset", "mnist_cnn")  # the built-in 8x8 digits: 1x8x8 images, 10 classes
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        await pilot.press("tab", "tab")  # model[0] Conv2d: out_channels, then kernel_size
        assert app.focused.option.name == "kernel_size"
        await type_in(pilot, "11")
        error = editor.checked.error
        assert error.startswith("model[0] (Conv2d): ") and "smaller than the kernel 11x11" in error
        assert cell(editor, 0, "") == "✗" and cell(editor, 0, "output") == "—"
        assert text_of(app, "#editor-status") == f"✗ {error}"
        assert app.focused.has_class("-invalid") is False  # 11 is an integer; the model, not the field, is wrong

        await pilot.press("ctrl+a")
        await pilot.pause()
        assert app.screen is editor
        assert any(n.title == "Model not applied" and n.message == error for n in app._notifications)

        await type_in(pilot, "3x")
        assert editor.checked.error == "model[0].kernel_size must be an integer >= 1, got '3x'"
        assert app.focused.has_class("-invalid")

        await type_in(pilot, "5")  # 8x8 padded to 10x10: 6x6, pooled to 3x3, then 1x1 after the second pair
        assert editor.checked.error is None and cell(editor, 0, "output") == "8×6×6"
        await pilot.press("ctrl+a")
        await pilot.pause()
        trainer = app.screen
        assert not isinstance(trainer, ModelEditor) and trainer.runs.layers[0]["kernel_size"] == 5
        await wait_until(pilot, lambda: "k=5" in summary(app))


async def test_an_applied_model_trains_on_f5_and_replays_from_its_config_toml(app_for, tmp_path, capsys):
    app = app_for("--epochs", "2")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        await pilot.press("b")  # BatchNorm on after model[0], the first Linear
        await pilot.press("tab")
        await type_in(pilot, "32")
        await pilot.press("shift+tab", "down", "down", "down", "tab")  # model[3]: a Dropout, its p
        assert app.focused.option.name == "p"
        await type_in(pilot, "0.1")  # one rate: every Dropout layer takes it
        assert types(editor) == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
        assert [layer.spec["p"] for layer in editor.model.layers if layer.spec["type"] == "Dropout"] == [0.1, 0.1]
        parameters = editor.checked.num_parameters
        assert parameters == linear(10, 32) + 2 * 32 + linear(32, 256) + linear(256, 1)
        await pilot.press("ctrl+a")
        await wait_until(pilot, lambda: "BatchNorm1d" in summary(app))
        assert app.screen.query_one("#dropout", Input).value == "0.1"

        await train_to_the_end(pilot)
        assert f"{parameters:,}" in summary(app)
        run_dir = app.screen.state.run_dir
    config_path = f"{run_dir}/config.toml"
    with open(config_path, "rb") as handle:
        config = tomllib.load(handle)
    assert [layer["type"] for layer in config["model"]] == types(editor)
    assert config["model"][0]["out_features"] == 32 and config["model"][1]["num_features"] == 32
    assert config["training"]["dropout"] == 0.1

    capsys.readouterr()
    assert main(["--headless", "--preset", config_path, "--out", str(tmp_path / "replay")]) == 0
    replayed = next((tmp_path / "replay").iterdir()) / "config.toml"
    with open(replayed, "rb") as handle:
        assert tomllib.load(handle)["model"] == config["model"]


async def test_save_as_preset_writes_the_file_and_the_picker_lists_it_next_time(app_for, tmp_path):
    folder = tmp_path / "mine"
    app = app_for("--presets-dir", str(folder))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        await pilot.press("tab")
        await type_in(pilot, "64")
        editor.query_one("#editor-name", Input).focus()
        await type_in(pilot, "tabular_mlp")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert any(n.title == "Preset not saved" and "built-in preset's name" in n.message
                   for n in app._notifications)
        await type_in(pilot, "narrow_mlp")
        await pilot.press("ctrl+s")
        await pilot.pause()
        path = folder / "narrow_mlp.toml"
        assert path.is_file() and load_preset(path).model[0]["out_features"] == 64
        assert app.screen is editor  # saving does not close the editor

    again = app_for("--presets-dir", str(folder))
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        trainer = again.screen
        assert ("narrow_mlp.toml", str(path)) in trainer.preset_choices
        trainer.query_one("#preset", Select).value = str(path)
        await wait_until(pilot, lambda: "Linear(10→64)" in summary(again))
        editor = await open_editor(pilot)  # a preset of the folder may be saved again under its own name
        assert editor.query_one("#editor-name", Input).value == "narrow_mlp"
        await pilot.press("tab")
        await type_in(pilot, "48")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert load_preset(path).model[0]["out_features"] == 48 and load_preset(path).title == "narrow_mlp"


async def test_a_preset_whose_model_does_not_fit_its_data_can_be_fixed_in_the_editor(app_for, tmp_path):
    path = tmp_path / "off.toml"
    path.write_text('task = "regression"\nmodel = [{ type = "Linear", out_features = 4 }, '
                    '{ type = "Linear", in_features = 5, out_features = "auto" }]\n[data]\nsource = "diabetes"\n')
    app = app_for("--preset", str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "in_features is 5" in text_of(app, "#data-source")
        editor = await open_editor(pilot)  # the data loaded, so its shapes are known
        assert editor.checked.error is None  # input sizes are inferred again in the editor
        await pilot.press("ctrl+a")
        await wait_until(pilot, lambda: "Linear(4→1)" in summary(app))
        assert app.screen.side.data_error is None


async def test_activations_swap_and_batch_norm_turns_off_by_keyboard(app_for):
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        await pilot.press("down", "enter")  # model[1], a ReLU: Enter goes to its first field, the type
        assert app.focused.id == "editor-type"
        await pilot.press("enter", *["down"] * 7, "enter")  # ReLU, LeakyReLU, ..., Sigmoid, Tanh
        await pilot.pause()
        assert types(editor)[1] == "Tanh" and cell(editor, 1, "layer") == "Tanh"
        await pilot.press("shift+tab", "up", "b", "b")  # BatchNorm on, then off again after model[0]
        await pilot.pause()
        assert types(editor)[:3] == ["Linear", "Tanh", "Dropout"]
        await pilot.press("down", "b")  # not after an activation
        await pilot.pause()
        assert any("BatchNorm goes after a Linear or a Conv2d layer, not after Tanh" in n.message
                   for n in app._notifications)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ModelEditor) and app.screen.runs.layers is None  # Esc keeps the old model


async def test_the_palette_opens_the_editor_and_lists_its_commands(app_for):
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"Edit model")
        await wait_until(pilot, lambda: first_command(app).startswith("Edit model…"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelEditor))
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"Add layer", "Remove layer", "Move layer up", "BatchNorm on/off", "Apply model",
                "Save model as preset"} <= set(titles)


def test_the_layer_list_keeps_options_across_a_type_swap_and_reports_the_first_bad_field():
    model = LayerList(load_preset("mnist_cnn").model)
    assert "in_channels" not in model.layers[0].spec  # inferred again on every check
    model.set_type(model.layers[2], "AvgPool2d")
    assert model.layers[2].spec == {"type": "AvgPool2d", "kernel_size": 2}
    assert describe(model.layers[0].spec) == "out=8, kernel=3, pad=1"
    model.set_option(model.layers[0], "padding", "-1")
    model.set_option(model.layers[3], "stride", "0")
    checked = check(model.layers, (1, 8, 8), 10)
    assert checked.bad == 0 and checked.error == "model[0].padding must be an integer >= 0, got '-1'"
    assert len(checked.rows) == 10  # the last accepted values still give every shape


def test_list_presets_on_the_command_line_shows_user_presets_by_path(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "x.toml").write_text((load_preset("tabular_mlp").path).read_text().replace('"tabular_mlp"', '"x"'))
    (folder / "broken.toml").write_text("model = 3\n")
    assert main(["--list-presets", "--presets-dir", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()] == ["addition_transformer", "char_lm", "mnist_cnn",
                                                              "tabular_mlp", "wine_mlp",
                                                             str(folder / "x.toml")]
    assert "not listed" in err and "broken.toml" in err


def test_a_sequence_model_is_checked_on_token_ids_and_a_wrong_width_is_named():
    model = LayerList(load_preset("addition_transformer").model)
    checked = check(model.layers, (11,), 12, tokens=True)
    assert checked.error is None and checked.rows[-1].output_shape == (11, 12)
    model.set_option(model.layers[2], "nhead", "5")  # 64 is not divisible by 5 heads
    checked = check(model.layers, (11,), 12, tokens=True)
    assert checked.bad == 2 and "model[2] (TransformerBlocks)" in checked.error and "5" in checked.error


def test_the_editor_points_at_a_layer_that_reads_later_tokens():
    model = LayerList(load_preset("addition_transformer").model)
    model.set_option(model.layers[2], "causal", "false")
    checked = check(model.layers, (11,), 12, tokens=True)
    assert checked.bad == 2 and "causal = false lets each position read the tokens after it" in checked.error
