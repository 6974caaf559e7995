"""A front end's training runs, one at a time and without any UI: what the next run trains (the selected
preset, the model editor's layers, the form's values), start (at full speed, or paused before its first
batch), step, resume, hot edits, stop, an interrupt by a signal, and the end of each run.

Every way to end a run goes through its presets.control.RunControl. The front end executes
`ActiveRun.execute` in a thread of its own and reports the end through `ended`: this module starts no
threads and draws nothing. After a run it keeps that run for what the user asks of it (saving the
model or history, its Inside images).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from presets import save
from presets.checkpoint import read_checkpoint
from presets.continuation import CONFIG_FILE, fork_run, resume_run
from presets.control import RunControl
from presets.errors import PresetError
from presets.overrides import apply_overrides, parse_hot_edit
from presets.registry import load_preset
from presets.run import Run, RunResult
from presets.saliency import inside_images
from presets.schema import Preset, with_model
from presets.settings import hot_settings


@dataclass(frozen=True)
class ActiveRun:
    """Run number `id` of the session and the control that drives it from other threads."""
    id: int
    run: Run
    control: RunControl

    def execute(self, callbacks=()) -> RunResult:
        """Train it (in the front end's worker thread); raises what Run.execute raises, an interrupt passed to
        RunController.interrupt among them, after the run was saved."""
        return self.run.execute(callbacks=callbacks, control=self.control)


class RunController:
    """Start, step, resume, hot-edit and stop one run at a time; keep the last one that returned."""

    def __init__(self, name: str, preset: Preset, out_dir, *, download: bool = False) -> None:
        """`name` (a preset name or path) is selected, `preset` what it loaded; runs write their directories
        into `out_dir`; `download` lets their data be downloaded."""
        self.name, self.preset = name, preset     # the selected preset; `preset` becomes each run's, overrides in
        self.layers: list | None = None          # the model editor's layers for it (None: the preset's own)
        self.out_dir, self.download = out_dir, download
        self.active: ActiveRun | None = None     # the latest run started
        self.running = False                      # it has not ended yet
        self.last: tuple[Run, RunResult] | None = None  # the latest run that returned, and its result
        self.interrupted: KeyboardInterrupt | None = None  # the signal that ends the session, once one came
        self._watching: tuple | None = None       # (run id, samples wanted) last asked of the run's monitor
        self.fork_from: Path | None = None        # a past run the next start forks (fork_next)

    @property
    def run_id(self) -> int:
        """The latest run's number (from 1; 0 before the first): events of older runs are not its."""
        return self.active.id if self.active is not None else 0

    def select(self, name: str) -> None:
        """Select preset `name` (a name or path) with its own layers; PresetError when it does not load."""
        self.preset, self.name, self.layers = load_preset(name), name, None

    def use_layers(self, layers: list) -> Preset:
        """The next runs train `layers` (the model editor's); returns the selected preset with them."""
        self.layers = layers
        return self.edited(self.preset)

    def edited(self, preset: Preset) -> Preset:
        """`preset` with the model editor's layers, once some were applied."""
        return preset if self.layers is None else with_model(preset, self.layers)

    def fork_next(self, run_dir) -> Preset:
        """The next start forks `run_dir` (from its checkpoint, with the settings the form changes): its
        config.toml becomes the selected preset, returned for the form. PresetError when it cannot."""
        run_dir = Path(run_dir)
        read_checkpoint(run_dir)
        self.select(str(run_dir / CONFIG_FILE))
        self.fork_from = run_dir
        return self.preset

    def next_preset(self, values: dict) -> Preset:
        """The selected preset with the editor's layers and the form's `values` (PresetError if they do not fit)."""
        return apply_overrides(self.edited(load_preset(self.name)), values)

    def preview(self, data_path=None, target=None, columns: dict | None = None) -> Run:
        """A Run of the selected preset on that data (None: the preset's own), to prepare without training;
        `columns`: the table's column choice (data.columns / data.drop)."""
        return self._run_of(self.edited(self.preset), data_path, target, columns)

    def trial(self, values: dict, data_path=None, target=None, columns: dict | None = None) -> Run:
        """A Run of the selected preset with the form's `values` on that data (and column choice), never
        started: for the lr finder (presets.lr_find). PresetError when the values do not fit."""
        return self._run_of(self.next_preset(values), data_path, target, columns)

    def _run_of(self, preset: Preset, data_path, target, columns: dict | None = None) -> Run:
        if columns:
            preset = replace(preset, data=replace(preset.data, **columns))
        return Run(preset, out_dir=self.out_dir, data_path=data_path, target=target, download=self.download)

    def start(self, values: dict, data_path=None, target=None, columns: dict | None = None, *,
              paused: bool = False) -> ActiveRun:
        """The next run of the selected preset with the form's `values` on that data (and column choice),
        paused before its first batch when `paused`, for the front end to execute. PresetError when the
        values do not fit."""
        if self.running:
            raise RuntimeError(f"RunController.start: run {self.run_id} has not ended")
        preset = self.next_preset(values)
        if self.fork_from is not None:
            changed = {k: v for k, v in values.items() if self.preset.settings().get(k) != v}
            run = fork_run(self.fork_from, changed, self.out_dir)
            preset, self.fork_from = run.preset, None
        else:
            run = self._run_of(preset, data_path, target, columns)
        self.active = ActiveRun(self.run_id + 1, run, RunControl(paused=paused))
        self.preset, self.running = preset, True
        return self.active

    def continue_last(self, epochs: int, *, paused: bool = False) -> ActiveRun:
        """The last run that ended (completed, early-stopped or stopped), continued from its checkpoint for
        `epochs` more epochs in its own directory (a stopped epoch counts as one). PresetError when there is
        none, or its checkpoint cannot continue it (presets.checkpoint.CheckpointError)."""
        if self.running:
            raise RuntimeError(f"RunController.continue_last: run {self.run_id} has not ended")
        if self.last is None:
            raise PresetError("nothing to continue: train a run first (F5)")
        run_dir = self.last[1].run_dir
        done = len(read_checkpoint(run_dir).loop["history"]["epoch"])
        run = resume_run(run_dir, epochs=done + int(epochs))
        self.fork_from = None
        self.active = ActiveRun(self.run_id + 1, run, RunControl(paused=paused))
        self.preset, self.running = run.preset, True
        return self.active

    @property
    def _current(self) -> ActiveRun:
        """The latest run started (read only once one has been)."""
        assert self.active is not None
        return self.active

    def step(self) -> None:
        """Let the running run train one more batch, then pause (running at full speed: pause after this one)."""
        if self.running:
            self._current.control.step()

    def resume(self) -> None:
        """Let a paused run continue at full speed."""
        if self.running:
            self._current.control.resume()

    def stop(self) -> bool:
        """End the running run before its next batch (a paused one now), its best weights kept; False when
        there is none or it is already stopping."""
        if not self.running or self._current.control.stopping:
            return False
        self._current.control.stop()
        return True

    def interrupt(self, error: KeyboardInterrupt) -> bool:
        """A signal ends the session: the running run raises `error` before its next batch (a paused one now)
        and is saved as interrupted. True while that run has still to end."""
        self.interrupted = self.interrupted or error
        if self.running:
            self._current.control.stop(error)
        return self.running

    def hot_edit(self, key: str, text: str) -> bool:
        """Change setting `key` to `text` from the running run's next batch; False when no run is going or `key`
        is no optimizer's hot setting. PresetError when the run's optimizer cannot change it mid-run or the value
        is refused (presets.overrides.parse_hot_edit: what it accepts, config.toml's [[changes]] replays)."""
        if not self.running or key not in {setting.name for setting in hot_settings()}:
            return False
        self._current.control.set(key, parse_hot_edit(self._current.run.preset, key, text))
        return True

    def ended(self, run_id: int, result: RunResult | None = None) -> bool:
        """Run `run_id`'s thread returned `result` (None: it crashed, or was interrupted and saved); False
        when that run is not the latest."""
        if run_id != self.run_id:
            return False
        self.running = False
        if result is not None:
            self.last = (self._current.run, result)
        return True

    def advice(self):
        """The latest run's verdict and next step (presets.advice) on its history so far, while it trains or
        after it; None before the first run."""
        return None if self.active is None else self.active.run.advice()

    def watch_inside(self, on_sample: Callable | None, every: int | None = None) -> None:
        """Send the running run's per-layer samples to `on_sample` (None: detach its monitor, hooks removed).
        NOTE: asking again for the same does nothing, since it would restart the monitor."""
        wanted = (self.run_id, on_sample, every)
        if not self.running or self._watching == wanted:
            return
        self._watching = wanted
        self._current.run.inside.watch(on_sample, every=every)

    def pick_image(self, index: int) -> tuple | None:
        """Test image `index` for the saliency map: the running run's monitor samples it (None returned);
        after a run, that run's (first conv filters, Saliency) (presets.saliency)."""
        if self.running:
            self._current.run.inside.select(index)
            return None
        return None if self.last is None else inside_images(self.last[0], index)

    def save_model(self, directory: Path) -> Path | None:
        """The last run's best weights as `<run name>-model.npz` in `directory`; None while a run trains or
        before the first returned. OSError when it cannot be written."""
        if self.running or self.last is None:
            return None
        run, result = self.last
        return save.save_model(run.model, result.run_dir, directory)

    def export_history(self, directory: Path) -> Path | None:
        """The last run's history.csv as `<run name>-history.csv` in `directory`; None as for save_model."""
        if self.running or self.last is None:
            return None
        result = self.last[1]
        return save.export_history(result.history, result.run_dir, directory)
