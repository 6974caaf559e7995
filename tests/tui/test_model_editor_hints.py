"""Model editor hints: two Linear layers with nothing between them are warned about (not refused), and the
add-layer picker greys out the layers that cannot take the shape reaching the new layer's place."""
from __future__ import annotations

from textual.widgets import OptionList

from tests.tui.conftest import settle
from tests.tui.test_app import SIZE, text_of
from tests.tui.test_model_editor import open_editor, types
from tui.model_edit import linear_hints, unfit_reason
from tui.screens.model_editor import LayerPicker


def test_linear_after_linear_with_only_dropout_or_identity_between_is_warned_once():
    specs = [{"type": "Linear"}, {"type": "Dropout"}, {"type": "Linear"}, {"type": "ReLU"}, {"type": "Linear"},
             {"type": "Linear"}]
    assert linear_hints(specs) == [
        "model[0] and model[2] are Linear layers with no activation between: together no more expressive than "
        "one (put a ReLU between them)",
        "model[4] and model[5] are Linear layers with no activation between: together no more expressive than "
        "one (put a ReLU between them)"]
    assert linear_hints([{"type": "Linear"}, {"type": "Tanh"}, {"type": "Linear"}]) == []


def test_a_layer_that_cannot_take_the_shape_says_why():
    assert unfit_reason("Conv2d", (64,)) == "takes images (channels, height, width), here 64"
    assert unfit_reason("Linear", (8, 6, 6)) == ("takes vectors (features,) or sequences (time, features) (after a "
                                                "Flatten), here 8×6×6")
    assert unfit_reason("Linear", (64,)) is None and unfit_reason("ReLU", (8, 6, 6)) is None


def _options(picker: LayerPicker) -> list[tuple[str, bool]]:
    options = picker.query_one(OptionList)
    return [(options.get_option_at_index(i).id, options.get_option_at_index(i).disabled)
            for i in range(options.option_count)]


async def test_removing_an_activation_warns_and_apply_still_works(app_for):
    app = app_for()  # tabular_mlp: Linear ReLU Dropout Linear ReLU Dropout Linear
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        assert "⚠" not in text_of(app, "#editor-status")
        await pilot.press("down", "x")  # remove model[1], the ReLU
        await pilot.pause()
        assert types(editor)[:3] == ["Linear", "Dropout", "Linear"]
        status = text_of(app, "#editor-status")
        assert "⚠ model[0] and model[2] are Linear layers with no activation between" in status
        assert "ctrl+a applies it" in status and editor.checked.error is None
        await pilot.press("ctrl+a")  # a warning, not a refusal
        await pilot.pause()
        assert not isinstance(app.screen, type(editor))


async def test_the_add_layer_picker_greys_out_layers_that_do_not_fit_there(app_for):
    app = app_for("--preset", "mnist_cnn")  # images in: Conv2d first, Flatten, then Linear layers
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor = await open_editor(pilot)
        await pilot.press("a")  # after model[0], a Conv2d: images reach the new layer
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, LayerPicker) and len(picker.shape) == 3
        options = dict(_options(picker))
        assert options["Conv2d"] is False and options["Linear"] is True
        assert [name for name, disabled in _options(picker)][-1] in {n for n, d in options.items() if d}
        await pilot.press("escape")
        await pilot.pause()
        flatten = types(editor).index("Flatten")
        editor.query_one("#editor-layers").move_cursor(row=flatten)
        await pilot.pause()
        await pilot.press("a")  # after the Flatten: vectors reach it
        await pilot.pause()
        listed = _options(app.screen)
        options = dict(listed)
        assert options["Linear"] is False and options["Conv2d"] is True and options["ReLU"] is False
        assert listed[0] == ("Linear", False)
        await pilot.press("enter")  # the first fitting layer is added
        await pilot.pause()
        assert types(editor)[flatten + 1] == "Linear" and editor.checked.error is None
