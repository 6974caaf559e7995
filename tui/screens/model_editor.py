"""The model editor (ctrl+l on the Train tab): the layers in a table, the selected layer's options beside it.

Every edit is checked at once by the preset schema's rules against the data's input shape and number of
outputs (tui.model_edit), so the output shapes and the parameter count follow what is typed and an invalid
model is marked, with the schema's message, before Apply. Apply returns the layer specs to the trainer;
ctrl+s saves the preset with them as a new preset file in the user's presets folder (--presets-dir).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, DataTable, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option as ListOption

from presets import Preset, PresetError
from presets.catalog import LAYERS
from presets.option import Option
from presets.registry import save_preset
from presets.schema import with_model
from tui.model_edit import (
    Checked,
    EditedLayer,
    LayerList,
    as_text,
    check,
    describe,
    field_error,
    linear_hints,
    placeholder,
    shape_after,
    shape_text,
    swaps,
    unfit_reason,
)
from tui.widgets.footer import KeysFooter

COLUMNS = ("", "#", "layer", "options", "output", "params")


class OptionValidator(Validator):
    """Valid when the option accepts the text (empty: its default, unless it has none)."""

    def __init__(self, option: Option) -> None:
        super().__init__()
        self.option = option

    def validate(self, value: str) -> ValidationResult:
        message = field_error(self.option, value, self.option.name)
        return self.success() if message is None else self.failure(message)


def shown_text(layer: EditedLayer, option: Option) -> str:
    """What the field of `layer`'s `option` shows: the text typed that does not parse, else the value."""
    return layer.typed.get(option.name, as_text(layer.spec[option.name]) if option.name in layer.spec else "")


class OptionInput(Input):
    """The field of one option of one layer of one type (it keeps all three: a late Changed, posted before
    the layer was removed or its type swapped, is recognised as stale and ignored)."""

    def __init__(self, layer: EditedLayer, option: Option) -> None:
        super().__init__(shown_text(layer, option), placeholder=placeholder(option), compact=True,
                         validators=[OptionValidator(option)], tooltip=option.help or None, classes="editor-option")
        self.edited, self.option, self.kind = layer, option, layer.spec["type"]


class TypeSelect(Select):
    """The type of one layer (another of its group may replace it); it keeps its layer, as OptionInput does."""

    def __init__(self, layer: EditedLayer) -> None:
        name = layer.spec["type"]
        super().__init__([(other, other) for other in swaps(name)], value=name, allow_blank=False, compact=True,
                         id="editor-type")
        self.edited = layer


class LayerTable(DataTable):
    """The layers, one row each; the layer edits are keys of this table (Tab goes to the selected one's options)."""

    BINDINGS = [
        Binding("a,insert", "screen.add_layer", "Add"),
        Binding("x,delete", "screen.remove_layer", "Remove"),
        Binding("shift+up,ctrl+up", "screen.move_layer(-1)", "Up"),
        Binding("shift+down,ctrl+down", "screen.move_layer(1)", "Down"),
        Binding("b", "screen.batch_norm", "BatchNorm"),
    ]


