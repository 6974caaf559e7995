"""Headless runs: the run's events printed as the original project's example does, epochs as Keras does.

"MSE and MAE before train", one line per epoch (`Epoch 3/60 · train 0.612 · val 0.640 · mse 0.61 ·
mae 0.55 · 6 ms · ETA 0:02`, at most a few a second but always a new best and the last epoch),
"Early stopping at epoch N (best epoch M restored)", a before/after table for validation and test,
the run directory and the verdict with a next step (presets.advice). On a terminal a bar over the current
epoch's batches is redrawn in place (\r); otherwise only plain lines are written. Output is best-effort: a
closed or full stdout (`| head -1`, `> /dev/full`) silences the printer, never the run.
"""
from __future__ import annotations

import shlex
import shutil
import sys
import time

from npnn.events import BatchEnded, Diverged, EarlyStopped, EpochEnded, Failed, Finished, StopReason
from presets import DataError, DownloadError, OutputError, PresetError, Run, load_preset
from presets.catalog import NO_SCHEDULE
from presets.continuation import fork_run, resume_run
from presets.events import Evaluated, RunPrepared, RunSaved, SamplesDrawn
from presets.option import AUTO
from presets.overrides import options_text
from presets.schema import OPTIONS_KEY, SCHEDULE_KEY
from presets.table.columns import describe
from tui.blas import training_blas_limit
from tui.exits import EXIT_OK, exit_code, interrupt_name
from tui.failures import exit_status
from tui.options import Options, check_flags_apply, with_data_flags
from tui.state import clock, printable

UNIT_METRICS = ("mae_units", "rmse_units")  # a regression's errors in the target's own units (presets.run)
_LABELS = {"accuracy": "Accuracy", "mae_units": "MAE (units)", "rmse_units": "RMSE (units)",
           "perplexity": "Perplexity", "exact_match": "Exact match"}
SEQUENCE_SCORES = ("perplexity", "accuracy", "exact_match")  # a sequence run's, beside its loss (presets.run)
LINES_PER_SECOND = 4  # epoch lines on a fast run; a new best epoch and the last epoch print regardless
_BAR = 24


def _num(value) -> str:
    """A loss or metric in an epoch line: 4 significant digits, trailing zeros kept (0.6190), nan spelled out."""
    return f"{value:#.4g}".rstrip(".")


def duration(seconds: float) -> str:
    """An epoch's time: "6 ms" below a second, else "1.25 s"."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def epoch_line(event: EpochEnded, eta: float | None) -> str:
    """`Epoch 3/60 · train 0.612 · val 0.640 · mse 0.61 · mae 0.55 · 6 ms · ETA 0:02` (accuracy first
    when there is one; "new best" when the validation loss improved)."""
    m = event.metrics
    parts = [f"Epoch {event.epoch}/{event.epochs}"]
    if "accuracy" in m:
        parts.append(f"accuracy {_num(m['accuracy'])}")
    if "exact_match" in m:
        parts.append(f"exact {_num(m['exact_match'])}")
    parts.append(f"train {_num(event.train_loss)}")
    if event.val_loss is not None:
        parts.append(f"val {_num(event.val_loss)}")
    parts += [f"{name} {_num(m[name])}" for name in ("mse", "mae") if name in m]
    parts.append(duration(event.seconds))
    if eta is not None:
        parts.append(f"ETA {clock(eta)}")
    if event.improved:
        parts.append("new best")
    return " · ".join(parts)


def samples_line(event: SamplesDrawn) -> str:
    """`  sample: 123+456=0579 ✓   045+900=0955 ✗ (0945)`, or a generated line after its prompt (newlines as ⏎);
    the best weights' after the run as `  sample, best weights (epoch 12): ...`."""
    head = f"  sample, best weights (epoch {event.epoch}): " if event.best else "  sample: "
    if event.answers:
        marks = (f"{a.prompt}{a.answer} ✓" if a.right else f"{a.prompt}{a.answer} ✗ ({a.expected})"
                 for a in event.answers)
        return head + "   ".join(marks)
    return head + printable(f"{event.prompt}│{event.text}")


def _settings(config: dict) -> str:
    t = config["training"]
    clip = t.get("max_grad_norm", "off")
    options = t.get(OPTIONS_KEY)
    parts = [f"optimizer {t['optimizer']}" + (f" ({options_text(options)})" if options else ""), f"lr {t['lr']:g}"]
    if "dropout" in t:
        parts.append(f"dropout {t['dropout']:g}")
    parts += [f"patience {t['patience']}", f"min_delta {t['min_delta']:g}", f"epochs {t['epochs']}",
              f"batch size {t['batch_size']}", f"seed {t['seed']}", f"clip norm {clip}",
              f"workers {t.get('workers', AUTO)}"]
    if t.get("lr_schedule", NO_SCHEDULE) != NO_SCHEDULE:
        schedule = t.get(SCHEDULE_KEY)
        parts.append(f"lr schedule {t['lr_schedule']}" + (f" ({options_text(schedule)})" if schedule else ""))
    return " · ".join(parts)


