"""Every setting a user changes by name, one Setting each: the [training] keys below and each optimizer's
arguments, registered with the optimizer in presets.catalog. Everything else is derived from this list:
the command line's flags and --help (tui.options), the app's form and its lock note (tui.widgets.form),
hot edits and their replay from config.toml's [[changes]] (presets.control, presets.schema), sweeps'
--param names (presets.sweep), the Runs tab's columns and compared settings and docs/presets.md.

Adding an optimizer with a new knob touches two files: its npnn class (npnn/optim/) and one
`register_optimizer(..., argument(Option("knob", ...)))` call in presets/catalog.py (then regenerate
docs/presets.md); the knob is `--knob`, a form field, `knob=LOW:HIGH` in a sweep and
`[training.optimizer_options] knob` in a preset, and with `hot=True` a mid-run edit that replays.
(Before this module it also took schema.py's OPTIMIZER_KEYS, options.py's flag table, form.py's field
list, sweep.py's NUMERIC, and for a hot knob control.py's HOT_EDITS and a range check in schema.py.)
A new [training] key is one Setting in TRAINING_HEAD or TRAINING_TAIL plus its Preset field.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from npnn.callbacks import EarlyStopping
from npnn.data import DataLoader
from presets.catalog import LAYERS, NO_SCHEDULE, OPTIMIZERS, SCHEDULERS, class_default
from presets.errors import PresetError
from presets.option import AUTO, Option, Setting

OPTIONS_KEY = "optimizer_options"  # [training.optimizer_options]: the optimizer's other arguments
SCHEDULE_KEY = "lr_schedule_options"  # [training.lr_schedule_options]: the lr schedule's arguments
DEFAULT_OPTIMIZER = "adam"


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


# NOTE: one Dropout rate for the whole model, so its range and default are the Dropout layer's own
_DROPOUT = replace(LAYERS["Dropout"].option("p"), name="dropout", help="rate of every Dropout layer")
# [training] keys, in the form's order; the optimizer's arguments go after lr (see all_settings)
TRAINING_HEAD = (
    Setting(Option("optimizer", str, DEFAULT_OPTIMIZER, choices=lambda: OPTIMIZERS, help="the optimizer"),
            column="optimizer"),
    Setting(Option("lr", float, class_default(OPTIMIZERS[DEFAULT_OPTIMIZER].cls, "lr"), low=0, low_open=True,
                   help="learning rate"), "lr", hot=True, column="lr"),
)
TRAINING_TAIL = (
    Setting(_DROPOUT, column="dropout"),
    Setting(Option("patience", int, class_default(EarlyStopping, "patience"), low=0,
                   help="early-stopping patience in epochs"), column="patience"),
    Setting(Option("min_delta", float, class_default(EarlyStopping, "min_delta"), low=0,
                   help="smallest val-loss decrease that counts as progress")),
    Setting(Option("epochs", int, 10, low=1, help="epoch budget"), column="epochs"),
    Setting(Option("batch_size", int, class_default(DataLoader, "batch_size"), low=1, help="training batch size"),
            column="batch"),
    Setting(Option("seed", int, 0, low=0, help="random seed for init, dropout and shuffling"), column="seed"),
    Setting(Option("max_grad_norm", float, None, low=0, low_open=True, help="clip the gradient norm"), "Clip norm",
            flag="--clip-norm", aliases=("--max-grad-norm",), hot=True, unset=("off", "none"), column="clip norm"),
    Setting(Option("lr_schedule", str, NO_SCHEDULE, choices=lambda: (NO_SCHEDULE, *SCHEDULERS),
                   help="how the lr changes per epoch"), "LR sched", column="schedule"),
    Setting(Option(SCHEDULE_KEY, str, help="the schedule's arguments, e.g. step_size=10,gamma=0.5 (replace the "
                                            "preset's)"), "Sched args", metavar="K=V,...", group="schedule",
            read=parse_schedule_options),
    # NOTE: not a hyperparameter but how the run is computed; config.toml records the count used ("auto"
    # resolved), so a replay computes with the same count (results are reproducible per worker count)
    Setting(Option("workers", int, AUTO, low=1, auto=True,
                   help="processes that share each batch (npnn.parallel); auto: where it pays"), column="workers"),
)


def optimizer_settings() -> tuple[Setting, ...]:
    """One Setting per argument any registered optimizer takes, in registration order (first declaration)."""
    found: dict[str, Setting] = {}
    for entry in OPTIMIZERS.values():
        for setting in entry.settings:
            found.setdefault(setting.name, setting)
    return tuple(found.values())


def all_settings() -> dict[str, Setting]:
    """Every setting by name, in the form's order: the optimizer, lr, the optimizers' arguments, the rest.

    NOTE: derived on each call, so an optimizer registered later (a plug-in, a test) is included."""
    out = {setting.name: setting for setting in TRAINING_HEAD}
    for setting in (*optimizer_settings(), *TRAINING_TAIL):
        if setting.name in out:
            raise ValueError(f"optimizer argument {setting.name!r} has the name of a [training] key")
        out[setting.name] = setting
    return out


def setting_names() -> tuple[str, ...]:
    """What the command line, the app's form and sweeps may set; the Runs tab compares runs by them."""
    return tuple(all_settings())


