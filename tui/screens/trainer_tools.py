"""The trainer screen's tools beside its run wiring: data and model editing, saving, the verdict, the lr
finder, the Train chart's keys and where the Inside tab's samples go (a mixin of TrainerScreen)."""
from __future__ import annotations

from collections import deque
from pathlib import Path

from textual.widgets import Input

from presets import PresetError
from tui.inside_state import HISTORY as INSIDE_HISTORY
from tui.inside_state import InsideState
from tui.messages import (
    InsideSampled,
)
from tui.screens.data_picker import DataPicker
from tui.screens.lr_finder import LRFinderScreen
from tui.screens.model_editor import ModelEditor
from tui.state import verdict_line
from tui.widgets.train_live import TrainLive


class TrainerTools:
    """Actions and helpers TrainerScreen mixes in; they use its `runs`, `state`, `inside` and widgets."""

    def action_open_data(self) -> None:
        """ctrl+o: pick the data (a CSV and its target column, MNIST files, or built in)."""
        if self.runs.running:
            self.notify("The data cannot change while a run trains", severity="warning")
            return
        self.app.push_screen(DataPicker(Path.cwd(), self.side.data), self._use_data)

    def action_edit_model(self) -> None:
        """ctrl+l: edit the layers (tui.screens.model_editor), checked against the data's shapes as you type."""
        if self.runs.running:
            self.notify("The model cannot be edited while a run trains", severity="warning", markup=False)
            return
        preset = self.side.preset_to_edit()
        if preset is not None:
            editor = ModelEditor(preset, *self.side.shapes, Path(self.options.presets_dir))
            self.app.push_screen(editor, self.side.use_layers)

    def _new_inside(self) -> None:
        """The latest run's Inside state and where its samples go: a message each, or (tab hidden) a bounded
        queue the tab takes when it opens or the run ends, at no cost to the UI thread meanwhile."""
        run_id, self.inside = self.runs.run_id, InsideState()
        self._waiting_samples: deque = deque(maxlen=INSIDE_HISTORY)
        self._post_sample = lambda sample: self.post_message(InsideSampled(run_id, sample))

    def _watch_inside(self) -> None:
        """Samples go to messages while the tab is visible or in Step mode (every batch: each F10 shows its rows),
        else to the waiting queue. NOTE: steady (screenshot) runs sample every visible batch to repeat exactly."""
        stepping = self.runs.running and self.runs.active.control.paused
        if stepping or self.tabs.active == "inside":
            self.runs.watch_inside(self._post_sample, every=1 if self.steady or stepping else None)
        else:
            self.runs.watch_inside(self._waiting_samples.append)

    def _take_waiting_samples(self) -> None:
        """Samples taken while the tab was hidden, oldest first (deque.popleft: the training thread may append)."""
        while self._waiting_samples:
            self.inside.add(self._waiting_samples.popleft())

    def action_save_model(self) -> None:
        self._write(self.runs.save_model, "Model")

    def action_export_history(self) -> None:
        self._write(self.runs.export_history, "History")

    def _write(self, write, what: str) -> None:
        """ctrl+s / ctrl+e: a copy of the last run's model or history in the export folder (default: cwd)."""
        try:
            path = write(Path(self.export_dir) if self.export_dir is not None else Path.cwd())
        except (OSError, ValueError, TypeError) as error:
            self.notify(str(error), title=f"{what} not saved", severity="error", markup=False)
            return
        if path is None:
            self.notify("Nothing to save yet: train a run first (F5)", severity="warning")
        else:
            self.notify(str(path), title=f"{what} saved", markup=False)

    def action_advice(self) -> None:
        """v: the verdict and next step on the latest run so far (presets.advice), in the log and a toast."""
        advice = self.runs.advice()
        if advice is None:
            self.notify("No verdict yet: train a run first (F5)", severity="warning")
            return
        self.state.say(f"verdict so far: {advice.line()}" if self.runs.running
                       else f"verdict: {verdict_line(advice, self.continue_key())}")
        self.state.version += 1
        self.refresh_views()
        self.notify(advice.next_step, title=advice.verdict, markup=False)

    def continue_key(self) -> str:
        """The key bound to continuing the last ended run (F8), as the footer would show it."""
        binding = next(binding for binding in self.BINDINGS if binding.action == "continue_run")
        return self.app.get_key_display(binding).upper()

    def action_find_lr(self) -> None:
        """ctrl+f: the learning-rate range test on the form's model and data (tui.screens.lr_finder); Enter there
        puts the suggested lr in the form."""
        if self.runs.running:
            self.notify("The lr finder waits until the run ends", severity="warning")
            return
        values, errors = self.side.form.overrides()
        try:
            if errors:
                raise PresetError(errors[0])
            data = self.side.data
            run = self.runs.trial(values, data.path, data.target, data.chosen())
        except PresetError as error:
            self.notify(str(error), title="lr finder", severity="error", markup=False)
            return
        self.app.push_screen(LRFinderScreen(run), self._use_lr)

    def _use_lr(self, lr: float | None) -> None:
        if lr is not None:
            self.query_one("#lr", Input).value = f"{lr:.3g}"
            self.notify(f"lr → {lr:.3g} in the form", title="lr finder", markup=False)

    def action_toggle_log(self) -> None:
        """l: the Train chart's y axis between linear and log10."""
        self.query_one(TrainLive).toggle_log()

    def action_toggle_accuracy(self) -> None:
        """a: the Train chart between loss and validation accuracy (classification runs)."""
        self.query_one(TrainLive).toggle_accuracy()

    def action_toggle_batches(self) -> None:
        """b: the Train chart's batch points between the epoch marks on or off."""
        self.query_one(TrainLive).toggle_batches()

    def action_next_smoothing(self) -> None:
        """s: the Train chart's next smoothing weight (0, 0.6, 0.9, 0.99)."""
        self.query_one(TrainLive).next_smoothing()
