"""JSON and TOML files a person may have edited, read into plain values or refused with one DocumentError.

Presets, config.toml, metrics.json, sweep.json and bundle.json all come through here, so each of them
is refused alike for what the parsers and the code after them cannot take: more than MAX_BYTES,
bytes that are not UTF-8, a syntax error, nesting deeper than MAX_DEPTH (Python's parsers recurse and
raise RecursionError) and integers beyond 64 bits (OverflowError wherever they meet a float or NumPy).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from presets.option import MAX_INT, key_text, shown

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

MAX_BYTES = 16 * 2 ** 20  # the program writes a few kilobytes; a person's file is never near this
MAX_DEPTH = 32            # the deepest file the program writes nests 4 levels (training.optimizer_options.betas)


class DocumentError(ValueError):
    """A file is not a readable JSON/TOML document; the message names the file and, where known, the key."""


def read_text(path: Path, kind: str) -> str:
    """The file's text, at most MAX_BYTES of UTF-8; `kind` names the file in messages ("preset file")."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as error:
        raise DocumentError(f"{path}: cannot read {kind} ({error.strerror or error})") from None
    if len(data) > MAX_BYTES:
        raise DocumentError(f"{path}: larger than {MAX_BYTES // 2 ** 20} MiB, too large for a {kind}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DocumentError(f"{path}: a {kind} must be UTF-8 text; byte {data[error.start]:#04x} at offset "
                            f"{error.start} is not valid UTF-8") from None


def parse_toml(text: str, where: str) -> dict:
    """The TOML document in `text`, checked by `check_plain`; `where` names it in messages."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DocumentError(f"{where}: not valid TOML ({error})") from None
    except RecursionError:  # NOTE: tomllib descends one call per nested array or inline table
        raise DocumentError(f"{where}: arrays or tables nest too deeply (at most {MAX_DEPTH} levels)") from None
    except ValueError as error:  # an integer of more than sys.int_info.str_digits_check_threshold digits
        raise DocumentError(f"{where}: not valid TOML ({_first_line(error)})") from None
    check_plain(document, where)
    return document


def parse_json(text: str, where: str) -> Any:
    """The JSON document in `text`, checked by `check_plain`; `where` names it in messages."""
    try:
        document = json.loads(text)
    except RecursionError:  # NOTE: the decoder descends one call per nested array or object
        raise DocumentError(f"{where}: arrays or objects nest too deeply (at most {MAX_DEPTH} levels)") from None
    except ValueError as error:  # JSONDecodeError, and integers of thousands of digits
        raise DocumentError(f"{where}: not valid JSON ({_first_line(error)})") from None
    check_plain(document, where)
    return document


def read_toml(path: Path, kind: str) -> dict:
    """The TOML file at `path` (`kind` names it: "preset file"); DocumentError naming the file otherwise."""
    return parse_toml(read_text(path, kind), str(path))


def read_json(path: Path, kind: str) -> Any:
    """The JSON file at `path` (`kind` names it: "bundle"); DocumentError naming the file otherwise."""
    return parse_json(read_text(path, kind), str(path))


def check_plain(document: Any, where: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH and integers beyond 64 bits, naming the key (walked without
    recursion, so a document that parsed is never too deep to check)."""
    stack = [(document, "", 0)]
    while stack:
        value, key, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DocumentError(f"{where}: nests deeper than {MAX_DEPTH} levels at {key[:40]}...")
        if isinstance(value, dict):
            stack.extend((item, f"{key}.{key_text(name)}" if key else key_text(name), depth + 1)
                         for name, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, f"{key}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            raise DocumentError(f"{where}: {key or 'the document'} is {shown(value)}")


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
