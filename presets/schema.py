"""The preset schema: validated dataclasses read from TOML, with errors that name file, key and what is allowed.

A preset file is data, never code. Layout (keys are optional unless marked required):

    name, title, description   strings (name defaults to the file's stem)
    task                       "regression" | "classification" (required)
    model                      list of layer tables (required), layers registered in presets.catalog, e.g.
                               [{ type = "Linear", in_features = "auto", out_features = 128 }, { type = "ReLU" }]
    [data]      source         "diabetes" | "mnist" | "digits" | "csv" (required)
                path, target   a data file (CSV, MNIST IDX file or directory, .npz) and the CSV column to predict
                limit          keep the first N rows; test_size, val_size: fractions as in train_test_split
                split_seed     random_state of both splits; standardize: X (tabular) and y (regression)
    [training]  loss ("mse" | "l1" | "cross_entropy"), optimizer (see presets.catalog), lr,
                dropout (sets every Dropout layer), patience, min_delta, epochs, batch_size, seed,
                max_grad_norm (absent = no clipping)
    [training.optimizer_options]  the optimizer's other arguments (e.g. momentum = 0.9 for sgd)
    [[changes]] epoch, batch, name, value: a hyperparameter changed mid-run (presets.control.HOT_EDITS),
                from that batch on; a run's config.toml lists its hot edits here, so it replays them

`in_features`/`in_channels` of a layer may be "auto" (the size of what reaches it), and the last
Linear's `out_features` may be "auto" (one output for regression, one per class for classification).
A run's config.toml has this same layout, so it can be passed back as a preset to repeat the run.
"""
from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from npnn.callbacks import EarlyStopping
from npnn.data import DataLoader
from presets.catalog import LAYERS, LOSSES, OPTIMIZERS, class_default
from presets.catalog import layer as catalog_layer
from presets.control import HOT_EDITS, Change
from presets.errors import PresetError
from presets.option import Option

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TASKS = ("regression", "classification")
SOURCES = ("diabetes", "mnist", "digits", "csv")
OVERRIDE_KEYS = ("optimizer", "lr", "dropout", "patience", "min_delta", "epochs", "batch_size", "seed",
                 "max_grad_norm")
# NOTE: one Dropout rate for the whole model, so its range is the Dropout layer's own
_DROPOUT = replace(LAYERS["Dropout"].option("p"), name="dropout", help="rate of every Dropout layer")
DROPOUT_DEFAULT = LAYERS["Dropout"].option("p").default
DEFAULT_OPTIMIZER = "adam"
OPTIONS_KEY = "optimizer_options"  # [training.optimizer_options]: the optimizer's other arguments

TRAINING_FIELDS = {option.name: option for option in (
    Option("loss", str, choices=lambda: LOSSES),
    Option("optimizer", str, choices=lambda: OPTIMIZERS),
    Option("lr", float, low=0, low_open=True, help="learning rate"),
    _DROPOUT,
    Option("patience", int, low=0, help="early-stopping patience in epochs"),
    Option("min_delta", float, low=0, help="smallest val-loss decrease that counts as progress"),
    Option("epochs", int, low=1, help="epoch budget"),
    Option("batch_size", int, low=1, help="training batch size"),
    Option("seed", int, low=0, help="random seed for init, dropout and shuffling"),
    Option("max_grad_norm", float, low=0, low_open=True, help="clip the gradient norm"),
)}
DATA_FIELDS = {option.name: option for option in (
    Option("source", str, choices=SOURCES),
    Option("path", str, help="a file or directory path"),
    Option("target", str, help="a CSV column name"),
    Option("limit", int, low=1),
    Option("test_size", float, low=0, high=1, low_open=True, high_open=True),
    Option("val_size", float, low=0, high=1, low_open=True, high_open=True),
    Option("split_seed", int, low=0),
    Option("standardize", bool),
)}
TOP_FIELDS = {option.name: option for option in (
    Option("name", str), Option("title", str), Option("description", str), Option("task", str, choices=TASKS),
)}


@dataclass
class DataSpec:
    """Where the data comes from and how it is split (fractions as in sklearn's train_test_split)."""
    source: str
    path: str | None = None
    target: str | None = None
    limit: int | None = None
    test_size: float = 0.2
    val_size: float = 0.2
    split_seed: int = 42
    standardize: bool = True


