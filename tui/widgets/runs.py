"""The Runs tab: earlier runs from --out and this session's, sortable by any column, marked rows compared.

RunsTable lists one row per run directory (sweep trials under a header row per study); RunsView puts
under it the settings that differ between the marked runs and their validation curves overlaid.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich import box
from rich.table import Table
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from presets.overrides import options_text, value_text
from presets.past_runs import PastRun, load_runs, read_run
from presets.settings import all_settings, setting_names
from tui.state import fmt, percent
from tui.widgets.chart import SPARK_BLOCKS, Chart, Series

SPARK_WIDTH = 16  # the val loss column: a whole run, resampled to this many cells
LOSS_NAMES = {"mse": "MSE", "l1": "MAE", "cross_entropy": "cross-entropy"}
OVERLAY_STYLES = ("cyan", "magenta", "yellow", "green", "red", "blue", "bright_white")
MARK = "●"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    value: object  # PastRun -> the value sorted on (None: missing, sorted last)
    text: object = None  # PastRun -> the cell text (default: fmt of the value, or str)


def _setting(name: str):
    return lambda run: run.settings.get(name)


def _params(run: PastRun) -> str:
    params = (run.sweep or {}).get("params", {})
    return " ".join(f"{k}={fmt(v) if isinstance(v, (int, float)) else v}" for k, v in params.items())


def _trial(run: PastRun):
    return None if run.sweep is None else run.sweep.get("trial")


def _value_text(value, word: str = "—") -> str:
    """A setting's value in a cell: `word` for None ("off": no clipping), numbers by fmt."""
    if value is None:
        return word
    return fmt(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _setting_cell(setting):
    """The cell of a setting: its value at the start, then each hot edit of the run ("0.02→0.002")."""
    word = setting.unset[0] if setting.holds_none else "—"

    def text(run: PastRun) -> str:
        if not run.readable:
            return "—"
        values = [run.settings.get(setting.name)] + [value for name, value in run.changes if name == setting.name]
        return "→".join(_value_text(value, word) for value in values)
    return text


def _setting_columns() -> tuple[Column, ...]:
    """A column per setting that declares one (presets.settings: `column`), in the settings' order."""
    return tuple(Column(s.name, s.column, _setting(s.name), _setting_cell(s))
                 for s in all_settings().values() if s.column)


@dataclass(frozen=True)
class CurveScale:
    """The one y scale of every row's val loss curve: `low`..`high`, on log10 when they span a decade or more."""
    low: float
    high: float
    log: bool

    def position(self, value: float) -> float:
        """Where `value` lies between low (0) and high (1)."""
        f = math.log10 if self.log else float
        span = f(self.high) - f(self.low)
        return (f(value) - f(self.low)) / span if span else 0.5

    def label(self) -> str:
        return f"val loss {fmt(self.low, 3)}…{fmt(self.high, 3)}" + (" log" if self.log else "")


def curve_scale(curves) -> CurveScale | None:
    """The scale shared by `curves` (lists of val losses): None when none has a finite value."""
    values = [v for curve in curves for v in curve if v is not None and math.isfinite(v)]
    if not values:
        return None
    low, high = min(values), max(values)
    return CurveScale(low, high, log=low > 0 and high >= 10 * low)


def resample(values, width: int) -> list:
    """A whole run as at most `width` points: the mean of the finite values in each of `width` equal stretches
    of epochs (NaN where a stretch has none); a run of `width` epochs or fewer as it is."""
    values = list(values)
    if len(values) <= width:
        return values
    points = []
    for i in range(width):
        stretch = [v for v in values[i * len(values) // width:(i + 1) * len(values) // width]
                   if v is not None and math.isfinite(v)]
        points.append(sum(stretch) / len(stretch) if stretch else math.nan)
    return points


def curve_text(values, width: int, scale: CurveScale | None) -> str:
    """A run's val losses as block characters on the table's shared `scale` (a blank for a non-finite epoch)."""
    if scale is None:
        return ""
    top = len(SPARK_BLOCKS) - 1
    return "".join(SPARK_BLOCKS[min(max(round(scale.position(v) * top), 0), top)]
                   if v is not None and math.isfinite(v) else " " for v in resample(values, width))


# NOTE: the results first (best val, test, how it ended, the curve), so they show at 120 columns unscrolled;
# the curve's text is drawn by RunsTable on the scale all rows share (curve_text)
COLUMNS = (
    Column("run", "run dir", lambda r: r.name, lambda r: r.name),
    Column("best_val_loss", "best val loss", lambda r: r.best_val_loss),
    Column("test_accuracy", "test acc", lambda r: r.test.get("accuracy"),
           lambda r: "—" if r.test.get("accuracy") is None else percent(r.test["accuracy"])),
    Column("test_mse", "test MSE", lambda r: r.test.get("mse")),
    Column("end", "end", lambda r: r.reason if r.readable else "unreadable",
           lambda r: r.reason if r.readable else f"unreadable: {r.problem}"),
    Column("curve", "val loss", lambda r: r.best_val_loss),
    Column("epochs_run", "epochs run", lambda r: r.epochs_run),
    *_setting_columns(),
    Column("test_mae", "test MAE", lambda r: r.test.get("mae")),
    Column("date", "date", lambda r: r.started, lambda r: r.started.strftime("%Y-%m-%d %H:%M") if r.started else "—"),
    Column("preset", "preset", lambda r: r.preset or None),
    Column("trial", "trial", _trial,
           lambda r: "" if r.sweep is None else f"{r.sweep.get('trial')} · {r.sweep.get('state') or '?'}"),
    Column("params", "sweep params", lambda r: _params(r) or None, _params),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
_BY_KEY = {c.key: c for c in COLUMNS}


def _cell(column: Column, run: PastRun) -> str:
    if column.text is not None:
        return column.text(run)
    value = column.value(run)
    if value is None:
        return "—"
    return fmt(value) if isinstance(value, float) else str(value)


def _sort_value(value):
    """Missing values last; numbers, dates and text each compare among themselves."""
    if value is None:
        return (1, 0, "")
    if isinstance(value, datetime):
        return (0, 0, value.timestamp())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, 0, float(value))
    return (0, 1, str(value))


class RunsTable(DataTable):
    """One row per run; a sweep study's trials grouped under a header row. Click a header or press s
    on a column to sort (again: reversed); space marks the row under the cursor."""

    BINDINGS = [Binding("space", "toggle_mark", "Mark"), Binding("s", "sort_column", "Sort"),
                Binding("f", "fork", "Fork run", show=False)]

    @dataclass
    class MarksChanged(Message):
        """The marked runs changed; `runs` in the order they were marked."""
        table: RunsTable
        runs: list

    @dataclass
    class ForkAsked(Message):
        """f on a run: load its settings and checkpoint into the form, for F5 to train a fork of it."""
        run: PastRun

    def __init__(self, out_dir=None, **kwargs) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=True, **kwargs)
        self.out_dir = out_dir
        self.runs: dict[str, PastRun] = {}  # row key → run, in the order added
        self.marked: list[str] = []
        self.sort_key, self.reverse = "date", False

    def on_mount(self) -> None:
        self.add_column(" ", key="mark")
        for column in COLUMNS:
            self.add_column(column.label, key=column.key)
        if self.out_dir is not None:
            for run in load_runs(self.out_dir):
                self.runs[str(run.path)] = run
        self._rebuild()

    # --- adding runs -------------------------------------------------------------------------------

    def add_run(self, number: int, preset, epochs_run: int, best_val: float | None, test: dict, end: str,
                run_dir, val_losses=()) -> None:
        """Add this session's run `number` of `preset`: read back from its run directory when it has one,
        else (it failed before saving) from what the session knows."""
        run = read_run(run_dir) if run_dir else None
        if run is None or not run.readable:
            run = PastRun(Path(run_dir or f"session run {number}"), started=datetime.now(), preset=preset.name,
                          task=preset.task, settings=preset.settings(),
                          epochs_run=epochs_run, best_val_loss=best_val, test=dict(test), reason=end,
                          val_losses=list(val_losses), loss=preset.loss)
        self.runs[str(run.path)] = run
        self._rebuild()

    # --- ordering ------------------------------------------------------------------------------------

    def sort_by(self, key: str, reverse: bool | None = None) -> None:
        """Sort rows by column `key` (sweep trials stay under their study's header)."""
        if key not in _BY_KEY and key != "mark":
            raise ValueError(f"unknown Runs column {key!r}; columns: {', '.join(COLUMN_KEYS)}")
        self.reverse = (not self.reverse if key == self.sort_key else False) if reverse is None else reverse
        self.sort_key = key
        self._rebuild()

    def ordered(self) -> list[PastRun]:
        """Runs in the order shown: single runs, then each study's trials (studies by name)."""
        if self.sort_key == "mark":
            value = lambda key: (0, 0, float(self.marked.index(key))) if key in self.marked else (1, 0, "")  # noqa: E731
        else:
            column = _BY_KEY[self.sort_key]
            value = lambda key: _sort_value(column.value(self.runs[key]))  # noqa: E731
        keys = sorted(self.runs, key=value, reverse=self.reverse)
        if self.reverse:  # NOTE: missing values stay last whichever way the column is sorted
            keys = [k for k in keys if value(k)[0] == 0] + [k for k in keys if value(k)[0] == 1]
        single = [k for k in keys if self.runs[k].sweep is None]
        studies = sorted({self.runs[k].sweep["study"] for k in keys if self.runs[k].sweep is not None})
        grouped = [k for study in studies for k in keys
                   if self.runs[k].sweep is not None and self.runs[k].sweep["study"] == study]
        return [self.runs[k] for k in single + grouped]

    def _study_header(self, study: str, trials: list[PastRun]) -> list:
        pruned = sum(1 for t in trials if t.sweep.get("state") == "pruned")
        best = min((t.best_val_loss for t in trials if t.best_val_loss is not None), default=None)
        title = Text(f"▾ study {study} · {len(trials)} trials · {pruned} pruned · best {fmt(best)}", style="bold")
        return ["", title] + [""] * (len(COLUMNS) - 1)

    def _rebuild(self) -> None:
        cursor = self.cursor_coordinate
        self.clear()
        study = None
        runs = self.ordered()
        scale = curve_scale(run.val_losses for run in runs)
        for run in runs:
            if run.sweep is not None and run.sweep["study"] != study:
                study = run.sweep["study"]
                trials = [r for r in runs if r.sweep is not None and r.sweep["study"] == study]
                self.add_row(*self._study_header(study, trials), key=f"study:{study}")
            key = str(run.path)
            cells = [MARK if key in self.marked else ""]
            for column in COLUMNS:
                text = curve_text(run.val_losses, SPARK_WIDTH, scale) if column.key == "curve" else _cell(column, run)
                cells.append(Text(text, style="dim" if not run.readable else "") if column.key != "end" or run.readable
                             else Text(text, style="red"))
            self.add_row(*cells, key=key)
        for column in COLUMNS:
            label = scale.label() if column.key == "curve" and scale is not None else column.label
            label += (" ▼" if self.reverse else " ▲") * (column.key == self.sort_key)
            shown = self.columns[self._column_key(column.key)]
            shown.label = Text(label)
            shown.content_width = max(shown.content_width, shown.label.cell_len)  # NOTE: a longer label widens it
        self._require_update_dimensions = True
        if self.row_count:
            self.cursor_coordinate = cursor if cursor.row < self.row_count else cursor._replace(row=self.row_count - 1)

    def _column_key(self, key: str):
        return next(k for k in self.columns if k.value == key)

    # --- keys ----------------------------------------------------------------------------------------

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(event.column_key.value)

    def action_sort_column(self) -> None:
        if self.columns:
            self.sort_by(list(self.columns)[self.cursor_column].value)

    def action_fork(self) -> None:
        if self.row_count:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
            if key in self.runs and self.runs[key].readable:
                self.post_message(self.ForkAsked(self.runs[key]))

    def action_toggle_mark(self) -> None:
        if not self.row_count:
            return
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        if key not in self.runs or not self.runs[key].readable:
            return
        if key in self.marked:
            self.marked.remove(key)
        else:
            self.marked.append(key)
        self._rebuild()
        self.post_message(self.MarksChanged(self, [self.runs[k] for k in self.marked]))


def _setting_text(value) -> str:
    """A setting in the comparison table: "—" when not set, a schedule's arguments as "step_size=10, gamma=0.5"."""
    if value is None or value == {}:
        return "—"
    if isinstance(value, dict):
        return options_text(value)
    return fmt(value) if isinstance(value, float) else value_text(value)


def differing_settings(runs: list[PastRun]) -> list[str]:
    """The settings (the preset and presets.settings) whose values are not the same in every run."""
    names = ["preset", *setting_names()]
    values = {name: {repr(run.preset if name == "preset" else run.settings.get(name)) for run in runs}
              for name in names}
    return [name for name in names if len(values[name]) > 1]


def settings_diff(runs: list[PastRun]):
    """A table of the marked runs by the settings that differ between them, or a line saying why not."""
    if len(runs) < 2:
        return Text("Mark two or more runs (space) to compare their settings and overlay their validation curves.",
                    style="dim")
    names = differing_settings(runs)
    if not names:
        return Text(f"The {len(runs)} marked runs share every setting.", style="dim")
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), show_edge=False, title="settings that differ",
                  title_justify="left")
    table.add_column("run dir")
    for name in names:
        table.add_column(name, justify="right")
    for run in runs:
        cells = [run.preset if n == "preset" else run.settings.get(n) for n in names]
        table.add_row(run.name, *(_setting_text(value) for value in cells))
    return table