class HeadlessPrinter:
    """A run callback that writes progress to a text stream."""

    def __init__(self, stream=None, tty: bool | None = None, clock=time.monotonic):
        """`clock` (seconds) paces the epoch lines and times the run; tests pass a fake one."""
        self.stream = stream if stream is not None else sys.stdout  # None: stdout was closed (`>&-`)
        self.tty = _isatty(self.stream) if tty is None else tty
        self.clock = clock
        self.task = "regression"
        self.last_epoch: EpochEnded | None = None
        self.samples: SamplesDrawn | None = None  # a sequence run's latest, printed under its epoch's line
        self.last_printed = 0
        self.printed_at: float | None = None  # when the last epoch line was written
        self.epoch_seconds = 0.0              # the epochs' time so far, for the ETA
        self.before: dict = {}
        self.after: dict = {}
        self.started = clock()
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

    def _progress(self, event: BatchEnded) -> None:
        """On a terminal: `Epoch 3/60 ━━━━━━╸     12/47 · loss 0.6123`, redrawn in place, cut to its width."""
        if not self.tty:
            return
        filled = int(round(event.batch / max(event.batches, 1) * _BAR))
        bar = "━" * filled + "╸" * (filled < _BAR) + " " * max(_BAR - filled - 1, 0)
        text = f"Epoch {event.epoch}/{event.epochs} {bar} {event.batch}/{event.batches} · loss {_num(event.loss)}"
        # NOTE: a line wider than the terminal wraps, and \r\x1b[K would then clear only its last row
        self._write("\r\x1b[K" + text[:shutil.get_terminal_size().columns - 1])
        self._progress_shown = True

    def _epoch_line(self, event: EpochEnded) -> None:
        left = event.epochs - event.epoch
        eta = self.epoch_seconds / event.epoch * left if left > 0 else None
        self.line(epoch_line(event, eta))
        self.last_printed, self.printed_at = event.epoch, self.clock()
        if self.samples is not None and self.samples.epoch == event.epoch:
            self.line(samples_line(self.samples))

    def _due(self, event: EpochEnded) -> bool:
        """A line for the first, a new best and the last epoch; others at most LINES_PER_SECOND a second."""
        return (self.printed_at is None or event.improved or event.epoch == event.epochs
                or self.clock() - self.printed_at >= 1 / LINES_PER_SECOND)

    def _metrics_block(self, stage: str) -> None:
        if self.task == "sequence":
            self._sequence_block(stage)
            return
        title = "MSE and MAE" + (" and accuracy" if self.task == "classification" else "")
        self.line(f"{title} {stage} train:")
        results = self.before if stage == "before" else self.after
        for split in ("val", "test"):
            m = results.get(split, {})
            text = f"  {split:<5} MSE: {m['mse']:.4f}  MAE: {m['mae']:.4f}"
            if "accuracy" in m:
                text += f"  accuracy: {m['accuracy']:.4f}"
            text += "".join(f"  {_LABELS[name]}: {m[name]:.4g}" for name in UNIT_METRICS if name in m)
            self.line(text)

    def _sequence_block(self, stage: str) -> None:
        """Loss, perplexity, token accuracy, exact match and the accuracy at each answer position."""
        answers = "exact_match" in (self.before if stage == "before" else self.after).get("val", {})
        self.line(f"Loss, perplexity, token accuracy{' and exact match' if answers else ''} {stage} train:")
        results = self.before if stage == "before" else self.after
        for split in ("val", "test"):
            m = results.get(split, {})
            positions = " ".join(f"{value:.3f}" for value in m.get("position_accuracy", ()))
            exact = f"  exact match: {m['exact_match']:.4f}" if "exact_match" in m else ""
            self.line(f"  {split:<5} loss: {m['loss']:.4f}  perplexity: {m['perplexity']:.3f}  "
                      f"accuracy: {m['accuracy']:.4f}{exact}" + (f"  by position: {positions}" if positions else ""))

    def _table(self) -> None:
        names = [n for n in SEQUENCE_SCORES if n in self.after.get("val", {})] if self.task == "sequence" else \
            ["mse", "mae"] + (["accuracy"] if self.task == "classification" else [])
        names += [name for name in UNIT_METRICS if name in self.after.get("val", {})]
        self.line()
        self.line(f"{'':<6}" + "".join(f"{_LABELS.get(name, name.upper()):>20}" for name in names))
        self.line(f"{'':<6}" + f"{'before':>10}{'after':>10}" * len(names))
        for split in ("val", "test"):
            cells = "".join(f"{self.before[split][n]:>10.4f}{self.after[split][n]:>10.4f}" for n in names)
            self.line(f"{split:<6}{cells}")

    def _columns(self, event: RunPrepared) -> None:
        """What a table run did, per column: kind, categories, gaps filled, left out and why."""
        if event.table_notes:
            self.line(f"Table: {' · '.join(event.table_notes)}")
        if event.columns:
            self.line(f"Columns ({sum(note['kind'] != 'left out' for note in event.columns)} used of "
                      f"{len(event.columns)}):")
            for text in describe(event.columns):
                self.line(f"  {text}")

    def __call__(self, event) -> None:
        if isinstance(event, RunPrepared):
            self.task = event.task
            self.line(f"Preset {event.preset}: {event.data_description}")
            if event.notice:
                self.line(f"Notice: {event.notice}")
            self._columns(event)
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
            self._progress(event)
        elif isinstance(event, EpochEnded):
            self.last_epoch = event
            self.epoch_seconds += event.seconds
            if self._due(event):
                self._epoch_line(event)
        elif isinstance(event, SamplesDrawn):
            self.samples = event  # NOTE: after its EpochEnded: under that epoch's line if it was printed, else later
            if self.last_printed == event.epoch or event.best:
                self.line(samples_line(event))
        elif isinstance(event, (EarlyStopped, Diverged, Finished, Failed)):
            self._on_end(event)
        elif isinstance(event, RunSaved):
            seconds = self.clock() - self.started
            whole = event.reason in (StopReason.COMPLETED, StopReason.EARLY_STOPPED, StopReason.DIVERGED)
            label = "Run saved to" if whole else "Partial run saved to"
            used = "" if event.workers is None else f", {event.workers} worker{'s' * (event.workers != 1)}"
            self.line()
            self.line(f"{label} {event.run_dir} ({event.reason}, {seconds:.1f} s{used})")
            if event.advice is not None:
                self.line(f"Verdict: {self._verdict(event)}")

    def _verdict(self, event: RunSaved) -> str:
        """The verdict and next step; to train longer, the command that continues the run as long again."""
        line = event.advice.line()
        if not event.advice.trains_longer or self.last_epoch is None:
            return line
        return f"{line}: {continue_command(event.run_dir, 2 * self.last_epoch.epoch)}"

    def _on_end(self, event) -> None:
        if self.last_epoch is not None and self.last_printed != self.last_epoch.epoch:
            self._epoch_line(self.last_epoch)
        if isinstance(event, EarlyStopped):
            self.line(f"Early stopping at epoch {event.epoch} (best epoch {event.best_epoch} restored)")
        elif isinstance(event, Diverged):
            kept = f"best epoch {event.best_epoch} restored" if event.best_epoch else "no finite epoch to restore"
            self.line(f"Diverged at epoch {event.epoch}, batch {event.batch}: loss {event.loss} ({kept})")
            if event.origin:
                self.line(f"  {event.origin[0].upper()}{event.origin[1:]}")
        elif isinstance(event, Finished) and event.reason == StopReason.STOPPED:
            self.line("Stopped.")
        elif isinstance(event, Failed):
            what = "Interrupted" if isinstance(event.error, KeyboardInterrupt) else "Failed"
            epoch = self.last_epoch.epoch if self.last_epoch else 0
            self.line(f"{what} after {epoch} epoch(s).")