@dataclass
class Preset:
    """A validated preset with overrides applied; `to_dict()` is the resolved config (same layout as the file)."""
    name: str
    title: str
    description: str
    task: str
    data: DataSpec
    model: list
    loss: str
    optimizer: str = DEFAULT_OPTIMIZER
    lr: float = class_default(OPTIMIZERS[DEFAULT_OPTIMIZER].cls, "lr")
    dropout: float | None = None     # None: the model has no Dropout layer
    patience: int = class_default(EarlyStopping, "patience")
    min_delta: float = class_default(EarlyStopping, "min_delta")
    epochs: int = 10
    batch_size: int = class_default(DataLoader, "batch_size")
    seed: int = 0
    max_grad_norm: float | None = None
    optimizer_options: dict = field(default_factory=dict)  # the optimizer's other arguments (presets.catalog)
    changes: tuple = ()              # presets.control.Change: hyperparameters changed mid-run, replayed
    path: Path | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        """The resolved config: every Dropout layer carries the effective rate; None values are left out."""
        data = {k: v for k, v in asdict(self.data).items() if v is not None}
        training = {k: getattr(self, k) for k in ("loss",) + OVERRIDE_KEYS if getattr(self, k) is not None}
        if self.optimizer_options:
            training[OPTIONS_KEY] = dict(self.optimizer_options)
        config = {"name": self.name, "title": self.title, "description": self.description, "task": self.task,
                  "model": [dict(layer) for layer in self.model], "data": data, "training": training}
        if self.changes:
            config["changes"] = [change_dict(c) for c in self.changes]
        return config


def change_dict(change: Change) -> dict:
    """A Change as config.toml's [[changes]] holds it (clipping turned off is "off": TOML has no null)."""
    value = "off" if change.value is None else list(change.value) if isinstance(change.value, tuple) else change.value
    return {"epoch": change.epoch, "batch": change.batch, "name": change.name, "value": value}


def _changes(where: str, raw) -> tuple:
    """Validate [[changes]]: positive epoch and batch, a hot-editable name, a value that parses for it."""
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        _fail(where, "changes", "a list of tables [[changes]] with epoch, batch, name and value", raw)
    out = []
    for i, item in enumerate(raw):
        key = f"changes[{i}]"
        if set(item) != {"epoch", "batch", "name", "value"}:
            _fail(where, key, "a table with exactly epoch, batch, name and value", item)
        for position in ("epoch", "batch"):
            value = item[position]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                _fail(where, f"{key}.{position}", "an integer >= 1", value)
        if item["name"] not in HOT_EDITS:
            _fail(where, f"{key}.name", f"one of {', '.join(HOT_EDITS)}", item["name"])
        out.append(Change(item["epoch"], item["batch"], item["name"], _change_value(where, key, item)))
    return tuple(out)


