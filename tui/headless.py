"""Headless runs: the run's events printed as the original project's example does.

"MSE and MAE before train", epoch lines at a readable interval, "Early stopping at epoch N (best
epoch M restored)", a before/after table for validation and test, and the run directory. On a
terminal a progress line is redrawn in place (\r); otherwise only plain lines are written. Output is
best-effort: a closed or full stdout (`| head -1`, `> /dev/full`) silences the printer, never the run.
"""
from __future__ import annotations

import sys
import time

from npnn.events import BatchEnded, Diverged, EarlyStopped, EpochEnded, Failed, Finished
from presets import DataError, OutputError, PresetError, Run, SaveError, load_preset
from presets.catalog import NO_SCHEDULE
from presets.events import Evaluated, RunPrepared, RunSaved
from presets.overrides import options_text
from presets.schema import OPTIONS_KEY, SCHEDULE_KEY
from tui.blas import training_blas_limit
from tui.exits import EXIT_FAILED, EXIT_OK, exit_code, interrupt_name
from tui.options import Options

_NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000)
MAX_EPOCH_LINES = 20
_BAR = 24


def epoch_interval(epochs: int) -> int:
    """The smallest round step that prints at most about MAX_EPOCH_LINES epoch lines."""
    return next((s for s in _NICE_STEPS if epochs / s <= MAX_EPOCH_LINES), _NICE_STEPS[-1])


def _settings(config: dict) -> str:
    t = config["training"]
    clip = t.get("max_grad_norm", "off")
    options = t.get(OPTIONS_KEY)
    parts = [f"optimizer {t['optimizer']}" + (f" ({options_text(options)})" if options else ""), f"lr {t['lr']:g}"]
    if "dropout" in t:
        parts.append(f"dropout {t['dropout']:g}")
    parts += [f"patience {t['patience']}", f"min_delta {t['min_delta']:g}", f"epochs {t['epochs']}",
              f"batch size {t['batch_size']}", f"seed {t['seed']}", f"clip norm {clip}"]
    if t.get("lr_schedule", NO_SCHEDULE) != NO_SCHEDULE:
        schedule = t.get(SCHEDULE_KEY)
        parts.append(f"lr schedule {t['lr_schedule']}" + (f" ({options_text(schedule)})" if schedule else ""))
    return " · ".join(parts)


