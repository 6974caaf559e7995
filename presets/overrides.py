"""Overrides: a preset's settings given as text or values (command line, the app's form, sweeps), checked
one at a time by the setting's Option, then applied to a Preset and checked together (presets.schema)."""
from __future__ import annotations

from dataclasses import replace

from presets.catalog import OPTIMIZERS, SCHEDULERS
from presets.errors import PresetError
from presets.option import Option
from presets.schema import (OPTIMIZER_KEYS, OPTIONS_KEY, OVERRIDE_KEYS, SCHEDULE_KEY, TRAINING_FIELDS, Preset,
                            check_training, with_dropout)

_OFF = ("", "off", "none")  # max_grad_norm: no clipping
_DEFAULT = ("", "default")  # an optimizer argument: the optimizer's own default
# The words that make a setting None, and the one named in messages
_NONE_WORDS = {"max_grad_norm": (_OFF, "off"), **{key: (_DEFAULT, "default") for key in OPTIMIZER_KEYS}}


def setting_option(key: str) -> Option:
    """The Option that checks values of the override `key` (an optimizer argument: its first declaration,
    the optimizers agree on its type and range)."""
    if key in OPTIMIZER_KEYS:
        return next(option for entry in OPTIMIZERS.values() for option in entry.options if option.name == key)
    return TRAINING_FIELDS[key]


def parse_override(key: str, text):
    """Parse and validate one hyperparameter given as text (or as a value); raise PresetError if invalid."""
    if key not in OVERRIDE_KEYS:
        raise PresetError(f"unknown setting {key!r}; allowed: {', '.join(OVERRIDE_KEYS)}")
    if key == SCHEDULE_KEY:
        return parse_schedule_options(text)
    option = setting_option(key)
    words, word = _NONE_WORDS.get(key, ((), ""))
    if words and (text is None or isinstance(text, str) and text.strip().lower() in words):
        return None
    try:
        return option.parse(text) if isinstance(text, str) else option.check(text)
    except PresetError:
        allowed = option.allowed + (f' (or "{word}")' if words else "")
        raise PresetError(f"{key} must be {allowed}, got {text!r}") from None


def parse_schedule_options(value) -> dict:
    """lr_schedule_options as text ("step_size=10, gamma=0.5"; empty for none) or a table, each value checked
    by the option of that name (presets.catalog's schedules); whether the schedule takes it is checked with it."""
    declared = {option.name: option for entry in SCHEDULERS.values() for option in entry.options}
    if isinstance(value, str):
        pairs = [part.partition("=") for part in value.split(",") if part.strip()]
        if any(not sep for _, sep, _ in pairs):
            raise PresetError(f"{SCHEDULE_KEY} must be NAME=VALUE pairs separated by commas, got {value!r}")
        items = [(name.strip(), text) for name, _, text in pairs]
    elif isinstance(value, dict):
        items = list(value.items())
    else:
        raise PresetError(f"{SCHEDULE_KEY} must be NAME=VALUE pairs or a table, got {value!r}")
    out = {}
    for name, item in items:
        if name not in declared:
            raise PresetError(f"{SCHEDULE_KEY}: unknown option {name!r}; the schedules take {', '.join(declared)}")
        option, key = declared[name], f"{SCHEDULE_KEY}.{name}"
        out[name] = option.parse(item, key) if isinstance(item, str) else option.check(item, key)
    return out


def optimizers_taking(key: str) -> list[str]:
    """The registered optimizers that take the argument `key`."""
    return [name for name, entry in OPTIMIZERS.items() if key in entry.option_names()]


def apply_overrides(preset: Preset, overrides: dict | None) -> Preset:
    """Return a copy of the preset with validated overrides applied (dropout reaches every Dropout layer).

    A new optimizer keeps those of the preset's optimizer_options it also accepts (weight_decay), no others;
    an optimizer argument given (weight_decay, momentum, nesterov, betas) must be one the optimizer takes, and
    None drops it (the optimizer's default). A new lr_schedule likewise keeps the options it accepts;
    lr_schedule_options, when given, replaces the preset's."""
    if not overrides:
        return preset
    values = {key: parse_override(key, value) for key, value in overrides.items()}
    optimizer = values.get("optimizer", preset.optimizer)
    accepted = OPTIMIZERS[optimizer].option_names()
    options = {k: v for k, v in preset.optimizer_options.items() if k in accepted}  # the old one's may not apply
    for key in OPTIMIZER_KEYS:
        if key not in values:
            continue
        value = values.pop(key)
        if value is None:
            options.pop(key, None)
        elif key not in accepted:
            raise PresetError(f"{key}: optimizer {optimizer} takes no {key}; {', '.join(optimizers_taking(key))} do")
        else:
            options[key] = value
    values[OPTIONS_KEY] = options
    schedule = values.get("lr_schedule", preset.lr_schedule)
    if SCHEDULE_KEY not in values:
        taken = SCHEDULERS[schedule].option_names() if schedule in SCHEDULERS else ()
        values[SCHEDULE_KEY] = {k: v for k, v in preset.lr_schedule_options.items() if k in taken}
    rate = values.pop("dropout", None)
    preset = check_training(replace(preset, **values))
    return with_dropout(preset, rate) if rate is not None else preset


def value_text(value) -> str:
    """A setting's value as it is typed (parse_override reads it back): true/false, 0.001, "0.9, 0.999"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(item) for item in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def options_text(options: dict) -> str:
    """Options as "step_size=10, gamma=0.5" (how lr_schedule_options is typed; a pair shows in brackets)."""
    def text(value) -> str:
        return f"[{value_text(value)}]" if isinstance(value, (list, tuple)) else value_text(value)
    return ", ".join(f"{name}={text(value)}" for name, value in options.items())
