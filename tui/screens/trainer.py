"""The trainer screen: tabs Train · Runs · Predictions · Inside, the start/stop commands and the live views.

Messages from the workers only fold events into a RunState; `refresh_views` redraws from it four
times a second (and at once when a run ends), so a fast run costs the UI a bounded amount of work.
"""
from __future__ import annotations

import threading
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Log, Select, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from npnn import events as fit_events
from presets import PresetError, Run, load_preset, setting_names
from presets.control import RunControl
from presets.overrides import apply_overrides, parse_hot_edit
from presets.schema import with_model
from presets import events as run_events
from tui import export, worker
from tui.inside_state import InsideState, inside_images
from tui.messages import InsideSampled, PreviewFailed, PreviewReady, RunCompleted, RunCrashed, TrainingEvents
from tui.options import Options
from tui.screens.data_picker import DataChoice, DataPicker, data_note
from tui.screens.model_editor import ModelEditor
from tui.state import RunState
from tui.widgets import HyperparameterForm, InsideView, ModelSummary, PredictionsView, RunsTable, RunsView
from tui.widgets.train_live import TrainLive
from tui.widgets.form import as_text
from tui.widgets.predictions import run_label

REFRESH_SECONDS = 0.25
TAB_FOCUS = {"train": "#preset", "runs": "#runs-table", "inside": "#inside-view"}  # what keys act on when a tab opens
ENDINGS = (fit_events.Finished, fit_events.Failed, fit_events.EarlyStopped, run_events.RunSaved)