def setting(name: str) -> Setting:
    """The Setting `name`; PresetError naming the known ones otherwise."""
    settings = all_settings()
    if name not in settings:
        raise PresetError(f"unknown setting {name!r}; allowed: {', '.join(settings)}")
    return settings[name]


def training_options() -> dict[str, Option]:
    """The Options of the [training] keys a preset sets directly (not the optimizer's or schedule's arguments)."""
    return {s.name: s.option for s in (*TRAINING_HEAD, *TRAINING_TAIL) if s.group == "training"}


def optimizers_taking(name: str) -> list[str]:
    """The registered optimizers that take the argument `name`."""
    return [key for key, entry in OPTIMIZERS.items() if name in entry.option_names()]


def is_open(setting: Setting, optimizer: str) -> bool:
    """Whether `setting` applies with `optimizer`: every [training] key does, an argument if the optimizer takes it."""
    return setting.group != "optimizer" or setting.name in OPTIMIZERS[optimizer].option_names()


def hot_settings(optimizer: str | None = None) -> tuple[Setting, ...]:
    """The settings a run may change while it trains (with `optimizer`: those open for it), in the form's order."""
    return tuple(s for s in all_settings().values() if s.hot and (optimizer is None or is_open(s, optimizer)))


def lock_note(optimizer: str) -> str:
    """What the locked form says while a run of `optimizer` trains: the hot edits it takes."""
    names = ", ".join(s.label.lower() for s in hot_settings(optimizer))
    return f"Locked while training\n{names}: Enter edits"


def describe(setting: Setting) -> str:
    """One line on what the setting is and takes (--help, docs/presets.md)."""
    option = setting.option
    if setting.group == "optimizer":
        return f"{option.help} ({', '.join(optimizers_taking(setting.name))}; default: the optimizer's own)"
    if setting.read is not None:
        return option.help
    if option.options():
        return f"{option.help}: one of {', '.join(option.options())}"
    unset = f", or {setting.unset[0]}" if setting.unset else ""
    return f"{option.help} ({option.allowed}{unset})"


def preset_value(setting: Setting, preset):
    """The setting's value in a presets.schema.Preset (an optimizer argument it does not set: None)."""
    if setting.group == "optimizer":
        return preset.optimizer_options.get(setting.name)
    return getattr(preset, setting.name)


def settings_of(training: dict) -> dict:
    """Each setting in a resolved [training] table (a run's config.toml): an optimizer argument that is not set
    reads as the optimizer's default (None when the optimizer takes no such argument), no lr_schedule as
    "none". Tolerates any TOML (old or hand-edited run directories)."""
    name = training.get("optimizer")
    entry = OPTIMIZERS.get(name) if isinstance(name, str) else None
    options = found if isinstance(found := training.get(OPTIONS_KEY), dict) else {}
    out: dict[str, Any] = {}
    for key, spec in all_settings().items():
        if spec.group == "optimizer":
            default = entry.option(key).default if entry is not None and key in entry.option_names() else None
            value = options.get(key, default)
            out[key] = tuple(value) if isinstance(value, list) else value
        else:
            out[key] = training.get(key)
    out["lr_schedule"] = out["lr_schedule"] or NO_SCHEDULE
    out[SCHEDULE_KEY] = dict(out[SCHEDULE_KEY]) if isinstance(out[SCHEDULE_KEY], dict) else {}
    return out
