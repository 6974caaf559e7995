"""The Train tab's side column, where the next run is chosen: the preset and its settings (the form), the
data and the layers (which the screen's data picker and model editor return here), checked by a preview
that loads the data and builds the model; Start / Stop / Quit, the lock note while a run trains, why a
start was refused.

The choice itself lives in the trainer's presets.controller.RunController; this widget shows it and
turns the user's picks into calls on it. PreviewReady goes on to the screen, unless it is stale.
"""
from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from presets import PresetError, load_preset
from presets.controller import RunController
from presets.events import RunPrepared
from tui import worker
from tui.messages import PreviewFailed, PreviewReady
from tui.screens.data_picker import data_note
from tui.widgets.form import HyperparameterForm
from tui.widgets.tables import ModelSummary

PREPARING = "preparing the model…"


class TrainSide(VerticalScroll):
    """`form` is the HyperparameterForm; `data` the data picked (a tui.screens.data_picker.DataChoice)."""

    can_focus = False  # NOTE: Tab goes from field to field, not to their scroller

    def __init__(self, runs: RunController, presets: list, data, *, id: str | None = None) -> None:
        """`presets`: (title, name or path) choices for the form's picker; `data`: --data / --target's."""
        super().__init__(id=id)
        self.runs, self._presets, self.data = runs, presets, data
        self.data_error: str | None = None  # why the selected preset cannot use that data (from its preview)
        self.shapes: tuple | None = None  # (input shape, outputs) of the data its preview loaded, for the editor

    def compose(self) -> ComposeResult:
        yield Static("", id="form-lock", markup=False)
        yield HyperparameterForm(self._presets, self.runs.name, id="form")
        with Horizontal(id="buttons"):
            yield Button("Start F5", id="start", variant="success", compact=True)
            yield Button("Stop Esc", id="stop", variant="error", compact=True, disabled=True)
            yield Button("Quit ^q", id="quit", compact=True)
        yield Static("", id="form-error", markup=False)
        yield Static("", id="data-source", markup=False)
        yield ModelSummary(PREPARING, id="summary")

    @property
    def form(self) -> HyperparameterForm:
        return self.query_one(HyperparameterForm)

    def show_selected(self) -> None:
        """Fill the form from the selected preset and preview it."""
        self.form.set_values(self.runs.preset)
        self.preview()

    @on(HyperparameterForm.PresetChosen)
    def _preset_chosen(self, message: HyperparameterForm.PresetChosen) -> None:
        """Select and preview the picked preset; the message goes on to the screen only when it loaded."""
        if message.preset == self.runs.name:
            message.stop()
            return
        try:
            self.runs.select(message.preset)
        except PresetError as error:
            message.stop()
            self.notify(str(error), title="Preset not loaded", severity="error", markup=False)
            return
        self.show_selected()

    @on(HyperparameterForm.Edited)
    def _explain_errors(self) -> None:
        """The fields that do not parse, else what the settings together break (nesterov without momentum)."""
        values, errors = self.form.overrides()
        if not errors:
            try:
                load_preset(self.runs.name, values)
            except PresetError as error:
                errors = [str(error)]
        self.show_errors("\n".join(errors))

    def show_errors(self, text: str) -> None:
        """Why the form's settings do not make a run, or why a start was refused ("" when nothing is wrong)."""
        self.query_one("#form-error", Static).update(text)

    def refusal(self) -> str | None:
        """Why the next run cannot start (the first field that does not parse, data that did not load)."""
        errors = self.form.overrides()[1]
        if errors:
            return errors[0]
        return None if self.data_error is None else f"no data for {self.runs.name}: {self.data_error}"

    def preview(self) -> None:
        """Prepare the selected preset in a worker to show its data and model (downloading only with
        --download: a failure then shows in the data note, which must not advise --download again)."""
        self.data_error, self.shapes = None, None
        self.query_one(ModelSummary).update(PREPARING)
        self._prepare(self.runs.preview(self.data.path, self.data.target, self.data.chosen()), self.runs.name)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _prepare(self, run, preset: str) -> None:
        worker.preview(run, preset, self.post_message)

    @on(PreviewReady)
    def _preview_ready(self, message: PreviewReady) -> None:
        if message.preset != self.runs.name or self.runs.running:
            message.stop()  # NOTE: a preview of what is no longer selected, or a run's data already shown
            return
        self.show_prepared(message.prepared)

    @on(PreviewFailed)
    def _preview_failed(self, message: PreviewFailed) -> None:
        if message.preset == self.runs.name:
            self.data_error, self.shapes = message.message, message.shapes
            self.query_one(ModelSummary).update("")
            self._show_data(f"not available: {message.message}", "ctrl+o picks other data")

    def show_prepared(self, prepared: RunPrepared) -> None:
        """The data a preview or run loaded and the model it built."""
        self.shapes = (prepared.input_shape, prepared.num_outputs)
        self.query_one(ModelSummary).show(prepared.model_summary, prepared.num_parameters)
        self._show_data(prepared.data_description, data_note(prepared))
        self.app.sub_title = f"{prepared.config.get('title', prepared.preset)} · {prepared.data_description}"

    def _show_data(self, source: str, notice: str | None) -> None:
        markup = "[b]Data:[/b] $source" + ("" if notice is None else "\n[$text-warning]$notice[/]")
        self.query_one("#data-source", Static).update(Content.from_markup(markup, source=source, notice=notice))

    def use_data(self, choice) -> None:
        """The data picker's choice (None: cancelled): the next runs train on it."""
        if choice is not None and choice != self.data:
            self.data = choice
            self.notify(f"Data: {choice.describe()}", markup=False)
            self.preview()

    def preset_to_edit(self):
        """The selected preset with the form's settings, for the model editor; None (and says why) when the
        data has not loaded or the settings do not fit."""
        if self.shapes is None:
            self.notify(f"The model cannot be edited before its data loads ({self.data_error or '…'})",
                        severity="warning", markup=False)
            return None
        values, errors = self.form.overrides()
        try:
            return self.runs.next_preset({} if errors else values)
        except PresetError as error:
            self.notify(str(error), title="Model editor", severity="error", markup=False)
            return None

    def use_layers(self, layers: list | None) -> None:
        """The model editor's layers (None: cancelled): the next runs train them; Dropout shows their one rate."""
        if layers is not None:
            self.form.show_dropout(self.runs.use_layers(layers).dropout)
            self.preview()

    def lock_for_run(self, running: bool, paused: bool) -> None:
        """While a run trains: Start only continues a paused run, Stop is on, and the form is locked but for the
        hot settings the optimizer takes (presets.settings), which the lock note names."""
        self.query_one("#start", Button).disabled = running and not paused
        self.query_one("#stop", Button).disabled = not running
        self.form.lock_for_run(running)
        self.query_one("#form-lock", Static).update(self.form.lock_note())
        self.query_one("#form-lock", Static).display = running