def continue_command(run_dir: str, epochs: int) -> str:
    """The command line that continues the run in `run_dir` to `epochs` epochs in all (--resume's budget)."""
    return f"npnn-tui --headless --resume {shlex.quote(run_dir)} --epochs {epochs}"


def _isatty(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):
        return False


def _run_of(options: Options) -> Run:
    """The Run the command line asks for: a preset's, or one continuing a run (--resume, --fork)."""
    if options.resume:
        return resume_run(options.resume, options.overrides.get("epochs"))
    if options.fork:
        return fork_run(options.fork, options.overrides, options.out, options.from_epoch)
    preset = load_preset(options.preset, options.overrides)
    check_flags_apply(options, preset)
    preset = with_data_flags(options, preset)
    return Run(preset, out_dir=options.out, data_path=options.data, target=options.target, download=options.download)


def run_headless(options: Options, stream=None) -> int:
    """Load the preset with the command line's overrides, train with a HeadlessPrinter, return the exit code.

    Preset, data and --out errors and flags the preset cannot use propagate (the command line turns them
    into exit code 2, a failed download into 1); --out and the flags are checked before any data is
    loaded. Any other error while training is exit 1 through tui.failures. SIGTERM / SIGHUP arrive as
    tui.exits.Interrupted (see tui.cli).
    """
    run = _run_of(options)
    run.check_out_dir()
    printer = HeadlessPrinter(stream)
    try:
        run.prepare()
        with training_blas_limit():
            run.execute(callbacks=(printer,))
    except KeyboardInterrupt as interrupt:
        printer.line(f"Interrupted ({interrupt_name(interrupt)}).")
        return exit_code(interrupt)
    except (DataError, DownloadError, PresetError, OutputError):
        raise  # bad input (exit 2) or the network (exit 1): reported by the entry point as any command's
    except Exception as error:  # NOTE: a failed save (SaveError) says so itself, without "training failed"
        printer.line()
        return exit_status(error, doing="training")
    return EXIT_OK
