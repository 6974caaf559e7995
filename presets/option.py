"""Option: one named value's type, range, choices and default; it checks values from TOML and text typed in.
Setting: an Option a user tunes by name (flag, form field, sweep, hot edit), with how the front ends show it.

The schema's fields, every layer's and optimizer's options (presets.catalog) and the app's inputs
all check values through an Option, so a range or a message is written once.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from presets.errors import PresetError

AUTO = "auto"
MAX_INT = 2 ** 63 - 1  # NOTE: larger integers overflow NumPy's int64 and float conversions (OverflowError)


class _Required:
    """The default of an option that has none (None is a real default: "let the npnn class decide")."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Option:
    """A setting of kind int, float, bool, str or list (of names); numbers may have a range, strings a set
    of choices.

    `auto`: the value may also be "auto" (a size inferred from the data). `default`: REQUIRED when the
    option has none. `choices` may be a callable, read each time, for lists that grow
    (the registered optimizers). `length`: the value is that many numbers (a TOML array, typed as
    "0.9, 0.999"), each in the range, kept as a tuple (Adam's betas).
    """
    name: str
    kind: type
    default: Any = REQUIRED
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] | Callable[[], Iterable[str]] = ()
    auto: bool = False
    length: int | None = None
    help: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def options(self) -> tuple[str, ...]:
        """The allowed strings (empty: any string, or not a string option)."""
        return tuple(self.choices() if callable(self.choices) else self.choices)

    @property
    def allowed(self) -> str:
        """What a valid value is, in words: 'an integer >= 1, or "auto"'."""
        if self.kind is list:
            text = f"a list of {self.help or 'names'}"
        elif self.kind is bool:
            text = "true or false"
        elif self.kind is str:
            text = "one of " + ", ".join(self.options()) if self.options() else "a string"
            if not self.options() and self.help:
                text += f" ({self.help})"
        else:
            parts = []
            if self.low is not None:
                parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
            if self.high is not None:
                parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
            if self.length is not None:
                text = f"{self.length} {'integers' if self.kind is int else 'numbers'}" + (", each" if parts else "")
            else:
                text = "an integer" if self.kind is int else "a number"
            text = " ".join([text, " and ".join(parts)]) if parts else text
        return f'{text}, or "auto"' if self.auto else text

    def normalize(self, value: Any) -> Any:
        """The value in its canonical form (floats for float options), or None when it is not allowed."""
        if self.auto and value == AUTO:
            return AUTO
        if self.kind is list:  # NOTE: names (data.columns); kept as a tuple, as a TOML array reads back
            names = value if isinstance(value, (list, tuple)) else None
            if names is None or not all(isinstance(name, str) and name.strip() for name in names):
                return None
            return tuple(name.strip() for name in names)
        if self.length is not None:
            if not isinstance(value, (list, tuple)) or len(value) != self.length:
                return None
            items = [replace(self, length=None).normalize(item) for item in value]
            return None if any(item is None for item in items) else tuple(items)
        if self.kind is bool or self.kind is str:
            if not isinstance(value, self.kind):
                return None
            return value if self.kind is bool or not self.options() or value in self.options() else None
        if isinstance(value, bool) or not isinstance(value, int if self.kind is int else (int, float)):
            return None
        if (abs(value) > MAX_INT) if isinstance(value, int) else not math.isfinite(value):
            return None
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return None
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            return None
        return self.kind(value)

    def check(self, value: Any, key: str | None = None, where: str | None = None) -> Any:
        """The normalized value; PresetError '<where>: <key> must be <allowed>, got <value>' if it is not allowed."""
        result = self.normalize(value)
        if result is None:
            prefix = f"{where}: " if where else ""
            raise PresetError(f"{prefix}{key or self.name} must be {self.allowed}, got {shown(value)}")
        return result

    def parse(self, text: str, key: str | None = None) -> Any:
        """A value typed as text (an input field, a command-line flag), checked; PresetError if not allowed."""
        stripped = text.strip()
        value: Any = stripped.lower() if self.kind is str or stripped.lower() == AUTO else stripped
        if self.kind is list:
            value = [name.strip() for name in stripped.split(",")] if stripped else text
        elif self.length is not None and value != AUTO:
            items = [replace(self, length=None).normalize(_number(part, self.kind))
                     for part in stripped.strip("[]()").replace(",", " ").split()]
            value = tuple(items) if len(items) == self.length and None not in items else text
        elif self.kind is bool:
            value = {"true": True, "false": False}.get(stripped.lower(), text)
        elif self.kind in (int, float) and value != AUTO:
            value = _number(stripped, self.kind)
        result = self.normalize(value)
        if result is None:
            got = shown(value if isinstance(value, int) and abs(value) > MAX_INT else text)
            raise PresetError(f"{key or self.name} must be {self.allowed}, got {got}")
        return result


