"""The data picker (ctrl+o): a CSV (then its target column), an MNIST .npz or IDX folder, or built-in data.

It returns a DataChoice to the trainer, which re-prepares the selected preset with it, so a file that
does not fit the preset is reported in the data note before F5.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Label, Select, Static

from presets.errors import DataError
from presets.files import regular_file

DATA_SUFFIXES = (".csv", ".npz", ".idx", ".ubyte", ".gz")  # what the tree lists besides folders


@dataclass(frozen=True)
class DataChoice:
    """`path` None means the preset's built-in data; `target` is the CSV column to predict."""
    path: str | None = None
    target: str | None = None

    def describe(self) -> str:
        if self.path is None:
            return "built in"
        return self.path + (f" (target {self.target})" if self.target else "")


def csv_columns(path: Path) -> list[str]:
    """The header row of a CSV file; [] when it cannot be read or is no regular file (a FIFO would block
    the app, /dev/zero fill its memory: the data note says why once the choice is used)."""
    try:
        with open(regular_file(path, "a CSV file"), newline="", encoding="utf-8-sig") as handle:
            return next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error, DataError):
        return []


class DataTree(DirectoryTree):
    """Folders and the files npnn can read as data; hidden entries left out."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if not p.name.startswith(".")
                and (p.is_dir() or p.name.lower().endswith(DATA_SUFFIXES))]


class DataPicker(ModalScreen[DataChoice | None]):
    """Pick a file or folder in the tree (Enter), a target column for a CSV, then Use; Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+b", "built_in", "Built-in data")]

    def __init__(self, start: Path, current: DataChoice) -> None:
        super().__init__()
        self._start, self._current = start, current
        self._path: Path | None = Path(current.path) if current.path else None

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label("Data: a CSV + its target column, MNIST .npz or IDX folder, or built in")
            yield DataTree(self._start, id="picker-tree")
            yield Static(self._describe(), id="picker-choice", markup=False)
            yield Select([], prompt="target column", id="picker-target", allow_blank=True, compact=True)
            with Horizontal(id="picker-buttons"):
                yield Button("Use", id="picker-use", variant="success", compact=True)
                yield Button("Built in ^b", id="picker-built-in", compact=True)
                yield Button("Cancel Esc", id="picker-cancel", compact=True)

    def on_mount(self) -> None:
        self._show_columns()
        self.query_one(DataTree).focus()

    def _describe(self) -> str:
        return "chosen: " + ("built-in data" if self._path is None else str(self._path))

    def _show_columns(self) -> None:
        select = self.query_one("#picker-target", Select)
        columns = csv_columns(self._path) if self._path is not None and self._path.suffix.lower() == ".csv" else []
        select.set_options([(name, name) for name in columns])
        select.display = bool(columns)
        if columns:
            wanted = self._current.target if self._current.target in columns else columns[-1]
            select.value = wanted

    def _choose(self, path: Path) -> None:
        self._path = path
        self.query_one("#picker-choice", Static).update(self._describe())
        self._show_columns()

    @on(DirectoryTree.FileSelected)
    def _file(self, event: DirectoryTree.FileSelected) -> None:
        self._choose(event.path)

    @on(DirectoryTree.DirectorySelected)
    def _folder(self, event: DirectoryTree.DirectorySelected) -> None:
        self._choose(event.path)  # an IDX folder

    @on(Button.Pressed, "#picker-use")
    def action_use(self) -> None:
        if self._path is None:
            self.dismiss(DataChoice())
            return
        select = self.query_one("#picker-target", Select)
        target = select.value if select.display and isinstance(select.value, str) else None
        self.dismiss(DataChoice(str(self._path), target))

    @on(Button.Pressed, "#picker-built-in")
    def action_built_in(self) -> None:
        self.dismiss(DataChoice())

    @on(Button.Pressed, "#picker-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
