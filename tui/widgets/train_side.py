"""The Train tab's side column: the lock note, the hyperparameter form, Start / Stop / Quit, why a start was
refused, the data note and the model summary; the trainer screen tells it what to show."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from presets.events import RunPrepared
from tui.widgets.form import HyperparameterForm
from tui.widgets.tables import ModelSummary

PREPARING = "preparing the model…"


class TrainSide(VerticalScroll):
    """`form` is the HyperparameterForm; the rest is drawn by `show_*` and `lock_for_run`."""

    can_focus = False  # NOTE: Tab goes from field to field, not to their scroller

    def __init__(self, presets: list, preset: str, *, id: str | None = None) -> None:
        """`presets`: (title, name or path) choices for the form's picker; `preset` the selected one."""
        super().__init__(id=id)
        self._presets, self._preset = presets, preset

    def compose(self) -> ComposeResult:
        yield Static("Locked while training\nlr, clip norm: Enter edits", id="form-lock", markup=False)
        yield HyperparameterForm(self._presets, self._preset, id="form")
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

    def show_errors(self, text: str) -> None:
        """Why the form's settings do not make a run, or why a start was refused ("" when nothing is wrong)."""
        self.query_one("#form-error", Static).update(text)

    def show_preparing(self) -> None:
        self.query_one(ModelSummary).update(PREPARING)

    def show_prepared(self, prepared: RunPrepared) -> None:
        """The data a preview or run loaded and the model it built."""
        self.query_one(ModelSummary).show(prepared.model_summary, prepared.num_parameters)
        self._show_data(prepared.data_description, prepared.notice)

    def show_unavailable(self, reason: str) -> None:
        """The selected preset's data did not load, or its model does not fit it."""
        self.query_one(ModelSummary).update("")
        self._show_data(f"not available: {reason}", "ctrl+o picks other data")

    def _show_data(self, source: str, notice: str | None) -> None:
        markup = "[b]Data:[/b] $source" + ("" if notice is None else "\n[$text-warning]$notice[/]")
        self.query_one("#data-source", Static).update(Content.from_markup(markup, source=source, notice=notice))

    def lock_for_run(self, running: bool, paused: bool, editable=()) -> None:
        """While a run trains: Start only continues a paused run, Stop is on, and the form is locked but for
        `editable` (the hot edits), which the lock note says."""
        self.query_one("#start", Button).disabled = running and not paused
        self.query_one("#stop", Button).disabled = not running
        self.form.lock_for_run(running, editable=editable)
        self.query_one("#form-lock", Static).display = running
