"""The model editor used as a stranger would: keys faster than the screen redraws, every layer removed, moves
past the ends, type swaps back and forth, garbage and huge numbers in every field, edits undone by hand.
None of it may crash the app (run_test re-raises any exception the app met) or edit a layer not selected."""
from __future__ import annotations

from textual import events
from textual.widgets import Select

from presets import load_preset
from tests.tui.conftest import settle, wait_until
from tests.tui.test_app import SIZE, text_of
from tests.tui.test_model_editor import open_editor, type_in, types
from tui.screens.model_editor import LayerTable, ModelEditor, OptionInput


async def burst(pilot, *keys: str) -> None:
    """Keys queued at once, as a fast typist or a pasting terminal sends them, then handled."""
    for key in keys:
        pilot.app.post_message(events.Key(key, None))
    await pilot.pause(0.2)
    await pilot.pause()


def shown(editor: ModelEditor):
    """The layer whose options the pane shows."""
    return editor._shown


async def test_removing_the_dropout_by_fast_keys_removes_it_and_edits_no_other_layer(app_for):
    # issue 23 item 8: ctrl+l, down, down, x crashed with KeyError "ReLU has no option 'p'" (the type
    # Select of the ReLU, mounted and gone, turned the Dropout and then the last Linear into ReLUs)
    app = app_for("--preset", "wine_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        original = editor.model.specs()
        await burst(pilot, "down", "down", "x")
        assert editor.model.specs() == [original[0], original[1], original[3]]
        assert shown(editor) is editor.model.layers[2] and editor.query_one(LayerTable).cursor_row == 2
        await burst(pilot, "up", "down", "up", "up", "down", "down")  # the pane keeps up with the cursor
        assert shown(editor) is editor.model.layers[2] and editor.model.specs() == [original[i] for i in (0, 1, 3)]
        assert editor.checked.error is None


async def test_every_layer_removed_leaves_an_empty_model_that_apply_refuses_and_add_starts_again(app_for):
    app = app_for("--preset", "wine_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        await burst(pilot, *"xxxxxx")  # two more than there are layers
        assert types(editor) == [] and shown(editor) is None
        assert "model must be a non-empty list" in editor.checked.error
        assert text_of(app, "#editor-status").startswith("✗ ")
        assert not editor.query(OptionInput)  # no fields of a removed layer left to type in
        await pilot.press("ctrl+a", "ctrl+s", "b", "shift+up", "shift+down")
        await pilot.pause()
        assert app.screen is editor and types(editor) == []
        assert any(n.title == "Model not applied" for n in app._notifications)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")  # Linear, the first of the registry
        await pilot.pause()
        assert types(editor) == ["Linear"] and shown(editor) is editor.model.layers[0]
        assert "the data needs (3,)" in editor.checked.error  # a new Linear has 64 outputs
        await pilot.press("tab")
        await type_in(pilot, "auto")
        assert editor.checked.error is None and editor.checked.rows[0].output_shape == (3,)


async def test_moves_past_either_end_keep_the_order_and_the_selection(app_for):
    app = app_for("--preset", "wine_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        before = editor.model.specs()
        await burst(pilot, "shift+up", "ctrl+up")  # the first layer up
        assert editor.model.specs() == before and editor.query_one(LayerTable).cursor_row == 0
        await burst(pilot, "down", "down", "down", "shift+down", "ctrl+down")  # the last layer down
        assert editor.model.specs() == before and editor.query_one(LayerTable).cursor_row == 3
        await burst(pilot, "shift+up", "shift+up", "shift+up", "shift+down", "shift+down", "shift+down")
        assert editor.model.specs() == before  # there and back again: the same model
        assert shown(editor) is editor.model.layers[3]


async def test_type_swaps_back_and_forth_edit_only_the_selected_layer(app_for):
    app = app_for("--preset", "wine_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        await pilot.press("down")
        await pilot.pause()
        for name in ("LeakyReLU", "ELU", "ReLU", "Tanh"):
            editor.query_one("#editor-type", Select).value = name
            await wait_until(pilot, lambda: getattr(app.focused, "id", None) == "editor-type")  # the new pane's
            editor.query_one(LayerTable).focus()
            await burst(pilot, "down", "up")  # leave and come back before the new pane settles
        assert types(editor) == ["Linear", "Tanh", "Dropout", "Linear"]
        await burst(pilot, "down", "down", "up", "up")
        assert types(editor) == ["Linear", "Tanh", "Dropout", "Linear"] and editor.checked.error is None
        assert shown(editor) is editor.model.layers[1]
        editor.query_one("#editor-type", Select).value = "LeakyReLU"
        await wait_until(pilot, lambda: getattr(app.focused, "id", None) == "editor-type")
        await pilot.press("tab")  # the type's Select has the focus: its negative_slope is next
        assert app.focused.option.name == "negative_slope"
        await type_in(pilot, "0.5")
        editor.query_one("#editor-type", Select).value = "ReLU"  # the slope field goes with its type
        await pilot.pause()
        assert editor.model.layers[1].spec == {"type": "ReLU"}
        editor.query_one(LayerTable).focus()
        await pilot.press("x")
        await pilot.pause()
        assert types(editor) == ["Linear", "Dropout", "Linear"]


async def test_garbage_and_huge_numbers_in_every_field_are_marked_and_refused_never_raised(app_for):
    app = app_for("--preset", "mnist_cnn")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        valid = editor.model.specs()
        for row in range(len(valid)):
            editor.query_one(LayerTable).move_cursor(row=row)
            await pilot.pause()
            for field in list(editor.query(OptionInput)):
                for garbage in ("zz", "-1", "nan", "1e999", "1" + "0" * 400, " "):
                    field.value = garbage
                    await pilot.pause()
                    assert app.screen is editor
                if field.option.required or field.edited.typed:
                    assert editor.checked.error is not None  # a field that does not parse blocks Apply
                await pilot.press("ctrl+a")
                await pilot.pause()
                assert app.screen is editor
                field.value = ""
                await pilot.pause()
        await pilot.press("escape")  # Esc keeps the model the trainer had
        await pilot.pause()
        assert not isinstance(app.screen, ModelEditor) and app.screen.runs.layers is None


async def test_a_size_beyond_memory_is_reported_on_its_row(app_for):
    app = app_for("--preset", "wine_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        await pilot.press("tab")
        await type_in(pilot, "1000000000000")  # digit by digit: no layer of gigabytes is built on the way
        assert editor.checked.bad == 0 and editor.checked.error == (
            "model[0].out_features is 1,000,000,000,000; the editor builds sizes up to 1,048,576 "
            "(a preset file may ask for more)")
        app.focused.value = "1" + "0" * 400  # pasted: more digits than a float holds
        await pilot.pause()
        assert editor.checked.error.startswith("model[0].out_features must be an integer >= 1")
        # 13 million weights, then the last layer a million squared: 4 TB, which NumPy refuses at once
        editor.query(OptionInput).first().value = "1000000"
        await pilot.pause()
        editor.query_one(LayerTable).move_cursor(row=3)
        await pilot.pause()
        editor.query(OptionInput).first().value = "1000000"
        await pilot.pause()
        assert editor.checked.bad == 3 and "model[3] (Linear) is too large to build" in editor.checked.error
        editor.query(OptionInput).first().value = "auto"
        await pilot.pause()
        editor.query_one(LayerTable).move_cursor(row=0)
        await pilot.pause()
        editor.query(OptionInput).first().value = "16"
        await pilot.pause()
        assert editor.checked.error is None and editor.checked.rows[0].output_shape == (16,)


async def test_edits_undone_by_hand_give_back_the_model_it_started_with(app_for):
    app = app_for("--preset", "wine_mlp")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        original = editor.model.specs()
        await burst(pilot, "b", "b")  # BatchNorm on and off
        assert editor.model.specs() == original
        await pilot.press("tab")
        await type_in(pilot, "zz")
        await type_in(pilot, "32")  # garbage, then the value it had
        assert editor.model.specs() == original and editor.checked.error is None
        await pilot.press("shift+tab", "a")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await burst(pilot, "x")  # a layer added, then removed
        assert editor.model.specs() == original
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert not isinstance(app.screen, ModelEditor) and app.screen.runs.layers == original


async def test_a_value_shown_rounded_is_not_changed_by_viewing_it(app_for, tmp_path):
    path = tmp_path / "fine.toml"
    path.write_text(load_preset("wine_mlp").path.read_text().replace(
        '{ type = "ReLU" }', '{ type = "LeakyReLU", negative_slope = 0.123456789 }'))
    app = app_for("--preset", str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        await burst(pilot, "down", "down", "up")  # the LeakyReLU's field shows 0.123457
        assert editor.query_one(OptionInput).value == "0.123457"
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert not isinstance(app.screen, ModelEditor)
        assert app.screen.runs.layers[1] == {"type": "LeakyReLU", "negative_slope": 0.123456789}