class LayerPicker(ModalScreen[str | None]):
    """The registered layers (presets.catalog.LAYERS); Enter adds the highlighted one, Esc cancels. With the
    `shape` reaching the new layer's place, those that cannot take it come last, greyed out, saying why."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, shape: tuple | None = None) -> None:
        super().__init__()
        self.shape = shape

    def compose(self) -> ComposeResult:
        reasons = {name: None if self.shape is None else unfit_reason(name, self.shape) for name in LAYERS}
        fitting = [entry for entry in LAYERS.values() if reasons[entry.name] is None]
        unfit = [entry for entry in LAYERS.values() if reasons[entry.name] is not None]
        with Vertical(id="layer-picker"):
            where = "" if self.shape is None else f" (its input: {shape_text(self.shape)})"
            yield Label(f"Add a layer{where}: Enter adds it after the selected one, Esc cancels")
            yield OptionList(*(ListOption(f"{entry.name:<18} {entry.label}", id=entry.name) for entry in fitting),
                             *(ListOption(f"{entry.name:<18} {reasons[entry.name]}", id=entry.name, disabled=True)
                               for entry in unfit), id="layer-picker-list")

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class ModelEditor(ModalScreen[list | None]):
    """Edit `preset`'s layers for data of `input_shape` with `num_outputs` outputs; dismissed with the
    layer specs (Apply) or None (Esc). ctrl+s saves the preset with the edited model into `presets_dir`."""

    BINDINGS = [
        Binding("ctrl+a", "apply", "Apply", priority=True),
        Binding("ctrl+s", "save_preset", "Save as preset", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, preset: Preset, input_shape: tuple, num_outputs: int, presets_dir: Path) -> None:
        super().__init__()
        self.preset, self.input_shape, self.num_outputs = preset, tuple(input_shape), num_outputs
        self.presets_dir = Path(presets_dir)
        self.model = LayerList(preset.model)
        self.checked = Checked()
        self._shown: EditedLayer | None = None  # the layer whose options the pane shows
        # NOTE: a preset saved from here may be saved again under its name (it is "ours"), any other file not
        ours = preset.path is not None and Path(preset.path).resolve().parent == self.presets_dir.resolve()
        self._replacing: Path | None = Path(preset.path) if ours else None

    def compose(self) -> ComposeResult:
        with Vertical(id="editor"):
            yield Label(f"Model of {self.preset.name}", id="editor-title")
            yield Static(self._shapes_line(), id="editor-shapes", markup=False)
            with Horizontal(id="editor-body"):
                yield LayerTable(cursor_type="row", id="editor-layers")
                yield VerticalScroll(id="editor-options")
            yield Static("", id="editor-status", markup=False)
            with Horizontal(id="editor-save-row"):
                yield Label("Save as")
                yield Input(self._replacing.stem if self._replacing else f"{self.preset.name}_edited",
                            compact=True, id="editor-name")
                yield Button("Save ^s", id="editor-save", compact=True)
            with Horizontal(id="editor-buttons"):
                yield Button("Apply ^a", id="editor-apply", variant="success", compact=True)
                yield Button("Cancel Esc", id="editor-cancel", compact=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#editor-options").can_focus = False  # Tab goes from the table to the fields
        self.query_one(LayerTable).add_columns(*COLUMNS)
        self._refresh(0)
        self.query_one(LayerTable).focus()

    def _shapes_line(self) -> str:
        if self.preset.task == "sequence":
            return (f"input {self.input_shape[0]} token ids per sample · {self.num_outputs} tokens, a score for "
                    "each at every position · sizes are inferred (\"auto\")")
        return (f"input {shape_text(self.input_shape)} per sample · {self.num_outputs} output"
                f"{'s' if self.num_outputs != 1 else ''} · input sizes are inferred (\"auto\")")

    # --- drawing ---------------------------------------------------------------------------------

    def _refresh(self, row: int | None = None) -> None:
        """Check the layers and redraw; `row` given: the rows changed, rebuild the table and select it."""
        self.checked = check(self.model.layers, self.input_shape, self.num_outputs, self.preset.task == "sequence")
        table = self.query_one(LayerTable)
        cells = [self._cells(i, layer) for i, layer in enumerate(self.model.layers)]
        if row is not None or table.row_count != len(cells):
            table.clear()
            for line in cells:
                table.add_row(*line)
            if cells:
                table.move_cursor(row=max(0, min(row or 0, len(cells) - 1)))
            self.call_later(self._show_selected)  # NOTE: the cursor may stay on its row, with no event
        else:  # NOTE: in place, so the cursor (and the options pane) stay while a field is typed in
            for i, line in enumerate(cells):
                for j, cell in enumerate(line):
                    table.update_cell_at(Coordinate(i, j), cell, update_width=True)
        status = self.query_one("#editor-status", Static)
        error = self.checked.error
        hints = "".join(f"\n⚠ {hint}" for hint in linear_hints(self.model.specs()))
        status.update(f"✗ {error}" if error else f"{self.checked.num_parameters:,} parameters · "
                      f"ctrl+a applies it to the next runs{hints}")
        status.set_class(error is not None, "-invalid")

    def _cells(self, i: int, layer: EditedLayer) -> tuple:
        rows, bad = self.checked.rows, self.checked.bad
        done = i < len(rows)
        style = "bold red" if i == bad else ""
        return (Text("✗" if i == bad else "", style=style), str(i), Text(layer.spec["type"], style=style),
                describe(rows[i].spec if done else layer.spec),
                shape_text(rows[i].output_shape) if done else "—",
                f"{rows[i].num_parameters:,}" if done and rows[i].num_parameters else "")

    def _selected(self) -> int | None:
        table = self.query_one(LayerTable)
        return table.cursor_row if self.model.layers and table.row_count else None

    @on(DataTable.RowHighlighted, "#editor-layers")
    async def _show_selected(self) -> None:
        """The options of the layer at the table's cursor (none when the model is empty).
        NOTE: the table's row now, not the event's: an event posted before a removal names a row that another
        layer holds by the time it is handled."""
        row = self._selected()
        await self._show_options(self.model.layers[row] if row is not None and row < len(self.model.layers) else None)

    @on(DataTable.RowSelected, "#editor-layers")
    def _row_selected(self) -> None:
        """Enter on a layer: to its first field."""
        fields = self.query(".editor-option, #editor-type")
        if fields:
            fields.first().focus()

    async def _show_options(self, layer: EditedLayer | None, force: bool = False) -> None:
        """The selected layer's options in the pane: its type (when others of its group could replace it),
        one field per option, and the sizes inferred for it."""
        if layer is self._shown and not force:
            return
        self._shown = layer
        pane = self.query_one("#editor-options", VerticalScroll)
        await pane.remove_children()
        if layer is None:
            return
        entry = layer.entry
        widgets: list = [Label(entry.label, id="editor-layer-label")]
        types = swaps(entry.name)
        if len(types) > 1:
            widgets.append(Horizontal(Label("type"), TypeSelect(layer), classes="field"))
        for option in entry.options:
            if option.name not in entry.infer:
                widgets.append(Horizontal(Label(option.name), OptionInput(layer, option), classes="field"))
        inferred = ", ".join(entry.infer)
        if inferred:
            widgets.append(Static(f"{inferred}: auto (from the layer's input)", classes="editor-note"))
        if entry.name == "Dropout":
            widgets.append(Static("p is one rate for every Dropout layer (the form's Dropout)", classes="editor-note"))
        await pane.mount_all(widgets)

    # --- edits -----------------------------------------------------------------------------------

    def _current(self, layer: EditedLayer) -> bool:
        """Whether `layer` is still in the model (a field's events may arrive after its layer was removed)."""
        return any(layer is other for other in self.model.layers)

    @on(Input.Changed, ".editor-option")
    def _option_changed(self, event: Input.Changed) -> None:
        # NOTE: an Input posts Changed when it is mounted too: the text it shows is no edit (and setting it
        # would round a float to the digits shown)
        field = event.input
        if (isinstance(field, OptionInput) and self._current(field.edited) and field.edited.spec["type"] == field.kind
                and event.value != shown_text(field.edited, field.option)):
            self.model.set_option(field.edited, field.option.name, event.value)
            self._refresh()

    @on(Select.Changed, "#editor-type")
    async def _type_changed(self, event: Select.Changed) -> None:
        # NOTE: a Select posts Changed with its first value when it is mounted; the layer it was made for
        # decides, never the one shown when the message arrives (the root of "ReLU has no option 'p'")
        select = event.select
        if not isinstance(select, TypeSelect) or not self._current(select.edited) \
                or not isinstance(event.value, str) or event.value == select.edited.spec["type"]:
            return
        layer = select.edited
        self.model.set_type(layer, event.value)
        self._refresh()
        await self._show_options(layer, force=True)
        self.query_one("#editor-type", Select).focus()

    def action_add_layer(self) -> None:
        """a / Insert: pick a registered layer type; it goes after the selected layer."""
        row = self._selected()

        def picked(name: str | None) -> None:
            if name is not None:
                self._refresh(self.model.add(row, name))
                self.query_one(LayerTable).focus()
        self.app.push_screen(LayerPicker(shape_after(self.checked, row, self.input_shape)), picked)

    def action_remove_layer(self) -> None:
        row = self._selected()
        if row is not None:
            self._refresh(self.model.remove(row))

    def action_move_layer(self, step: int) -> None:
        row = self._selected()
        if row is not None:
            self._refresh(self.model.move(row, step))

    def action_batch_norm(self) -> None:
        """b: BatchNorm on/off after the selected Linear or Conv2d."""
        row = self._selected()
        if row is None:
            return
        try:
            self._refresh(self.model.toggle_batch_norm(row))
        except PresetError as error:
            self.notify(str(error), severity="warning", markup=False)

    # --- results ---------------------------------------------------------------------------------

    def _valid_specs(self, what: str) -> list | None:
        """The edited specs, or None (and why, in a notification) while the model is invalid."""
        if self.checked.error is not None:
            self.notify(self.checked.error, title=f"Model not {what}", severity="error", markup=False)
            return None
        return self.model.specs()

    @on(Button.Pressed, "#editor-apply")
    def action_apply(self) -> None:
        """ctrl+a: the edited model for the next runs (refused while it is invalid)."""
        specs = self._valid_specs("applied")
        if specs is not None:
            self.dismiss(specs)

    @on(Button.Pressed, "#editor-save")
    def action_save_preset(self) -> None:
        """ctrl+s: the preset with the edited model (and the form's settings) as `<presets_dir>/<name>.toml`."""
        specs = self._valid_specs("saved")
        if specs is None:
            return
        name = self.query_one("#editor-name", Input).value.strip()
        preset = replace(with_model(self.preset, specs), name=name)
        source = self.preset.path
        if source is None or Path(source).resolve() != (self.presets_dir / f"{name}.toml").resolve():
            preset = replace(preset, title=name,  # a new preset; its own file keeps its title
                             description=f"{self.preset.title} with an edited model. {self.preset.description}")
        try:
            path = save_preset(preset, self.presets_dir, replacing=self._replacing)
        except (PresetError, OSError) as error:
            self.notify(str(error), title="Preset not saved", severity="error", markup=False)
            return
        self._replacing = path
        self.notify(f"{path} (the preset picker lists it from the next start)", title="Preset saved", markup=False)

    @on(Button.Pressed, "#editor-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
