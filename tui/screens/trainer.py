"""The trainer screen: tabs Train · Runs · Predictions · Inside, the start/stop commands and the live views.

Wiring only: what the next run trains and every run's lifecycle are a presets.controller.RunController,
the threads that prepare and train are tui.worker's. Messages from the workers only fold events into a
RunState; `refresh_views` redraws from it four times a second (and at once when a run ends), so a fast
run costs the UI a bounded amount of work.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Log, TabbedContent, TabPane

from npnn import events as fit_events
from presets import PresetError
from presets import events as run_events
from presets.controller import RunController
from tui import worker
from tui.exits import Interrupted, exit_code, interrupt_name
from tui.messages import (
    InsideSampled,
    PreviewReady,
    RunCompleted,
    RunCrashed,
    RunInterrupted,
    SignalReceived,
    TrainingEvents,
)
from tui.options import Options
from tui.screens.data_picker import DataChoice
from tui.screens.trainer_tools import TrainerTools
from tui.state import RunState
from tui.widgets import HyperparameterForm, InsideView, PredictionsView, RunsTable, RunsView
from tui.widgets.footer import KeysFooter
from tui.widgets.predictions import run_label
from tui.widgets.train_live import TrainLive
from tui.widgets.train_side import TrainSide

REFRESH_SECONDS = 0.25
TAB_LABELS = {"train": "Train F2", "runs": "Runs F3", "predictions": "Predictions F4", "inside": "Inside F6"}
CHART_KEYS = ("toggle_log", "toggle_accuracy")  # they act on the Train tab's chart, so only there
TAB_FOCUS = {"train": "#preset", "runs": "#runs-table", "inside": "#inside-view"}  # what keys act on when a tab opens
ENDINGS = (fit_events.Finished, fit_events.Failed, fit_events.EarlyStopped, run_events.RunSaved)


class TrainerScreen(TrainerTools, Screen):
    """Everything the app shows; it sends start/stop to a worker and renders what the run reports."""

    AUTO_FOCUS = "#preset"
    # Textual sets one class of each list by the screen's width / height (app.tcss styles them)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (160, "-widest")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]
    # NOTE: the footer must fit 80 columns on every tab (what overflows it leaves stray characters): the tab
    # keys are in the tabs' labels (TAB_LABELS), save and export in the palette (ctrl+p), not in the footer
    BINDINGS = [
        Binding("f2", "show_tab('train')", "Train", priority=True, show=False),
        Binding("f3", "show_tab('runs')", "Runs", priority=True, show=False),
        Binding("f4", "show_tab('predictions')", "Predictions", priority=True, show=False),
        Binding("f6", "show_tab('inside')", "Inside", priority=True, show=False),
        Binding("f5", "start", "Start", priority=True),
        Binding("f10", "step", "Step", priority=True),
        Binding("f8", "continue_run", "Continue", show=False, priority=True),
        Binding("escape", "stop", "Stop"),
        Binding("ctrl+o", "open_data", "Data", priority=True),
        Binding("ctrl+l", "edit_model", "Layers", priority=True),
        Binding("ctrl+s", "save_model", "Save", priority=True, show=False),
        Binding("ctrl+e", "export_history", "History", priority=True, show=False),
        Binding("l", "toggle_log", "Log y"),
        Binding("a", "toggle_accuracy", "Accuracy"),
        Binding("b", "toggle_batches", "Batches", show=False),  # NOTE: in the palette; the footer is full at 80 columns
        Binding("s", "next_smoothing", "Smooth", show=False),
        Binding("v", "advice", "Verdict", show=False),
        Binding("ctrl+f", "find_lr", "Find lr", priority=True, show=False),
    ]

    def __init__(self, options: Options, presets: list, preset: str, loaded, *, steady: bool = False,
                 export_dir: Path | None = None) -> None:
        """`options`: the command line's; `presets`: (title, name or path) choices; `preset` the selected
        one, `loaded` its presets.Preset.
        `steady` hides durations so screenshots repeat exactly; exports go to `export_dir` (default: cwd)."""
        super().__init__()
        self.options, self.steady, self.export_dir = options, steady, export_dir
        self.preset_choices = presets  # (title, name or path) for the picker and palette
        self.runs = RunController(preset, loaded, options.out, download=options.download)
        self.state = RunState()
        self._shown_version = -1
        self._inside_shown = -1
        self._new_inside()

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="tabs"):
            with TabPane(TAB_LABELS["train"], id="train"):
                with Horizontal(id="train-body"):
                    data = DataChoice(self.options.data, self.options.target, self.options.columns, self.options.drop)
                    yield TrainSide(self.runs, self.preset_choices, data, id="side")
                    yield TrainLive(id="live")
            with TabPane(TAB_LABELS["runs"], id="runs"):
                yield RunsView(self.options.out, id="runs-view")
            with TabPane(TAB_LABELS["predictions"], id="predictions"):
                yield PredictionsView(id="predictions-body")
            with TabPane(TAB_LABELS["inside"], id="inside"):
                yield InsideView(id="inside-view")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        self._show_preset()
        self.side.show_selected()
        if self.steady:
            for field in self.query(Input):
                field.cursor_blink = False
        self.set_interval(REFRESH_SECONDS, self.refresh_views)
        self.refresh_views()

    def on_unmount(self) -> None:
        self.runs.stop()  # NOTE: quitting with a paused run must not leave its thread waiting (and the process)

    # NOTE: found once: a query walks every widget of the screen, and the footer's key states ask for the
    # active tab many times per redraw
    @cached_property
    def side(self) -> TrainSide:
        return self.query_one(TrainSide)

    @cached_property
    def tabs(self) -> TabbedContent:
        return self.query_one("#tabs", TabbedContent)

    # --- preset and form (tui.widgets.train_side) ---------------------------------------------------

    @on(HyperparameterForm.PresetChosen)
    def _show_preset(self) -> None:
        """The live views take the selected preset's task and epoch budget, with nothing of an earlier run:
        its status, metrics, lr, chart and log belong to that run's preset and data, not this one's."""
        if self.runs.running:
            return
        preset = self.runs.preset
        self.state = RunState(task=preset.task, loss_name=preset.loss, epochs=preset.epochs, steady=self.steady)
        self.query_one(Log).clear()
        self.refresh_views()
        self.refresh_bindings()  # the accuracy key is there for classification only

    def _use_data(self, choice) -> None:
        """The data picker's choice (None: cancelled): other data clears the last run's results as a preset does."""
        if choice is not None and choice != self.side.data:
            self.side.use_data(choice)
            self._show_preset()

    @on(PreviewReady)
    def _preview_ready(self, message: PreviewReady) -> None:
        if self.state.run_id == 0:  # no run yet: the table takes the preset's rows (target units...)
            self.state.know(message.prepared)
            self.refresh_views()

    @on(HyperparameterForm.Submitted)
    def _hot_edit(self, message: HyperparameterForm.Submitted) -> None:
        """Enter in a hot-editable field (lr, clip norm, ...) while a run exists: it changes from the next batch."""
        try:
            changed = self.runs.hot_edit(message.key, message.text)
        except PresetError as error:
            self.notify(str(error), title=f"{message.key} not changed", severity="error", markup=False)
            return
        if changed:
            self.notify(f"{message.key} → {message.text.strip()} from the next batch", title="Hot edit", markup=False)

    # --- commands --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Footer keys are dimmed when they cannot act (Start while training, Stop while idle...)."""
        if action == "start":
            return True if not self.runs.running or self.state.paused else None
        if action == "stop":
            return True if self.runs.running else None
        if action in CHART_KEYS and self._active_tab() != "train":
            return False
        if action == "toggle_accuracy":
            return self.state.task == "classification"
        if action in ("toggle_batches", "next_smoothing"):  # the Train chart's keys act on the Train tab only
            return self._active_tab() == "train"
        return True

    def _active_tab(self) -> str | None:
        try:
            return self.tabs.active
        except NoMatches:  # NOTE: asked before the screen is composed
            return None

    def action_show_tab(self, tab: str) -> None:
        """F2 / F3 / F4 / F6: switch to the Train, Runs, Predictions or Inside tab from anywhere."""
        self.tabs.active = tab
        if tab in TAB_FOCUS:
            self.query_one(TAB_FOCUS[tab]).focus()

    def action_step(self) -> None:
        """F10: train exactly one batch and pause (from Ready: start a run paused after its first batch)."""
        if not self.runs.running:
            self.action_start(paused=True)
        self.runs.step()

    @on(Button.Pressed, "#start")
    def action_start(self, paused: bool = False) -> None:
        """F5: start a run, or let a paused one continue at full speed."""
        if self.runs.running:
            if self.state.paused:
                self.runs.resume()
                self.state.resumed()
                self.refresh_views()
                self._commands_changed()
            return
        refusal, data = self.side.refusal(), self.side.data
        if refusal is None:
            try:
                active = self.runs.start(self.side.form.overrides()[0], data.path, data.target, data.chosen(),
                                         paused=paused)
            except PresetError as error:
                refusal = str(error)
        if refusal is not None:
            self._refuse(refusal)
            return
        self._begin(active)

    @on(RunsTable.ForkAsked)
    def _fork_asked(self, message: RunsTable.ForkAsked) -> None:
        """f on the Runs tab: the run's settings load into the form; F5 trains the fork (a new run directory)."""
        if self.runs.running:
            return
        try:
            self.runs.fork_next(message.run.path)
        except PresetError as error:
            self.notify(str(error), title="Can't fork", severity="error", markup=False)
            return
        self.side.show_selected()
        self.action_show_tab("train")
        self._say(f"fork of {message.run.name}: change settings, then F5 trains it from its checkpoint")

    def action_continue_run(self) -> None:
        """F8: the run that ended last trains the form's Epochs more epochs, from its checkpoint, in its
        own directory (its other settings stay the run's: it is the same run)."""
        if self.runs.running:
            return
        values, errors = self.side.form.overrides()
        try:
            if "epochs" not in values:
                raise PresetError(errors[0] if errors else "Epochs: say how many more epochs to train")
            active = self.runs.continue_last(values["epochs"])
        except PresetError as error:
            self._refuse(str(error))
            return
        self._begin(active)

    def _begin(self, active) -> None:
        """Show and train the run just started (F5) or continued (F8)."""
        preset = self.runs.preset
        self.state = RunState(run_id=active.id, preset=preset.name, task=preset.task, loss_name=preset.loss,
                              status="Training", running=True, epochs=preset.epochs, steady=self.steady,
                              continue_key=self.continue_key())
        self.query_one(Log).clear()
        self.side.show_errors("")
        self._new_inside()
        self._watch_inside()
        self._train(active)
        self._commands_changed()

    def _refuse(self, reason: str) -> None:
        self.side.show_errors(f"Can't start: {reason}")
        self.notify(reason, title="Start refused", severity="error", markup=False)

    @work(thread=True, exclusive=True, group="train", exit_on_error=False)
    def _train(self, active) -> None:
        worker.train(active, self.post_message)

    @on(Button.Pressed, "#stop")
    def action_stop(self) -> None:
        if self.runs.stop():
            self._say("stopping after the current batch…")

    @on(SignalReceived)
    def _signalled(self, message: SignalReceived) -> None:
        """SIGTERM, SIGHUP or SIGINT: the run stops (a paused one now) and is saved, then the app exits 143,
        129 or 130, as a headless run does."""
        interrupt = Interrupted(message.signum)
        if self.runs.interrupt(interrupt):
            self._say(f"{interrupt_name(interrupt)}: stopping after the current batch, then quitting…")
        self._exit_if_interrupted()

    def _exit_if_interrupted(self) -> None:
        if self.runs.interrupted is not None and not self.runs.running:
            self.app.exit(return_code=exit_code(self.runs.interrupted))

    def _say(self, line: str) -> None:
        self.state.say(line)
        self.state.version += 1
        self.refresh_views()

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_changed(self) -> None:
        self._watch_inside()
        self.refresh_bindings()  # the Train chart's keys show on the Train tab only
        self.refresh_views()  # a tab opens drawn, not at the next refresh tick

    @on(InsideSampled)
    def _inside_sampled(self, message: InsideSampled) -> None:
        if message.run_id == self.state.run_id:
            self._take_waiting_samples()
            self.inside.add(message.sample)
            if self.state.paused:
                self.refresh_views()  # NOTE: a step's rows show at once, as the step's other views do

    @on(InsideView.DigitPicked)
    def _digit_picked(self, message: InsideView.DigitPicked) -> None:
        self.inside.selected = message.index
        images = self.runs.pick_image(message.index)
        if images is not None:
            self.inside.show_images(*images)
        self.refresh_views()

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.app.exit()

    # --- run messages ----------------------------------------------------------------------------

    @on(TrainingEvents)
    def _training_events(self, message: TrainingEvents) -> None:
        if message.run_id != self.state.run_id:
            return
        for event in message.events:
            self.state.apply(event)
            if isinstance(event, run_events.RunPrepared):
                self.side.show_prepared(event)
        if any(isinstance(event, ENDINGS) for event in message.events):
            self.refresh_views()
        if any(isinstance(event, run_events.Paused) for event in message.events):
            self.refresh_views()  # NOTE: after a step every view shows that batch at once, not at the next tick
            self._commands_changed()

    @on(RunCompleted)
    def _run_completed(self, message: RunCompleted) -> None:
        result = message.result
        if not self.runs.ended(message.run_id, result):
            return
        self.state.running = False
        self.state.version += 1
        self._record(result.run_dir, result.after.get("test", {}), result.reason)
        # the run's test predictions replace the previous run's, whatever kind either was
        self.query_one(PredictionsView).show(run_label(result.run_dir, self.steady), result.predictions)
        self.inside.show_images(*self.runs.pick_image(self.inside.selected), message.run.inside.probe())
        self._run_ended()

    @on(RunCrashed)
    def _run_crashed(self, message: RunCrashed) -> None:
        if not self.runs.ended(message.run_id):
            return
        self.state.fail(message.message)
        self._record(self.state.run_dir, {}, "failed")
        self.notify(message.message, title="Run failed", severity="error", markup=False)
        self._run_ended()

    @on(RunInterrupted)
    def _run_interrupted(self, message: RunInterrupted) -> None:
        if self.runs.ended(message.run_id):
            self._run_ended()

    def _run_ended(self) -> None:
        self._take_waiting_samples()
        self.inside.end()
        self.refresh_views()
        self._commands_changed()
        self._exit_if_interrupted()

    def _record(self, run_dir: str | None, test: dict, reason: str) -> None:
        self.query_one(RunsTable).add_run(self.state.run_id, self.runs.preset, len(self.state.train_losses),
                                          self.state.best_value, test, reason, run_dir, self.state.val_losses)

    def _commands_changed(self) -> None:
        """Buttons, the form's lock (all but the hot edits: the one place that decides them), footer keys
        and the Inside monitor (Step mode samples every batch)."""
        self.side.lock_for_run(self.runs.running, self.state.paused)
        self.refresh_bindings()
        self._watch_inside()

    # --- drawing ---------------------------------------------------------------------------------

    def refresh_views(self) -> None:
        """Redraw the live views from the state, if it changed since the last redraw (tui.widgets.train_live
        redraws only what changed, without layout passes)."""
        if self.tabs.active == "inside":
            self._take_waiting_samples()
            if self.inside.version != self._inside_shown:
                self._inside_shown = self.inside.version
                self.query_one(InsideView).show(self.inside)
        if self.state.version != self._shown_version:
            self._shown_version = self.state.version
            self.query_one(TrainLive).show(self.state)
