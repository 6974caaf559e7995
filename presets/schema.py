"""The preset schema: validated dataclasses read from TOML, with errors that name file, key and what is allowed.

A preset file is data, never code. Layout (keys are optional unless marked required):

    name, title, description   strings (name defaults to the file's stem)
    task                       "regression" | "classification" (required)
    model                      list of layer tables (required), from the allow-list LAYERS below, e.g.
                               [{ type = "Linear", in_features = "auto", out_features = 128 }, { type = "ReLU" }]
    [data]      source         "diabetes" | "mnist" | "digits" | "csv" (required)
                path, target   a data file (CSV, MNIST IDX file or directory, .npz) and the CSV column to predict
                limit          keep the first N rows; test_size, val_size: fractions as in train_test_split
                split_seed     random_state of both splits; standardize: X (tabular) and y (regression)
    [training]  loss ("mse" | "l1" | "cross_entropy"), optimizer, lr, dropout (sets every Dropout layer),
                patience, min_delta, epochs, batch_size, seed, max_grad_norm (absent = no clipping)

`in_features`/`in_channels` of a layer may be "auto" (the size of what reaches it), and the last
Linear's `out_features` may be "auto" (one output for regression, one per class for classification).
A run's config.toml has this same layout, so it can be passed back as a preset to repeat the run.
"""
from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from presets.errors import PresetError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

AUTO = "auto"
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw", "rmsprop")
LOSSES = ("mse", "l1", "cross_entropy")
TASKS = ("regression", "classification")
SOURCES = ("diabetes", "mnist", "digits", "csv")
OVERRIDE_KEYS = ("optimizer", "lr", "dropout", "patience", "min_delta", "epochs", "batch_size", "seed",
                 "max_grad_norm")


def _number(low=None, high=None, low_open=False, high_open=False):
    """A validator for a finite real number in a range (bools are not numbers here)."""
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    allowed = "a number" + (" " + " and ".join(parts) if parts else "")

    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return None
        if low is not None and (value <= low if low_open else value < low):
            return None
        if high is not None and (value >= high if high_open else value > high):
            return None
        return float(value)
    return check, allowed


def _integer(low):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            return None
        return int(value)
    return check, f"an integer >= {low}"


def _choice(options):
    def check(value):
        return value if isinstance(value, str) and value in options else None
    return check, "one of " + ", ".join(options)


def _kind(kind, allowed):
    def check(value):
        return value if isinstance(value, kind) else None
    return check, allowed


def _auto_or(check_allowed):
    check, allowed = check_allowed

    def auto_check(value):
        return AUTO if value == AUTO else check(value)
    return auto_check, f'{allowed}, or "auto"'


TRAINING_FIELDS = {
    "loss": _choice(LOSSES),
    "optimizer": _choice(OPTIMIZERS),
    "lr": _number(0, low_open=True),
    "dropout": _number(0, 1, high_open=True),
    "patience": _integer(0),
    "min_delta": _number(0),
    "epochs": _integer(1),
    "batch_size": _integer(1),
    "seed": _integer(0),
    "max_grad_norm": _number(0, low_open=True),
}
DATA_FIELDS = {
    "source": _choice(SOURCES),
    "path": _kind(str, "a string (a file or directory path)"),
    "target": _kind(str, "a string (a CSV column name)"),
    "limit": _integer(1),
    "test_size": _number(0, 1, low_open=True, high_open=True),
    "val_size": _number(0, 1, low_open=True, high_open=True),
    "split_seed": _integer(0),
    "standardize": _kind(bool, "true or false"),
}
TOP_FIELDS = {
    "name": _kind(str, "a string"),
    "title": _kind(str, "a string"),
    "description": _kind(str, "a string"),
    "task": _choice(TASKS),
}
# The npnn layers a preset may use, with each one's keys: (validator, required).
_SIZE, _COUNT = _integer(1), _integer(0)
_BOOL = _kind(bool, "true or false")
LAYERS = {
    "Linear": {"in_features": (_auto_or(_SIZE), False), "out_features": (_auto_or(_SIZE), True),
               "bias": (_BOOL, False)},
    "Conv2d": {"in_channels": (_auto_or(_SIZE), False), "out_channels": (_SIZE, True),
               "kernel_size": (_SIZE, True), "stride": (_SIZE, False), "padding": (_COUNT, False),
               "bias": (_BOOL, False)},
    "MaxPool2d": {"kernel_size": (_SIZE, True), "stride": (_SIZE, False)},
    "Flatten": {}, "ReLU": {}, "Sigmoid": {}, "Tanh": {},
    "Dropout": {"p": (_number(0, 1, high_open=True), False)},
}


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
    optimizer: str = "adam"
    lr: float = 1e-3
    dropout: float | None = None     # None: the model has no Dropout layer
    patience: int = 10
    min_delta: float = 0.0
    epochs: int = 10
    batch_size: int = 32
    seed: int = 0
    max_grad_norm: float | None = None
    path: Path | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        """The resolved config: every Dropout layer carries the effective rate; None values are left out."""
        data = {k: v for k, v in asdict(self.data).items() if v is not None}
        training = {k: getattr(self, k) for k in ("loss",) + OVERRIDE_KEYS if getattr(self, k) is not None}
        return {"name": self.name, "title": self.title, "description": self.description, "task": self.task,
                "model": [dict(layer) for layer in self.model], "data": data, "training": training}


def _fail(where, key, allowed, value):
    raise PresetError(f"{where}: {key} must be {allowed}, got {value!r}")


def _check(where, key, validator, value):
    check, allowed = validator
    result = check(value)
    if result is None:
        _fail(where, key, allowed, value)
    return result


