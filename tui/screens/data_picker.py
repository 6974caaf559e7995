"""The data picker (ctrl+o): a CSV (then its target column), an MNIST .npz or IDX folder, or built-in data.

Files are found in a tree that can go up a folder (Backspace, or the Up button), or by a path typed or
pasted into the path field, where Tab completes as a shell does. Enter on a file chooses it; one that needs
no target column (an .npz, IDX files) is used at once.

It returns a DataChoice to the trainer, which re-prepares the selected preset with it, so a file that
does not fit the preset is reported in the data note before F5.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label, Select, Static

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


def complete(text: str, base: Path) -> tuple[str, list[str]]:
    """Shell-like completion of the path `text` (relative to `base`): the text extended by what every match
    shares (a folder gets its "/"), and the names that match when there are several."""
    head, _, prefix = text.rpartition("/") if "/" in text else ("", "", text)
    folder = Path(os.path.expanduser(head + "/" if text.startswith("/") and not head else head or "."))
    folder = folder if folder.is_absolute() else base / folder
    try:
        names = sorted(entry.name + ("/" if entry.is_dir() else "") for entry in os.scandir(folder)
                       if entry.name.startswith(prefix) and (prefix.startswith(".") or not entry.name.startswith(".")))
    except OSError:
        return text, []
    if not names:
        return text, []
    shared = os.path.commonprefix(names)
    start = text[:len(text) - len(prefix)]
    return start + shared, names if len(names) > 1 else []


class PathInput(Input):
    """The path field: Tab completes the path (a shell's Tab); with nothing typed Tab moves on."""

    BINDINGS = [Binding("tab", "complete", "Complete", show=False)]

    def action_complete(self) -> None:
        if not self.value:
            self.screen.focus_next()
            return
        self.screen.complete_path()


class DataTree(DirectoryTree):
    """Folders and the files npnn can read as data; hidden entries left out."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if not p.name.startswith(".")
                and (p.is_dir() or p.name.lower().endswith(DATA_SUFFIXES))]


class DataPicker(ModalScreen[DataChoice | None]):
    """Pick a file or folder in the tree (Enter), a target column for a CSV, then Use; Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+b", "built_in", "Built-in data"),
                Binding("backspace", "up", "Up a folder")]

    def __init__(self, start: Path, current: DataChoice) -> None:
        super().__init__()
        self._start, self._current = start, current
        self._path: Path | None = Path(current.path) if current.path else None
        self._root = start.resolve()

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label("Data: a CSV + its target column, MNIST .npz or IDX folder, or built in")
            yield PathInput(placeholder="type or paste a path (Tab completes), Enter", compact=True, id="picker-path")
            yield Static(self._where(), id="picker-where", markup=False)
            yield DataTree(self._root, id="picker-tree")
            yield Static(self._describe(), id="picker-choice", markup=False)
            yield Select([], prompt="target column", id="picker-target", allow_blank=True, compact=True)
            with Horizontal(id="picker-buttons"):
                yield Button("Use", id="picker-use", variant="success", compact=True)
                yield Button("Up ⌫", id="picker-up", compact=True)
                yield Button("Built in ^b", id="picker-built-in", compact=True)
                yield Button("Cancel Esc", id="picker-cancel", compact=True)

    def on_mount(self) -> None:
        self._show_columns()
        self.query_one(DataTree).focus()

    def _where(self, hint: str = "") -> str:
        return hint or f"in {self._root} (Backspace: up a folder)"

    @on(Button.Pressed, "#picker-up")
    def action_up(self) -> None:
        """Backspace or Up: the tree shows the folder above the one it shows."""
        self.show_folder(self._root.parent)

    def show_folder(self, folder: Path) -> None:
        self._root = folder
        self.query_one(DataTree).path = folder
        self.query_one("#picker-where", Static).update(self._where())

    def complete_path(self) -> None:
        """Tab in the path field: complete it; several matches are listed under it."""
        field = self.query_one(PathInput)
        text, names = complete(field.value, self._root)
        matched = text != field.value or names
        field.value, field.cursor_position = text, len(text)
        hint = "  ".join(names) if names else ("" if matched else f"{text}: nothing to complete")
        self.query_one("#picker-where", Static).update(self._where(hint))

    @on(Input.Submitted, "#picker-path")
    def _path_entered(self, event: Input.Submitted) -> None:
        """Enter in the path field: a folder opens in the tree, a file is chosen (or used: see `_enter_file`)."""
        path = Path(os.path.expanduser(event.value.strip()))
        path = path if path.is_absolute() else self._root / path
        if path.is_dir():
            self.show_folder(path)
        elif path.exists():
            self._enter_file(path)
        else:
            self.query_one("#picker-where", Static).update(self._where(f"{event.value}: no such file or folder"))

    def _enter_file(self, path: Path) -> None:
        """Enter on a file: chosen; used at once unless it is a CSV, whose target column is picked next."""
        self._choose(path)
        select = self.query_one("#picker-target", Select)
        if select.display:
            select.focus()
        else:
            self.action_use()

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
        self._enter_file(event.path)

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
