"""Read a delimited text table (CSV, TSV, ...) into named columns: numbers as float64 with NaN for a
missing cell, text as an object array of stripped strings with "" for a missing cell.

As pandas' `read_csv` does for a user: the delimiter is sniffed (comma, semicolon, tab, pipe), quoted
fields, a UTF-8 BOM, CRLF and blank lines work, and the cells in MISSING_MARKERS count as missing.
A pandas index column (blank or "Unnamed: 0" header, distinct whole numbers) is dropped with a note.
"""
from __future__ import annotations

import csv
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from presets.errors import DataError
from presets.files import regular_file
from presets.table.encode import MISSING_MARKERS

DELIMITERS = (",", ";", "\t", "|")  # the ones sniffed, in order of preference on a tie
TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SAMPLE_CHARS = 64 * 1024
_CHUNK_ROWS = 5_000  # NOTE: rows held as Python strings at once; bounds the reader's peak memory
_INDEX_NAME = re.compile(r"^(|Unnamed: 0)$")
_MISSING = frozenset(MISSING_MARKERS)
_NAN = float("nan")


@dataclass
class Table:
    """A file's columns by name (file order), the data line each row ends on, and what the reader did."""
    path: Path
    delimiter: str
    columns: dict[str, np.ndarray]
    lines: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def is_text(self, name: str) -> bool:
        return self.columns[name].dtype == object

    def __len__(self) -> int:
        return len(self.lines)


def is_table_file(path) -> bool:
    """True for the suffixes read as delimited tables."""
    return Path(path).suffix.lower() in TABLE_SUFFIXES


def _open(path: Path):
    return open(path, newline="", encoding="utf-8-sig")


def _failure(path: Path, error: Exception) -> DataError:
    """An OSError, decoding or csv error as one DataError line naming the file."""
    if isinstance(error, OSError):
        return DataError(f"{path}: cannot read the table ({error.strerror or error})")
    if isinstance(error, UnicodeDecodeError):
        return DataError(f"{path}: not UTF-8 text (byte {error.start}: {error.reason}); save the table as UTF-8")
    return DataError(f"{path}: not a readable table ({error})")