def _section(where, prefix, table, fields, required=()):
    """Validate one TOML table against its field validators; unknown keys are errors."""
    if not isinstance(table, dict):
        raise PresetError(f"{where}: [{prefix}] must be a table, got {table!r}")
    out = {}
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if key not in fields:
            raise PresetError(f"{where}: unknown key {name!r}; allowed: {', '.join(fields)}")
        out[key] = _check(where, name, fields[key], value)
    for key in required:
        if key not in table:
            name = f"{prefix}.{key}" if prefix else key
            raise PresetError(f"{where}: missing required key {name!r}")
    return out


def validate_layers(where, layers) -> list:
    """Check the model's layer list against the allow-list; return plain dicts."""
    if not isinstance(layers, list) or not layers:
        raise PresetError(f"{where}: model must be a non-empty list of layer tables, got {layers!r}")
    out = []
    for i, layer in enumerate(layers):
        key = f"model[{i}]"
        if not isinstance(layer, dict) or "type" not in layer:
            raise PresetError(f'{where}: {key} must be a table with a type, e.g. {{ type = "ReLU" }}, '
                              f"got {layer!r}")
        kind = layer["type"]
        if kind not in LAYERS:
            raise PresetError(f"{where}: {key}.type must be one of {', '.join(LAYERS)}, got {kind!r}")
        params = LAYERS[kind]
        spec = {"type": kind}
        for name, value in layer.items():
            if name == "type":
                continue
            if name not in params:
                allowed = ", ".join(params) or "no other keys"
                raise PresetError(f"{where}: unknown key {key}.{name} for {kind}; allowed: {allowed}")
            spec[name] = _check(where, f"{key}.{name}", params[name][0], value)
        for name, (_, required) in params.items():
            if required and name not in spec:
                raise PresetError(f"{where}: {key} ({kind}) is missing required key {name!r}")
        out.append(spec)
    return out


def preset_from_dict(raw: dict, where: str, default_name: str, path: Path | None = None) -> Preset:
    """Validate a parsed TOML document into a Preset."""
    unknown = set(raw) - set(TOP_FIELDS) - {"model", "data", "training"}
    if unknown:
        allowed = ", ".join([*TOP_FIELDS, "model", "[data]", "[training]"])
        raise PresetError(f"{where}: unknown key {sorted(unknown)[0]!r}; allowed: {allowed}")
    top = _section(where, "", {k: v for k, v in raw.items() if k in TOP_FIELDS}, TOP_FIELDS, ("task",))
    if "model" not in raw:
        raise PresetError(f"{where}: missing required key 'model' (a list of layer tables)")
    if "data" not in raw:
        raise PresetError(f"{where}: missing required table [data]")
    model = validate_layers(where, raw["model"])
    data = DataSpec(**_section(where, "data", raw["data"], DATA_FIELDS, ("source",)))
    training = _section(where, "training", raw.get("training", {}), TRAINING_FIELDS)
    task = top["task"]
    training.setdefault("loss", "cross_entropy" if task == "classification" else "mse")
    if (task == "classification") != (training["loss"] == "cross_entropy"):
        allowed = "cross_entropy" if task == "classification" else "mse or l1"
        _fail(where, "training.loss", f"{allowed} for a {task} task", training["loss"])
    if data.source == "csv" and not data.path:
        raise PresetError(f"{where}: data.source = \"csv\" needs data.path (or --data PATH.csv)")
    dropouts = [layer["p"] for layer in model if layer["type"] == "Dropout" and "p" in layer]
    rate = training.pop("dropout", dropouts[0] if dropouts else None)
    if rate is None and any(layer["type"] == "Dropout" for layer in model):
        rate = 0.5  # PyTorch's default rate
    preset = Preset(name=top.get("name", default_name), title=top.get("title", default_name),
                    description=top.get("description", ""), task=task, data=data, model=model,
                    path=path, **training)
    return with_dropout(preset, rate) if rate is not None else preset


def with_dropout(preset: Preset, rate: float) -> Preset:
    """Set one dropout rate on every Dropout layer (a model without Dropout layers keeps dropout None)."""
    model = [dict(layer, p=rate) if layer["type"] == "Dropout" else dict(layer) for layer in preset.model]
    has_dropout = any(layer["type"] == "Dropout" for layer in model)
    return replace(preset, model=model, dropout=rate if has_dropout else None)


def parse_override(key: str, text):
    """Parse and validate one hyperparameter given as text (or as a value); raise PresetError if invalid."""
    if key not in OVERRIDE_KEYS:
        raise PresetError(f"unknown setting {key!r}; allowed: {', '.join(OVERRIDE_KEYS)}")
    check, allowed = TRAINING_FIELDS[key]
    value = text
    if isinstance(text, str):
        stripped = text.strip()
        if key == "max_grad_norm" and stripped.lower() in ("", "off", "none"):
            return None
        value = stripped.lower()
        if key != "optimizer":
            try:
                value = int(stripped) if allowed.startswith("an integer") else float(stripped)
            except ValueError:
                value = text
    elif key == "max_grad_norm" and text is None:
        return None
    result = check(value)
    if result is None:
        if key == "max_grad_norm":
            allowed += ' (or "off")'
        raise PresetError(f"{key} must be {allowed}, got {text!r}")
    return result


def apply_overrides(preset: Preset, overrides: dict | None) -> Preset:
    """Return a copy of the preset with validated overrides applied (dropout reaches every Dropout layer)."""
    if not overrides:
        return preset
    values = {key: parse_override(key, value) for key, value in overrides.items()}
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
    return preset_from_dict(raw, str(path), Path(path).stem, Path(path))