def overlay_series(runs: list[PastRun]) -> list:
    """The validation curves of the marked runs, one style each (the chart's Series)."""
    return [Series(run.name, run.val_losses, OVERLAY_STYLES[i % len(OVERLAY_STYLES)]) for i, run in enumerate(runs)]


def overlay(runs: list[PastRun]) -> tuple[list, str]:
    """The curves to overlay and the chart's title: only the runs trained on the first marked run's loss,
    since losses of other kinds (MSE, cross-entropy) on one y axis compare nothing; the title says who is left out."""
    loss = runs[0].loss if runs else ""
    shown = [run for run in runs if run.loss == loss]
    title = "validation loss of the marked runs"
    if len(shown) < len(runs):
        others = sorted({LOSS_NAMES.get(run.loss, run.loss) for run in runs if run.loss != loss})
        left = len(runs) - len(shown)
        title = (f"validation loss ({LOSS_NAMES.get(loss, loss)}) of {len(shown)} marked runs · {left} left out: "
                 f"{', '.join(others)} is another loss, not comparable on this axis")
    return overlay_series(shown), title


class RunsView(Vertical):
    """The runs table, then the settings that differ between the marked runs and their overlaid val curves."""

    def __init__(self, out_dir=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._out_dir = out_dir

    def compose(self):
        yield RunsTable(self._out_dir, id="runs-table")
        yield Static(settings_diff([]), id="runs-diff")
        yield Chart(id="runs-chart")

    @on(RunsTable.MarksChanged)
    def _marks_changed(self, event: RunsTable.MarksChanged) -> None:
        self.query_one("#runs-diff", Static).update(settings_diff(event.runs))
        series, title = overlay(event.runs)
        self.query_one("#runs-chart", Chart).show(series, title=title)
