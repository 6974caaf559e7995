"""The data picker (ctrl+o): a table (then its target and feature columns), an MNIST .npz or IDX folder,
or built-in data.

For a table it lists every column with the kind training would give it (judged on the first rows), a
toggle to include it, the target picked by name (default: a column called target/label/class/y, else
the last — the note says which) and the note of what the reader and the columns do. It returns a
DataChoice to the trainer, which re-prepares the selected preset with it, so a file that does not fit
the preset is reported in the data note before F5.

Files are found in a tree that can go up a folder (Backspace, or the Up button), or by a path typed or
pasted into the path field, where Tab completes as a shell does. Enter on a file chooses it; one that needs
no target column (an .npz, IDX files) is used at once.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label, Select, SelectionList, Static

from presets.errors import DataError
from presets.table.columns import default_target, describe, preview
from presets.table.read import TABLE_SUFFIXES, Table, is_table_file, read_header, read_table

DATA_SUFFIXES = (*TABLE_SUFFIXES, ".npz", ".idx", ".ubyte", ".gz")  # what the tree lists besides folders
PREVIEW_ROWS = 2000  # rows the picker reads to show each column's kind


@dataclass(frozen=True)
class DataChoice:
    """`path` None means the preset's built-in data; `target` is the CSV column to predict."""
    path: str | None = None
    target: str | None = None
    columns: tuple | None = None  # the table's feature columns (data.columns); None: all but the target
    drop: tuple | None = None     # feature columns left out (data.drop, from --drop)

    def describe(self) -> str:
        if self.path is None:
            return "built in"
        return self.path + (f" (target {self.target})" if self.target else "")

    def chosen(self) -> dict:
        """The column choice as data spec keys (data.columns / data.drop), for the run controller."""
        return {key: value for key, value in (("columns", self.columns), ("drop", self.drop)) if value is not None}


def csv_columns(path: Path) -> list[str]:
    """The header's column names as training reads them (presets.table.read.read_header); [] when the
    file cannot be read as a table or is no regular file (a FIFO would block the app, /dev/zero fill its
    memory: the data note says why once the choice is used)."""
    try:
        return read_header(path)[0]
    except DataError:
        return []


def data_note(prepared) -> str | None:
    """The app's data note for a prepared run: its notice, then what the table reader and each column did."""
    lines = [prepared.notice] if prepared.notice else []
    if prepared.table_notes:
        lines.append(" · ".join(prepared.table_notes))
    lines += describe(prepared.columns)
    return "\n".join(lines) or None


def _kind(note: dict) -> str:
    """A column's kind in a few words for its toggle: "number, 3 gaps", "text, 4 categories", "left out: ..."."""
    if note["kind"] == "number":
        return "number" + (f", {note['missing']} gaps" if note["missing"] else "")
    if note["kind"] == "category":
        return f"text, {note['categories']} categories" + (f" ({note['missing']} gaps)" if note["missing"] else "")
    return f"left out: {note['why']}"


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
        self._table: Table | None = None
        self._features_target: str | None = None  # the target the column toggles were listed for
        self._root = start.resolve()

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label("Data: a table (.csv .tsv .txt) + its target and columns, MNIST .npz or IDX folder, "
                        "or built in")
            yield PathInput(placeholder="type or paste a path (Tab completes), Enter", compact=True, id="picker-path")
            yield Static(self._where(), id="picker-where", markup=False)
            yield DataTree(self._root, id="picker-tree")
            yield Static(self._describe(), id="picker-choice", markup=False)
            yield Select([], prompt="target column", id="picker-target", allow_blank=True, compact=True)
            yield SelectionList[str](id="picker-columns", compact=True)
            yield Static("", id="picker-note", markup=False)
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
        """The target select for a table file (its previous choice, else the default target)."""
        select = self.query_one("#picker-target", Select)
        self._table, note = None, ""
        if self._path is not None and self._path.is_file() and is_table_file(self._path):
            try:
                self._table = read_table(self._path, max_rows=PREVIEW_ROWS)
            except DataError as error:
                note = str(error)
        names = self._table.names if self._table is not None else []
        select.set_options([(name, name) for name in names])
        select.display = bool(names)
        self.query_one("#picker-note", Static).update(note)
        if names:
            current = self._current.target
            select.value = current if current in names else default_target(names)[0]
        self._show_features()

    def _show_features(self) -> None:
        """Each column but the target with its kind, toggled on unless unchosen or left out; and the note."""
        columns = self.query_one("#picker-columns", SelectionList)
        columns.clear_options()
        table, target = self._table, self.query_one("#picker-target", Select).value
        columns.display = table is not None and isinstance(target, str)
        if not columns.display:
            return
        self._features_target = target
        notes, chosen, dropped = preview(table, target), self._current.columns, self._current.drop or ()
        for name, note in notes.items():
            on = note["kind"] != "left out" and (chosen is None or name in chosen) and name not in dropped
            columns.add_option((f"{name} — {_kind(note)}", name, on))
        self.query_one("#picker-note", Static).update(self._note(table, target))

    @staticmethod
    def _note(table: Table, target: str) -> str:
        named, why = default_target(table.names)
        said = f"target {target!r}" + (f" ({why})" if named == target else " (chosen)")
        rows = f"{len(table):,} rows previewed" if len(table) == PREVIEW_ROWS else f"{len(table):,} rows"
        return " · ".join([said, rows, *table.notes])

    @on(Select.Changed, "#picker-target")
    def _target_changed(self) -> None:
        if self._table is not None:
            self._show_features()

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
        self.dismiss(DataChoice(str(self._path), target, self._chosen_columns(target)))

    def _chosen_columns(self, target: str | None) -> tuple | None:
        """The toggled columns, or None when they are what training would use anyway."""
        columns = self.query_one("#picker-columns", SelectionList)
        if target is None or self._table is None:
            return None
        if self._features_target != target:  # NOTE: the target changed and its Changed message is still queued
            self._show_features()
        notes = preview(self._table, target)
        picked = tuple(name for name in notes if name in columns.selected)
        usual = tuple(name for name, note in notes.items() if note["kind"] != "left out")
        return None if picked == usual else picked

    @on(Button.Pressed, "#picker-built-in")
    def action_built_in(self) -> None:
        self.dismiss(DataChoice())

    @on(Button.Pressed, "#picker-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