class TrainerScreen(Screen):
    """Everything the app shows; it sends start/stop to a worker and renders what the run reports."""

    AUTO_FOCUS = "#preset"
    # Textual sets one class of each list by the screen's width / height (app.tcss styles them)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (160, "-widest")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]
    BINDINGS = [
        Binding("f2", "show_tab('train')", "Train", priority=True),
        Binding("f3", "show_tab('runs')", "Runs", priority=True),
        Binding("f4", "show_tab('predictions')", "Predictions", priority=True),
        Binding("f6", "show_tab('inside')", "Inside", priority=True),
        Binding("f5", "start", "Start", priority=True),
        Binding("f10", "step", "Step", priority=True),
        Binding("escape", "stop", "Stop"),
        Binding("ctrl+o", "open_data", "Data", priority=True),
        Binding("ctrl+l", "edit_model", "Layers", priority=True),
        Binding("ctrl+s", "save_model", "Save", priority=True),
        Binding("ctrl+e", "export_history", "History", priority=True),
        Binding("l", "toggle_log", "Log y"),
        Binding("a", "toggle_accuracy", "Accuracy"),
    ]

    def __init__(self, options: Options, presets: list, preset: str, loaded, *, steady: bool = False,
                 export_dir: Path | None = None) -> None:
        """`options`: the command line's; `presets`: (title, name or path) choices; `preset` the selected
        one, `loaded` its presets.Preset.
        `steady` hides durations so screenshots repeat exactly; exports go to `export_dir` (default: cwd)."""
        super().__init__()
        self.options, self.steady, self.export_dir = options, steady, export_dir
        self.preset_choices, self._loaded = presets, loaded  # (title, name or path) for the picker and palette
        self._preset = preset
        self.state = RunState()
        self._shown_version = -1
        self._runs = 0
        self._stop = threading.Event()
        self._last = None  # (presets.Run, RunResult) of the latest run that returned
        self._run = None   # the latest presets.Run started; its `inside` switch feeds the Inside tab
        self._control: RunControl | None = None  # the running run's Step / hot-edit controls
        self._data = DataChoice(options.data, options.target, options.columns, options.drop)  # flags, then ctrl+o
        self._data_error: str | None = None  # why the selected preset cannot use that data (from its preview)
        self._model: list | None = None  # the model editor's layers for the selected preset (None: the preset's)
        self._shapes: tuple | None = None  # (input shape, outputs) of the data its preview loaded, for the editor
        self.inside = InsideState()
        self._inside_shown = -1
        self._inside_watched: tuple | None = None  # (run id, tab visible) last asked of the run's monitor

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="tabs"):
            with TabPane("Train", id="train"):
                with Horizontal(id="train-body"):
                    with VerticalScroll(id="side"):
                        yield Static("", id="form-lock", markup=False)
                        yield HyperparameterForm(self.preset_choices, self._preset, id="form")
                        with Horizontal(id="buttons"):
                            yield Button("Start F5", id="start", variant="success", compact=True)
                            yield Button("Stop Esc", id="stop", variant="error", compact=True, disabled=True)
                            yield Button("Quit ^q", id="quit", compact=True)
                        yield Static("", id="form-error", markup=False)
                        yield Static("", id="data-source", markup=False)
                        yield ModelSummary("preparing the model…", id="summary")
                    yield TrainLive(id="live")
            with TabPane("Runs", id="runs"):
                yield RunsView(self.options.out, id="runs-view")
            with TabPane("Predictions", id="predictions"):
                yield PredictionsView(id="predictions-body")
            with TabPane("Inside", id="inside"):
                yield InsideView(id="inside-view")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#side").can_focus = False  # Tab goes from field to field, not to their scroller
        self._show_preset()
        self._preview(self._preset)
        if self.steady:
            for field in self.query(Input):
                field.cursor_blink = False
        self.set_interval(REFRESH_SECONDS, self.refresh_views)
        self.refresh_views()

    # --- preset and form -------------------------------------------------------------------------

    @on(Select.Changed, "#preset")
    def _preset_changed(self, event: Select.Changed) -> None:
        if event.value == self._preset:
            return
        try:
            loaded = load_preset(event.value)
        except PresetError as error:
            self.notify(str(error), title="Preset not loaded", severity="error", markup=False)
            return
        self._preset, self._loaded, self._model = event.value, loaded, None
        self._show_preset()
        self.query_one(ModelSummary).update("preparing the model…")
        self._preview(self._preset)

    def _show_preset(self) -> None:
        """Fill the form from the selected preset; before any run, the live views take its task and budget."""
        self.query_one(HyperparameterForm).set_values(self._loaded)
        self.query_one("#description", Static).update(self._loaded.description)
        if self.state.run_id == 0:
            self.state = RunState(task=self._loaded.task, loss_name=self._loaded.loss, epochs=self._loaded.epochs,
                                  steady=self.steady)
            self.refresh_views()
            self.refresh_bindings()  # the accuracy key is there for classification only

    @on(Input.Submitted)
    def _hot_edit(self, message: Input.Submitted) -> None:
        """Enter in a hot-editable field (lr, clip norm, ...) while a run exists: it changes from the next batch."""
        key = message.input.id
        if not self.state.running or self._control is None or self._run is None or key not in setting_names():
            return
        try:
            value = parse_hot_edit(self._run.preset, key, message.value)
        except PresetError as error:
            self.notify(str(error), title=f"{key} not changed", severity="error", markup=False)
            return
        self._control.set(key, value)
        self.notify(f"{key} → {message.value.strip()} from the next batch", title="Hot edit", markup=False)

    @on(Input.Changed)
    @on(Select.Changed, "#optimizer, #lr_schedule")
    def _explain_errors(self) -> None:
        """The fields that do not parse, else what the settings together break (nesterov without momentum)."""
        values, errors = self.query_one(HyperparameterForm).overrides()
        if not errors:
            try:
                load_preset(self._preset, values)
            except PresetError as error:
                errors = [str(error)]
        self.query_one("#form-error", Static).update("\n".join(errors))

    def _preview(self, preset: str) -> None:
        """Prepare the selected preset in a worker to show its data and model (downloading only with
        --download: a failure then shows in the data note, which must not advise --download again)."""
        self._data_error, self._shapes = None, None
        run = Run(self._edited(self._loaded), out_dir=self.options.out, data_path=self._data.path,
                  target=self._data.target, download=self.options.download)
        self._prepare(run, preset)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _prepare(self, run, preset: str) -> None:
        worker.preview(run, preset, self.post_message)

    @on(PreviewReady)
    def _preview_ready(self, message: PreviewReady) -> None:
        if message.preset == self._preset and not self.state.running:
            self._show_prepared(message.prepared)
            if self.state.run_id == 0:  # no run yet: the table takes the preset's rows (target units...)
                self.state.know(message.prepared)
                self.refresh_views()

    @on(PreviewFailed)
    def _preview_failed(self, message: PreviewFailed) -> None:
        if message.preset == self._preset:
            self._data_error, self._shapes = message.message, message.shapes
            self.query_one(ModelSummary).update("")
            self._show_data(f"not available: {message.message}", "ctrl+o picks other data")

    def _show_prepared(self, prepared: run_events.RunPrepared) -> None:
        self._shapes = (prepared.input_shape, prepared.num_outputs)
        self.query_one(ModelSummary).show(prepared.model_summary, prepared.num_parameters)
        self._show_data(prepared.data_description, data_note(prepared))
        self.app.sub_title = f"{prepared.config.get('title', prepared.preset)} · {prepared.data_description}"

    def _show_data(self, source: str, notice: str | None) -> None:
        markup = "[b]Data:[/b] $source" + ("" if notice is None else "\n[$text-warning]$notice[/]")
        self.query_one("#data-source", Static).update(Content.from_markup(markup, source=source, notice=notice))

    # --- commands --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Footer keys are dimmed when they cannot act (Start while training, Stop while idle...)."""
        if action == "start":
            return True if not self.state.running or self.state.paused else None
        if action == "stop":
            return True if self.state.running else None
        if action == "toggle_accuracy":
            return self.state.task == "classification"
        return True

    def action_open_data(self) -> None:
        """ctrl+o: pick the data (a CSV and its target column, MNIST files, or built in)."""
        if self.state.running:
            self.notify("The data cannot change while a run trains", severity="warning")
            return
        self.app.push_screen(DataPicker(Path.cwd(), self._data), self._data_picked)

    def _data_picked(self, choice: DataChoice | None) -> None:
        if choice is None or choice == self._data:
            return
        self._data = choice
        self.notify(f"Data: {choice.describe()}", markup=False)
        self.query_one(ModelSummary).update("preparing the model…")
        self._preview(self._preset)

    def action_edit_model(self) -> None:
        """ctrl+l: edit the layers (tui.screens.model_editor), checked against the data's shapes as you type."""
        if self.state.running or self._shapes is None:
            why = "while a run trains" if self.state.running else f"before its data loads ({self._data_error or '…'})"
            self.notify(f"The model cannot be edited {why}", severity="warning", markup=False)
            return
        values, errors = self.query_one(HyperparameterForm).overrides()
        try:
            preset = apply_overrides(self._edited(load_preset(self._preset)), {} if errors else values)
        except PresetError as error:
            self.notify(str(error), title="Model editor", severity="error", markup=False)
            return
        self.app.push_screen(ModelEditor(preset, *self._shapes, Path(self.options.presets_dir)), self._model_edited)

    def _model_edited(self, specs: list | None) -> None:
        """Applied: the next runs train these layers; the form's Dropout shows their one rate."""
        if specs is None:
            return
        self._model = specs
        self.query_one("#dropout", Input).value = as_text("dropout", with_model(self._loaded, specs).dropout)
        self.query_one(ModelSummary).update("preparing the model…")
        self._preview(self._preset)

    def _edited(self, preset):
        """`preset` with the data choice's columns and the model editor's layers, once they were applied."""
        preset = self._data.applied(preset)
        return preset if self._model is None else with_model(preset, self._model)

    def action_show_tab(self, tab: str) -> None:
        """F2 / F3 / F4 / F6: switch to the Train, Runs, Predictions or Inside tab from anywhere."""
        self.query_one("#tabs", TabbedContent).active = tab
        if tab in TAB_FOCUS:
            self.query_one(TAB_FOCUS[tab]).focus()

    def action_step(self) -> None:
        """F10: train exactly one batch and pause (from Ready: start a run paused after its first batch)."""
        if not self.state.running:
            self.action_start(paused=True)
        if self._control is not None and self.state.running:
            self._control.step()

    @on(Button.Pressed, "#start")
    def action_start(self, paused: bool = False) -> None:
        """F5: start a run, or let a paused one continue at full speed."""
        if self.state.running:
            if self.state.paused and self._control is not None:
                self._control.resume()
                self.state.resumed()
                self.refresh_views()
                self._commands_changed()
            return
        values, errors = self.query_one(HyperparameterForm).overrides()
        if errors:
            self._refuse(errors[0])
            return
        if self._data_error is not None:
            self._refuse(f"no data for {self._preset}: {self._data_error}")
            return
        try:
            preset = apply_overrides(self._edited(load_preset(self._preset)), values)
            run = Run(preset, out_dir=self.options.out, data_path=self._data.path,
                      target=self._data.target, download=self.options.download)
        except PresetError as error:
            self._refuse(str(error))
            return
        self._runs += 1
        self._loaded = preset
        self._stop.clear()
        self.state = RunState(run_id=self._runs, preset=preset.name, task=preset.task, loss_name=preset.loss,
                              status="Training",
                              running=True, epochs=preset.epochs, steady=self.steady)
        self.query_one(Log).clear()
        self.query_one("#form-error", Static).update("")
        self._run, self.inside = run, InsideState()
        self._control = RunControl(paused=paused)
        self._watch_inside()
        self._train(run, self._runs, self._control)
        self._commands_changed()

    def _refuse(self, reason: str) -> None:
        self.query_one("#form-error", Static).update(f"Can't start: {reason}")
        self.notify(reason, title="Start refused", severity="error", markup=False)

    @work(thread=True, exclusive=True, group="train", exit_on_error=False)
    def _train(self, run, run_id: int, control: RunControl) -> None:
        current = get_current_worker()
        worker.train(run, run_id, self.post_message, lambda: self._stop.is_set() or current.is_cancelled,
                     control)

    @on(Button.Pressed, "#stop")
    def action_stop(self) -> None:
        if self.state.running and not self._stop.is_set():
            self._stop.set()
            if self._control is not None:
                self._control.stop()  # NOTE: wakes a paused run, which should_stop alone cannot
            self.state.say("stopping after the current batch…")
            self.state.version += 1
            self.refresh_views()

    @on(TabbedContent.TabActivated, "#tabs")
    def _watch_inside(self) -> None:
        """The run's monitor is attached only while the Inside tab is visible (hooks removed otherwise).
        NOTE: steady (screenshot) runs sample every batch so the numbers repeat exactly."""
        if self._run is None or not self.state.running:
            return
        visible = self.query_one("#tabs", TabbedContent).active == "inside"
        run_id = self.state.run_id
        if self._inside_watched == (run_id, visible):
            return  # NOTE: asking again would restart the monitor (a tab event can arrive after F5)
        self._inside_watched = (run_id, visible)
        callback = (lambda sample: self.post_message(InsideSampled(run_id, sample))) if visible else None
        self._run.inside.watch(callback, every=1 if self.steady else None)

    @on(InsideSampled)
    def _inside_sampled(self, message: InsideSampled) -> None:
        if message.run_id == self.state.run_id:
            self.inside.add(message.sample)

    @on(InsideView.DigitPicked)
    def _digit_picked(self, message: InsideView.DigitPicked) -> None:
        self.inside.selected = message.index
        if self._run is not None and self.state.running:
            self._run.inside.select(message.index)
        elif self._last is not None:
            self.inside.show_images(*inside_images(self._last[0], message.index))
        self.refresh_views()

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.app.exit()

    def action_save_model(self) -> None:
        self._write(lambda run, result: export.save_model(run.model, result.run_dir, self._export_dir()), "Model")

    def action_export_history(self) -> None:
        self._write(lambda run, result: export.export_history(result.history, result.run_dir, self._export_dir()),
                    "History")

    def _export_dir(self) -> Path:
        return Path(self.export_dir) if self.export_dir is not None else Path.cwd()

    def _write(self, write, what: str) -> None:
        if self._last is None or self.state.running:
            self.notify("Nothing to save yet: train a run first (F5)", severity="warning")
            return
        try:
            path = write(*self._last)
        except (OSError, ValueError, TypeError) as error:
            self.notify(str(error), title=f"{what} not saved", severity="error", markup=False)
            return
        self.notify(str(path), title=f"{what} saved", markup=False)

    # --- run messages ----------------------------------------------------------------------------

    @on(TrainingEvents)
    def _training_events(self, message: TrainingEvents) -> None:
        if message.run_id != self.state.run_id:
            return
        for event in message.events:
            self.state.apply(event)
            if isinstance(event, run_events.RunPrepared):
                self._show_prepared(event)
        if any(isinstance(event, ENDINGS) for event in message.events):
            self.refresh_views()
        if any(isinstance(event, run_events.Paused) for event in message.events):
            self.refresh_views()  # NOTE: after a step every view shows that batch at once, not at the next tick
            self._commands_changed()

    @on(RunCompleted)
    def _run_completed(self, message: RunCompleted) -> None:
        if message.run_id != self.state.run_id:
            return
        result = message.result
        self._last = (message.run, result)
        self.state.running = False
        self.state.version += 1
        self._record(result.run_dir, result.after.get("test", {}), result.reason)
        self._show_predictions(result)
        self.inside.show_images(*inside_images(message.run, self.inside.selected))
        self.refresh_views()
        self._commands_changed()

    @on(RunCrashed)
    def _run_crashed(self, message: RunCrashed) -> None:
        if message.run_id != self.state.run_id:
            return
        self.state.fail(message.message)
        self._record(self.state.run_dir, {}, "failed")
        self.notify(message.message, title="Run failed", severity="error", markup=False)
        self.refresh_views()
        self._commands_changed()

    def _record(self, run_dir: str | None, test: dict, reason: str) -> None:
        self.query_one(RunsTable).add_run(self.state.run_id, self._loaded, len(self.state.train_losses),
                                          self.state.best_value, test, reason, run_dir, self.state.val_losses)

    def _show_predictions(self, result) -> None:
        """The run's test predictions replace the previous run's, whatever kind either was."""
        self.query_one(PredictionsView).show(run_label(result.run_dir, self.steady), result.predictions)

    def _commands_changed(self) -> None:
        running = self.state.running
        self.query_one("#start", Button).disabled = running and not self.state.paused
        self.query_one("#stop", Button).disabled = not running
        self._lock_form(running)
        self.refresh_bindings()

    def _lock_form(self, running: bool) -> None:
        """While a run trains the form is locked, and says so: it keeps showing the settings the run uses.
        NOTE: what stays editable mid-run is the hot settings the optimizer takes (presets.settings)."""
        form = self.query_one(HyperparameterForm)
        form.lock_for_run(running)
        self.query_one("#form-lock", Static).update(form.lock_note())
        self.query_one("#form-lock", Static).display = running

    # --- drawing ---------------------------------------------------------------------------------

    def refresh_views(self) -> None:
        """Redraw the live views from the state, if it changed since the last redraw (tui.widgets.train_live
        redraws only what changed, without layout passes)."""
        if self.inside.version != self._inside_shown and self.query_one("#tabs", TabbedContent).active == "inside":
            self._inside_shown = self.inside.version
            self.query_one(InsideView).show(self.inside)
        if self.state.version != self._shown_version:
            self._shown_version = self.state.version
            self.query_one(TrainLive).show(self.state)

    @property
    def chart_log(self) -> bool:
        """The Train chart's y axis is log10 (l)."""
        return self.query_one(TrainLive).log_scale

    @property
    def chart_accuracy(self) -> bool:
        """The Train chart shows val accuracy (a, classification) instead of loss."""
        return self.query_one(TrainLive).accuracy

    def action_toggle_log(self) -> None:
        """l: the Train chart's y axis between linear and log10."""
        live = self.query_one(TrainLive)
        live.log_scale = not live.log_scale
        live.show_chart()

    def action_toggle_accuracy(self) -> None:
        """a: the Train chart between loss and validation accuracy (classification runs)."""
        live = self.query_one(TrainLive)
        live.accuracy = not live.accuracy
        live.show_chart()