def _change_value(where: str, key: str, item: dict):
    name, value = item["name"], item["value"]
    if name == "betas":
        if not (isinstance(value, list) and len(value) == 2
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < 1 for v in value)):
            _fail(where, f"{key}.value", "two numbers in [0, 1) for betas", value)
        return tuple(float(v) for v in value)
    if name in TRAINING_FIELDS:
        try:
            return parse_override(name, value)
        except PresetError as error:
            raise PresetError(f"{where}: {key}.value: {error}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        _fail(where, f"{key}.value", f"a number in [0, 1) for {name}", value)
    return float(value)


def _fail(where, key, allowed, value):
    raise PresetError(f"{where}: {key} must be {allowed}, got {value!r}")


def _section(where, prefix, table, fields, required=(), tables=()):
    """Validate one TOML table against its fields' Options (`tables`: sub-tables the caller checks)."""
    if not isinstance(table, dict):
        raise PresetError(f"{where}: [{prefix}] must be a table, got {table!r}")
    out = {}
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if key in tables:
            continue
        if key not in fields:
            raise PresetError(f"{where}: unknown key {name!r}; allowed: {', '.join([*fields, *tables])}")
        out[key] = fields[key].check(value, name, where)
    for key in required:
        if key not in table:
            name = f"{prefix}.{key}" if prefix else key
            raise PresetError(f"{where}: missing required key {name!r}")
    return out


def validate_layers(where, layers) -> list:
    """Check the model's layer list against the registry (presets.catalog); return plain dicts."""
    if not isinstance(layers, list) or not layers:
        raise PresetError(f"{where}: model must be a non-empty list of layer tables, got {layers!r}")
    out = []
    for i, layer in enumerate(layers):
        key = f"model[{i}]"
        if not isinstance(layer, dict) or "type" not in layer:
            raise PresetError(f'{where}: {key} must be a table with a type, e.g. {{ type = "ReLU" }}, '
                              f"got {layer!r}")
        entry = catalog_layer(layer["type"], f"{where}: {key}")
        spec = {"type": entry.name}
        for name, value in layer.items():
            if name == "type":
                continue
            if name not in entry.option_names():
                allowed = ", ".join(entry.option_names()) or "no other keys"
                raise PresetError(f"{where}: unknown key {key}.{name} for {entry.name}; allowed: {allowed}")
            spec[name] = entry.option(name).check(value, f"{key}.{name}", where)
        for option in entry.options:
            if option.required and option.name not in spec:
                raise PresetError(f"{where}: {key} ({entry.name}) is missing required key {option.name!r}")
        out.append(spec)
    return out


def preset_from_dict(raw: dict, where: str, default_name: str, path: Path | None = None) -> Preset:
    """Validate a parsed TOML document into a Preset."""
    unknown = set(raw) - set(TOP_FIELDS) - {"model", "data", "training", "changes"}
    if unknown:
        allowed = ", ".join([*TOP_FIELDS, "model", "[data]", "[training]", "[[changes]]"])
        raise PresetError(f"{where}: unknown key {sorted(unknown)[0]!r}; allowed: {allowed}")
    top = _section(where, "", {k: v for k, v in raw.items() if k in TOP_FIELDS}, TOP_FIELDS, ("task",))
    if "model" not in raw:
        raise PresetError(f"{where}: missing required key 'model' (a list of layer tables)")
    if "data" not in raw:
        raise PresetError(f"{where}: missing required table [data]")
    model = validate_layers(where, raw["model"])
    data = DataSpec(**_section(where, "data", raw["data"], DATA_FIELDS, ("source",)))
    table = raw.get("training", {})
    training = _section(where, "training", table, TRAINING_FIELDS, tables=(OPTIONS_KEY,))
    training[OPTIONS_KEY] = OPTIMIZERS[training.get("optimizer", DEFAULT_OPTIMIZER)].check_options(
        table.get(OPTIONS_KEY, {}), f"training.{OPTIONS_KEY}", where)
    task = top["task"]
    training.setdefault("loss", "cross_entropy" if task == "classification" else "mse")
    if (task == "classification") != (training["loss"] == "cross_entropy"):
        allowed = "cross_entropy" if task == "classification" else "mse or l1"
        _fail(where, "training.loss", f"{allowed} for a {task} task", training["loss"])
    if data.source == "csv" and not data.path:
        raise PresetError(f"{where}: data.source = \"csv\" needs data.path (or --data PATH.csv)")
    rate = training.pop("dropout", None)
    rate = _model_rate(model) if rate is None else rate
    preset = Preset(name=top.get("name", default_name), title=top.get("title", default_name),
                    description=top.get("description", ""), task=task, data=data, model=model,
                    changes=_changes(where, raw.get("changes", [])), path=path, **training)
    return with_dropout(preset, rate) if rate is not None else preset


def _model_rate(model: list) -> float | None:
    """The one Dropout rate a layer list implies: the first Dropout's p (the default when none sets it);
    None without Dropout layers."""
    if not any(layer["type"] == "Dropout" for layer in model):
        return None
    return next((layer["p"] for layer in model if layer["type"] == "Dropout" and "p" in layer), DROPOUT_DEFAULT)


def with_model(preset: Preset, model: list) -> Preset:
    """The preset with another layer list (the app's model editor), checked against the registry.

    Its Dropout layers share one rate, the first one's p, as in a preset file without training.dropout."""
    model = validate_layers(str(preset.path) if preset.path else preset.name, model)
    rate = _model_rate(model)
    preset = replace(preset, model=model, dropout=None)
    return with_dropout(preset, rate) if rate is not None else preset


def with_dropout(preset: Preset, rate: float) -> Preset:
    """Set one dropout rate on every Dropout layer (a model without Dropout layers keeps dropout None)."""
    model = [dict(layer, p=rate) if layer["type"] == "Dropout" else dict(layer) for layer in preset.model]
    has_dropout = any(layer["type"] == "Dropout" for layer in model)
    return replace(preset, model=model, dropout=rate if has_dropout else None)


_OFF = ("", "off", "none")  # max_grad_norm: no clipping


def parse_override(key: str, text):
    """Parse and validate one hyperparameter given as text (or as a value); raise PresetError if invalid."""
    if key not in OVERRIDE_KEYS:
        raise PresetError(f"unknown setting {key!r}; allowed: {', '.join(OVERRIDE_KEYS)}")
    option = TRAINING_FIELDS[key]
    if key == "max_grad_norm" and (text is None or isinstance(text, str) and text.strip().lower() in _OFF):
        return None
    try:
        return option.parse(text) if isinstance(text, str) else option.check(text)
    except PresetError:
        allowed = option.allowed + (' (or "off")' if key == "max_grad_norm" else "")
        raise PresetError(f"{key} must be {allowed}, got {text!r}") from None


def apply_overrides(preset: Preset, overrides: dict | None) -> Preset:
    """Return a copy of the preset with validated overrides applied (dropout reaches every Dropout layer).

    A new optimizer keeps those of the preset's optimizer_options it also accepts (weight_decay), no others."""
    if not overrides:
        return preset
    values = {key: parse_override(key, value) for key, value in overrides.items()}
    if values.get("optimizer", preset.optimizer) != preset.optimizer:  # options of the old one may not apply
        accepted = OPTIMIZERS[values["optimizer"]].option_names()
        values[OPTIONS_KEY] = {k: v for k, v in preset.optimizer_options.items() if k in accepted}
    rate = values.pop("dropout", None)
    preset = replace(preset, **values)
    return with_dropout(preset, rate) if rate is not None else preset


def read_preset_file(path: Path) -> Preset:
    """Parse and validate one preset file."""
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except OSError as exc:
        raise PresetError(f"{path}: cannot read preset file ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise PresetError(f"{path}: a preset file must be UTF-8 text; byte {exc.object[exc.start]:#04x} at "
                          f"offset {exc.start} is not valid UTF-8") from None
    return preset_from_dict(raw, str(path), Path(path).stem, Path(path))