def shown(value: Any) -> str:
    """A value as a message shows it: its repr, an integer beyond 64 bits by its number of digits, long
    text cut (a message stays one readable line)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        try:
            return f"an integer of {len(str(abs(value)))} digits (at most {MAX_INT})"
        except ValueError:  # NOTE: Python refuses to write integers of more than 4,300 digits as text
            return f"an integer of more than 4300 digits (at most {MAX_INT})"
    if isinstance(value, str) and len(value.strip()) > 20 and value.strip().lstrip("+-").isdigit():
        return f"an integer of {len(value.strip().lstrip('+-'))} digits"  # NOTE: typed text, shown as its number
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def key_text(name: Any) -> str:
    """A key from a file as a message shows it: as written, or its repr when it is empty or holds spaces at
    its ends or characters that do not print (a newline would break the one-line message)."""
    name = str(name)
    return name if name and name.isprintable() and name.strip() == name else repr(name)


GROUPS = ("training", "optimizer", "schedule")


@dataclass(frozen=True)
class Setting:
    """One tunable: its Option and how the command line, the app's form, sweeps and hot edits show it.

    `group`: where a preset records it and the form shows it ("training": a [training] key; "optimizer": an
    argument in [training.optimizer_options], shown after the optimizer select, enabled for the optimizers
    that take it; "schedule": the lr schedule's arguments, a table read by `read`). `hot`: it may change
    while a run trains (replayed from config.toml's [[changes]]). `unset`: the words that make it None,
    the first named in messages ("off": no clipping, "default": the optimizer's own). `column`: its header
    in the Runs tab's table ("": compared there, not a column). `label`, `flag`: default from the name.
    """
    option: Option
    label: str = ""
    flag: str = ""
    aliases: tuple[str, ...] = ()
    metavar: str = ""
    group: str = "training"
    hot: bool = False
    unset: tuple[str, ...] = ()
    column: str = ""
    read: Callable[[Any], Any] | None = None

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"setting {self.name}: group must be one of {', '.join(GROUPS)}, got {self.group!r}")
        object.__setattr__(self, "label", self.label or self.name.replace("_", " ").capitalize())
        object.__setattr__(self, "flag", self.flag or "--" + self.name.replace("_", "-"))
        if not self.metavar:
            kind = self.option.kind
            word = ("NAME" if self.option.options() else "TEXT") if kind is str else "true|false" if kind is bool \
                else "N" if kind is int else "F"
            word = ",".join([word] * self.option.length) if self.option.length else word
            object.__setattr__(self, "metavar", "|".join([word, *self.unset[:1]]))

    @property
    def name(self) -> str:
        return self.option.name

    @property
    def allowed(self) -> str:
        """What a valid value is, in words, with the word for None: 'a number > 0 (or "off")'."""
        return self.option.allowed + (f' (or "{self.unset[0]}")' if self.unset else "")

    @property
    def holds_none(self) -> bool:
        """None is a value a run holds (no clipping), not "leave it to the optimizer" (an argument's default)."""
        return bool(self.unset) and self.group != "optimizer"

    @property
    def searchable(self) -> bool:
        """A sweep can sample it: a range or a list of choices (not a pair, not a table)."""
        return self.read is None and self.option.length is None

    def parse(self, value: Any) -> Any:
        """A value typed as text, or given as a value, checked: None for an unset word (or empty text);
        PresetError '<name> must be <allowed>, got <value>' otherwise."""
        if self.read is not None:
            return self.read(value)
        if self.unset and (value is None or isinstance(value, str) and value.strip().lower() in ("", *self.unset)):
            return None
        try:
            return self.option.parse(value) if isinstance(value, str) else self.option.check(value)
        except PresetError:
            raise PresetError(f"{self.name} must be {self.allowed}, got {shown(value)}") from None

    def to_toml(self, value: Any) -> Any:
        """The value as config.toml holds it (None as the unset word: TOML has no null; a pair as a list)."""
        if value is None:
            return self.unset[0]
        return list(value) if isinstance(value, tuple) else value

    def from_toml(self, value: Any) -> Any:
        """A value read back from a TOML file (config.toml's [[changes]]), checked by the Option as a preset's is."""
        if self.holds_none and isinstance(value, str) and value.lower() in self.unset:
            return None
        return self.option.check(value)


def _number(text: str, kind: type) -> Any:
    """`text` as an int or float, or the text itself when it is not one (normalize then refuses it)."""
    try:
        return int(text) if kind is int else float(text)
    except ValueError:  # NOTE: also an integer of more digits than Python converts (4,300)
        return text
