"""Overrides: a preset's settings given as text or values (command line, the app's form, sweeps, hot edits),
checked one at a time by the setting's Setting (presets.settings), then applied to a Preset and checked
together (presets.schema)."""
from __future__ import annotations

from dataclasses import replace

from presets.catalog import OPTIMIZERS, SCHEDULERS
from presets.errors import PresetError
from presets.schema import OPTIONS_KEY, SCHEDULE_KEY, Preset, check_training, with_change, with_dropout
from presets.settings import all_settings, hot_settings, optimizers_taking, setting


def parse_override(key: str, text):
    """Parse and validate one hyperparameter given as text (or as a value); raise PresetError if invalid."""
    return setting(key).parse(text)


def parse_hot_edit(preset: Preset, key: str, text):
    """A setting changed while a run of `preset` trains, checked as a preset's value is: PresetError unless the
    setting is hot-editable and the preset's optimizer takes it, its value in range, and the preset with it
    still valid (nesterov needs momentum > 0). An optimizer argument's "default" is the optimizer's own value.

    NOTE: what this accepts is what config.toml's [[changes]] records and replays (the same with_change)."""
    hot = [spec.name for spec in hot_settings(preset.optimizer)]
    if key not in hot:
        raise PresetError(f"{key} cannot change while a run of {preset.optimizer} trains; these can: {', '.join(hot)}")
    spec = setting(key)
    value = spec.parse(text)
    if value is None and spec.group == "optimizer":
        value = OPTIMIZERS[preset.optimizer].option(key).default
    with_change(preset, key, value)
    return value


def apply_overrides(preset: Preset, overrides: dict | None) -> Preset:
    """Return a copy of the preset with validated overrides applied (dropout reaches every Dropout layer).

    A new optimizer keeps those of the preset's optimizer_options it also accepts (weight_decay), no others;
    an optimizer argument given (weight_decay, momentum, ...) must be one the optimizer takes, and None drops
    it (the optimizer's default). A new lr_schedule likewise keeps the options it accepts;
    lr_schedule_options, when given, replaces the preset's."""
    if not overrides:
        return preset
    values = {key: parse_override(key, value) for key, value in overrides.items()}
    optimizer = values.get("optimizer", preset.optimizer)
    accepted = OPTIMIZERS[optimizer].option_names()
    options = {k: v for k, v in preset.optimizer_options.items() if k in accepted}  # the old one's may not apply
    for key in [key for key in values if all_settings()[key].group == "optimizer"]:
        value = values.pop(key)
        if value is None:
            options.pop(key, None)
        elif key not in accepted:
            takers = optimizers_taking(key)
            raise PresetError(f"{key}: optimizer {optimizer} takes no {key}; {', '.join(takers)} "
                              f"{'does' if len(takers) == 1 else 'do'}")
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