def sniff_delimiter(path: Path, sample: str) -> str:
    """The delimiter that splits the header into several fields and most of the sample's lines into as
    many (a ragged line is then reported by its number); comma when none does.

    NOTE: csv.Sniffer guesses from character frequencies and picks letters or spaces on small files;
    trying the four usual delimiters and keeping the consistent one is what a person would do.
    """
    lines = sample.splitlines()
    if len(sample) >= _SAMPLE_CHARS and len(lines) > 1:
        lines = lines[:-1]  # NOTE: the last line of a cut sample is partial
    order = ("\t", *DELIMITERS) if path.suffix.lower() == ".tsv" else DELIMITERS
    best, best_score = ",", (0.5, 1)
    for delimiter in order:
        widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in row)]
        if not widths or widths[0] < 2:
            continue
        score = (sum(width == widths[0] for width in widths) / len(widths), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _header_row(rows) -> tuple[list[str], int]:
    for row in rows:
        if any(cell.strip() for cell in row):
            return [name.strip() for name in row], rows.line_num
    return [], 0


def read_header(path) -> tuple[list[str], str]:
    """The header's column names (stripped) and the delimiter: the one header reader the loader, predict
    and the app's data picker share. DataError when the file cannot be read as a table."""
    path = regular_file(path, "a CSV file")  # NOTE: a FIFO or /dev/zero would block or never end
    try:
        with _open(path) as handle:
            delimiter = sniff_delimiter(path, handle.read(_SAMPLE_CHARS))
            handle.seek(0)
            names, _ = _header_row(csv.reader(handle, delimiter=delimiter))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise _failure(path, error) from None
    if not names:
        raise DataError(f"{path}: expected a header row and data rows, found no non-empty line")
    return names, delimiter


def _check_names(path: Path, names: list[str]) -> None:
    """Refuse a blank name (except a pandas index column first) and a name given twice."""
    for i, name in enumerate(names):
        if not name and i > 0:
            raise DataError(f"{path}: column {i + 1} of the header has no name; name it in the header row")
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        seen.setdefault(name, []).append(i + 1)
    for name, places in seen.items():
        if len(places) > 1 and (name or places[0] > 1):
            raise DataError(f"{path}: column {name!r} appears {len(places)} times in the header (columns "
                            f"{', '.join(map(str, places))}); give each column its own name")


def _numbers(cells: tuple) -> np.ndarray:
    """The cells as float64, NaN for a missing marker; ValueError when one is text.

    NOTE: float() ignores surrounding spaces, so cells are stripped only when a padded marker (" NA ")
    makes the quick pass fail: stripping every cell costs a fifth of the read.
    """
    try:
        return np.array([_NAN if cell in _MISSING else float(cell) for cell in cells], dtype=np.float64)
    except ValueError:
        return np.array([_NAN if (c := cell.strip()) in _MISSING else float(c) for cell in cells], dtype=np.float64)


class _ColumnBuilder:
    """One column filled chunk by chunk into an array sized for every row: float64 while every cell is a
    number or missing, else int32 codes over a vocabulary of its texts.

    NOTE: one preallocated array per column, not a list of chunk arrays joined at the end: the chunks
    and their join would hold each column twice, and the freed chunks stay in the process's heap.
    """

    def __init__(self, text: bool, capacity: int) -> None:
        self.capacity, self.text = capacity, text
        self.values = np.empty(capacity, dtype=np.int32 if text else np.float64)
        self.vocabulary: dict[str, int] = {}

    def add(self, cells: tuple, start: int) -> bool:
        """Write a chunk's cells from row `start`; False when a number column meets text after its first chunk."""
        if not self.text:
            try:
                self.values[start:start + len(cells)] = _numbers(cells)
                return True
            except ValueError:
                if start:
                    return False
                self.text, self.values = True, np.empty(self.capacity, dtype=np.int32)
        vocabulary = self.vocabulary
        self.values[start:start + len(cells)] = [
            vocabulary.setdefault("" if (c := cell.strip()) in _MISSING else c, len(vocabulary)) for cell in cells]
        return True

    def finish(self, rows: int) -> np.ndarray:
        """The column's first `rows` values (numbers, or its texts as an object array)."""
        values, self.values = self.values, np.empty(0)
        if not self.text:
            return values[:rows]
        words = np.empty(len(self.vocabulary), dtype=object)
        words[:] = list(self.vocabulary)
        return words[values[:rows]]


def _line_count(path: Path) -> int:
    """How many lines the file has: no more data rows than that."""
    count = 1
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n") + block.count(b"\r")  # NOTE: a lone CR ends a line for csv too
    return count


def _read_rows(path: Path, handle, delimiter: str, names: list[str], text_columns: set[str], max_rows: int | None):
    """The columns and each row's line number; the name of a column to re-read as text, else None."""
    rows = csv.reader(handle, delimiter=delimiter)
    _header_row(rows)
    capacity = max_rows if max_rows is not None else _line_count(path)
    builders = {name: _ColumnBuilder(name in text_columns, capacity) for name in names}
    lines = array("l")
    chunk: list = []
    width = len(names)

    def flush() -> str | None:
        start = len(lines) - len(chunk)
        for name, cells in zip(names, zip(*chunk)):
            if not builders[name].add(cells, start):
                return name
        chunk.clear()
        return None

    for row in rows:
        if not row or not "".join(row).strip():
            continue
        if len(row) != width:
            raise DataError(f"{path}: line {rows.line_num} has {len(row)} fields, the header has {width} "
                            f"({DELIMITER_NAMES[delimiter]}-delimited)")
        chunk.append(row)
        lines.append(rows.line_num)
        if len(chunk) == _CHUNK_ROWS and (flipped := flush()):
            return None, None, flipped
        if len(lines) == max_rows:
            break
    if chunk and (flipped := flush()):
        return None, None, flipped
    return ({name: builder.finish(len(lines)) for name, builder in builders.items()},
            np.asarray(lines, dtype=np.int64), None)


def _drop_index(table: Table) -> None:
    """A pandas index column (first, blank or 'Unnamed: 0', distinct whole numbers) is dropped with a note."""
    first = table.names[0]
    values = table.columns[first]
    index = (_INDEX_NAME.match(first) is not None and not table.is_text(first) and np.isfinite(values).all()
             and bool(np.all(values == np.round(values))) and np.unique(values).size == values.size)
    if not index:
        if not first:
            raise DataError(f"{table.path}: column 1 of the header has no name and does not hold a row index; "
                            "name it in the header row")
        return
    del table.columns[first]
    shown = repr(first) if first else "with a blank name"
    table.notes.append(f"column 1 ({shown}) is a row index as pandas writes one: left out")


def _check_finite(table: Table) -> None:
    for name, values in table.columns.items():
        if not table.is_text(name) and np.isinf(values).any():
            row = int(np.argmax(np.isinf(values)))
            raise DataError(f"{table.path}: line {table.lines[row]}, column {name!r}: expected a finite number, "
                            f"got {str(float(values[row]))!r}")


def read_table(path, max_rows: int | None = None, text: tuple = ()) -> Table:
    """Every column of a delimited table file (its first `max_rows` rows when given: a preview; the columns
    named in `text` kept as text even when they hold numbers, as predict reads a model's categories); DataError
    (one line naming the file, line or column) when the file is not a readable table, has no data rows,
    a ragged line, or a blank or repeated name."""
    path = Path(path)
    names, delimiter = read_header(path)
    _check_names(path, names)
    text_columns = set(text) & set(names)
    try:
        while True:  # NOTE: a column that turns to text after its first chunk is read again, as text
            with _open(path) as handle:
                columns, lines, flipped = _read_rows(path, handle, delimiter, names, text_columns, max_rows)
            if flipped is None:
                break
            text_columns.add(flipped)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise _failure(path, error) from None
    if not len(lines):
        raise DataError(f"{path}: expected a header row and data rows, found only the header")
    table = Table(path, delimiter, columns, lines)
    if delimiter != ",":
        table.notes.append(f"{DELIMITER_NAMES[delimiter]}-delimited")
    _drop_index(table)
    _check_finite(table)
    return table