class HeadlessPrinter:
    """A run callback that writes progress to a text stream."""

    def __init__(self, stream=None, tty: bool | None = None):
        self.stream = stream if stream is not None else sys.stdout  # None: stdout was closed (`>&-`)
        self.tty = _isatty(self.stream) if tty is None else tty
        self.task = "regression"
        self.interval = 1
        self.last_epoch: EpochEnded | None = None
        self.last_printed = 0
        self.before: dict = {}
        self.after: dict = {}
        self.started = time.perf_counter()
        self._progress_shown = False

    def _write(self, text: str) -> None:
        """Write and flush; the first failure (closed pipe, full disk) silences the printer for good."""
        if self.stream is None:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.stream = None

    def line(self, text: str = "") -> None:
        if self._progress_shown:
            self._write("\r\x1b[K")
            self._progress_shown = False
        self._write(text + "\n")

    def _progress(self, epoch: int, epochs: int, batch: int, batches: int, loss: float) -> None:
        if not self.tty:
            return
        done = ((epoch - 1) + batch / max(batches, 1)) / epochs
        filled = int(round(done * _BAR))
        bar = "━" * filled + "╸" * (filled < _BAR) + " " * max(_BAR - filled - 1, 0)
        self._write(f"\r\x1b[K{bar} epoch {epoch}/{epochs} · batch {batch}/{batches} · loss {loss:.4f}")
        self._progress_shown = True

    def _epoch_line(self, event: EpochEnded) -> None:
        text = f"Epoch {event.epoch:>4}: train loss {event.train_loss:.4f}"
        if event.val_loss is not None:
            text += f"  val loss {event.val_loss:.4f}"
        if "accuracy" in event.metrics:
            text += f"  val accuracy {event.metrics['accuracy']:.4f}"
        self.line(text)
        self.last_printed = event.epoch

    def _metrics_block(self, stage: str) -> None:
        title = "MSE and MAE" + (" and accuracy" if self.task == "classification" else "")
        self.line(f"{title} {stage} train:")
        results = self.before if stage == "before" else self.after
        for split in ("val", "test"):
            m = results.get(split, {})
            text = f"  {split:<5} MSE: {m['mse']:.4f}  MAE: {m['mae']:.4f}"
            if "accuracy" in m:
                text += f"  accuracy: {m['accuracy']:.4f}"
            self.line(text)

    def _table(self) -> None:
        names = ["mse", "mae"] + (["accuracy"] if self.task == "classification" else [])
        self.line()
        self.line(f"{'':<6}" + "".join(f"{name.upper() if name != 'accuracy' else 'Accuracy':>20}" for name in names))
        self.line(f"{'':<6}" + f"{'before':>10}{'after':>10}" * len(names))
        for split in ("val", "test"):
            cells = "".join(f"{self.before[split][n]:>10.4f}{self.after[split][n]:>10.4f}" for n in names)
            self.line(f"{split:<6}{cells}")

    def __call__(self, event) -> None:
        if isinstance(event, RunPrepared):
            self.task = event.task
            self.interval = epoch_interval(event.config["training"]["epochs"])
            self.line(f"Preset {event.preset}: {event.data_description}")
            if event.notice:
                self.line(f"Notice: {event.notice}")
            layers = " ".join(row[0] for row in event.model_summary)
            self.line(f"Model: {layers} · {event.num_parameters:,} parameters")
            self.line(f"Settings: {_settings(event.config)}")
            self.line()
        elif isinstance(event, Evaluated):
            (self.before if event.stage == "before" else self.after)[event.split] = event.metrics
            if event.stage == "before" and event.split == "test":
                self._metrics_block("before")
                self.line()
            if event.stage == "after" and event.split == "test":
                self._table()
        elif isinstance(event, BatchEnded):
            self._progress(event.epoch, event.epochs, event.batch, event.batches, event.loss)
        elif isinstance(event, EpochEnded):
            self.last_epoch = event
            if event.epoch == 1 or event.epoch % self.interval == 0 or event.epoch == event.epochs:
                self._epoch_line(event)
        elif isinstance(event, (EarlyStopped, Diverged, Finished, Failed)):
            self._on_end(event)
        elif isinstance(event, RunSaved):
            seconds = time.perf_counter() - self.started
            label = "Run saved to" if event.reason in ("completed", "early_stopped", "diverged") \
                else "Partial run saved to"
            self.line()
            self.line(f"{label} {event.run_dir} ({event.reason}, {seconds:.1f} s)")

    def _on_end(self, event) -> None:
        if self.last_epoch is not None and self.last_printed != self.last_epoch.epoch:
            self._epoch_line(self.last_epoch)
        if isinstance(event, EarlyStopped):
            self.line(f"Early stopping at epoch {event.epoch} (best epoch {event.best_epoch} restored)")
        elif isinstance(event, Diverged):
            kept = f"best epoch {event.best_epoch} restored" if event.best_epoch else "no finite epoch to restore"
            self.line(f"Diverged at epoch {event.epoch}, batch {event.batch}: loss {event.loss} ({kept})")
        elif isinstance(event, Finished) and event.reason == "stopped":
            self.line("Stopped.")
        elif isinstance(event, Failed):
            what = "Interrupted" if isinstance(event.error, KeyboardInterrupt) else "Failed"
            epoch = self.last_epoch.epoch if self.last_epoch else 0
            self.line(f"{what} after {epoch} epoch(s).")


def _isatty(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):
        return False


def run_headless(options: Options, stream=None) -> int:
    """Load the preset with the command line's overrides, train with a HeadlessPrinter, return the exit code.

    Preset, data and --out errors propagate (the command line turns them into exit code 2); --out is
    checked before any data is loaded. SIGTERM / SIGHUP arrive as tui.exits.Interrupted (see tui.cli).
    """
    preset = load_preset(options.preset, options.overrides)
    run = Run(preset, out_dir=options.out, data_path=options.data, target=options.target,
              download=options.download)
    run.check_out_dir()
    printer = HeadlessPrinter(stream)
    try:
        run.prepare()
        with training_blas_limit():
            run.execute(callbacks=(printer,))
    except KeyboardInterrupt as interrupt:
        printer.line(f"Interrupted ({interrupt_name(interrupt)}).")
        return exit_code(interrupt)
    except SaveError as error:
        printer.line()
        print(f"npnn-tui: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (DataError, PresetError, OutputError):
        raise
    except Exception as error:
        printer.line()
        print(f"npnn-tui: error: training failed: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
