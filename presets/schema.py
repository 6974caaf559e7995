"""The preset schema: validated dataclasses read from TOML, with errors that name file, key and what is allowed.

A preset file is data, never code. Layout (keys are optional unless marked required):

    name, title, description   strings (name defaults to the file's stem); the description says what
                               the preset is, nothing a flag or the data can change (the optimizer, a
                               count of images): the app shows it beside the settings and data in use
    task                       "regression" | "classification" | "sequence" (next-token prediction) (required)
    model                      list of layer tables (required), layers registered in presets.catalog, e.g.
                               [{ type = "Linear", in_features = "auto", out_features = 128 }, { type = "ReLU" }]
    [data]      source         "diabetes" | "wine" | "mnist" | "digits" | "csv"; a sequence task's
                               "addition" (generated sums) | "text" (a text file, built-in without one) (required)
                path, target   a data file (CSV, MNIST IDX file or directory, .npz) and the CSV column to predict
                limit          keep the first N rows; test_size, val_size: fractions as in train_test_split
                split_seed     random_state of both splits; standardize: X (tabular) and y (regression)
                block_size     characters a text model reads at once (source "text")
    [training]  loss ("mse" | "l1" | "cross_entropy"), optimizer (see presets.catalog), lr,
                dropout (sets every Dropout layer), patience, min_delta, epochs, batch_size, seed,
                max_grad_norm (absent = no clipping), lr_schedule ("none" | "step" | "cosine" | "plateau"),
                workers ("auto" | N: processes sharing each batch; a run's config.toml holds the count used)
    [training.optimizer_options]  the optimizer's other arguments (e.g. momentum = 0.9, nesterov = true
                for sgd; weight_decay for every optimizer; betas = [0.9, 0.999] for adam)
    [training.lr_schedule_options]  the schedule's arguments (e.g. step_size = 10, gamma = 0.5 for step)
    [[changes]] epoch, batch, name, value: a hyperparameter changed mid-run (a hot Setting, presets.settings),
                from that batch on; a run's config.toml lists its hot edits here, so it replays them

`in_features`/`in_channels` of a layer may be "auto" (the size of what reaches it), and the last
Linear's `out_features` may be "auto" (one output for regression, one per class for classification,
one per token for a sequence task).
A run's config.toml has this same layout, so it can be passed back as a preset to repeat the run.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from npnn import Tensor
from presets.catalog import LAYERS, LOSSES, NO_SCHEDULE, OPTIMIZERS, SCHEDULERS
from presets.catalog import layer as catalog_layer
from presets.control import Change
from presets.documents import DocumentError, read_toml
from presets.errors import PresetError
from presets.option import Option, key_text
from presets.settings import (
    OPTIONS_KEY,
    SCHEDULE_KEY,
    all_settings,
    hot_settings,
    is_open,
    optimizer_settings,
    settings_of,
    training_options,
)
from presets.table.columns import MAX_CATEGORIES

TASKS = ("regression", "classification", "sequence")
SOURCES = ("diabetes", "wine", "mnist", "digits", "csv", "addition", "text")
SEQUENCE_SOURCES = ("addition", "text")  # token data: the sequence task reads these and only these
DROPOUT_DEFAULT = LAYERS["Dropout"].option("p").default
# [training] keys: the loss, then those presets.settings declares (each a Preset attribute)
TRAINING_FIELDS = {"loss": Option("loss", str, choices=lambda: LOSSES), **training_options()}
DATA_FIELDS = {option.name: option for option in (
    Option("source", str, choices=SOURCES, help="where the data comes from (required; csv, mnist and text read "
                                                 "--data or path)"),
    Option("path", str, help="a file or directory path"),
    Option("target", str, help="a CSV column name"),
    Option("limit", int, low=1, help="keep the first N rows (the number of sums drawn; a text's first N "
                                     "characters)"),
    Option("test_size", float, low=0, high=1, low_open=True, high_open=True, help="share held out for the test"),
    Option("val_size", float, low=0, high=1, low_open=True, high_open=True,
           help="share of the rest held out for validation"),
    Option("split_seed", int, low=0, help="seed of the splits (and of the sums drawn)"),
    Option("standardize", bool, help="scale a table's inputs and a regression's target by the training split"),
    Option("columns", list, help="column names, the features to use"),
    Option("drop", list, help="column names, the features to leave out"),
    Option("max_categories", int, low=2, help="most distinct text values a column may hold to become categories"),
    Option("block_size", int, low=1, high=4096, help="characters a text model reads at once (source text)"),
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
    columns: tuple | None = None       # the table's feature columns (None: all but the target)
    drop: tuple | None = None          # feature columns left out
    max_categories: int = MAX_CATEGORIES  # text columns with more distinct values are left out
    block_size: int | None = None  # a text model's context, the characters it reads at once (None: the default)


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
    optimizer: str = TRAINING_FIELDS["optimizer"].default  # NOTE: each default is its Setting's (presets.settings)
    lr: float = TRAINING_FIELDS["lr"].default
    dropout: float | None = None     # None: the model has no Dropout layer
    patience: int = TRAINING_FIELDS["patience"].default
    min_delta: float = TRAINING_FIELDS["min_delta"].default
    epochs: int = TRAINING_FIELDS["epochs"].default
    batch_size: int = TRAINING_FIELDS["batch_size"].default
    seed: int = TRAINING_FIELDS["seed"].default
    max_grad_norm: float | None = TRAINING_FIELDS["max_grad_norm"].default
    lr_schedule: str = TRAINING_FIELDS["lr_schedule"].default
    workers: int | str = TRAINING_FIELDS["workers"].default
    optimizer_options: dict = field(default_factory=dict)  # the optimizer's other arguments (presets.catalog)
    lr_schedule_options: dict = field(default_factory=dict)  # the lr schedule's arguments (presets.catalog)
    changes: tuple = ()              # presets.control.Change: hyperparameters changed mid-run, replayed
    path: Path | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        """The resolved config: every Dropout layer carries the effective rate; None values are left out."""
        data = {k: v for k, v in asdict(self.data).items() if v is not None}
        training = {k: getattr(self, k) for k in TRAINING_FIELDS if getattr(self, k) is not None}
        for key in (OPTIONS_KEY, SCHEDULE_KEY):  # NOTE: as TOML reads them back: a pair is a list
            if getattr(self, key):
                training[key] = {k: list(v) if isinstance(v, tuple) else v for k, v in getattr(self, key).items()}
        config = {"name": self.name, "title": self.title, "description": self.description, "task": self.task,
                  "model": [dict(layer) for layer in self.model], "data": data, "training": training}
        if self.changes:
            config["changes"] = [change_dict(c) for c in self.changes]
        return config

    def settings(self) -> dict:
        """Each setting's value (presets.settings), as `settings_of` reads it from this preset's config."""
        return settings_of(self.to_dict()["training"])


def change_dict(change: Change) -> dict:
    """A Change as config.toml's [[changes]] holds it (its Setting writes the value: "off" for no clipping)."""
    value = all_settings()[change.name].to_toml(change.value)
    return {"epoch": change.epoch, "batch": change.batch, "name": change.name, "value": value}


def _changes(where: str, raw) -> tuple:
    """Validate [[changes]]: positive epoch and batch, a hot-editable name, a value its Option accepts."""
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        _fail(where, "changes", "a list of tables [[changes]] with epoch, batch, name and value", raw)
    hot = {setting.name: setting for setting in hot_settings()}
    out = []
    for i, item in enumerate(raw):
        key = f"changes[{i}]"
        if set(item) != {"epoch", "batch", "name", "value"}:
            _fail(where, key, "a table with exactly epoch, batch, name and value", item)
        for position in ("epoch", "batch"):
            value = item[position]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                _fail(where, f"{key}.{position}", "an integer >= 1", value)
        if not isinstance(item["name"], str) or item["name"] not in hot:
            _fail(where, f"{key}.name", f"one of {', '.join(hot)}", item["name"])
        try:
            value = hot[item["name"]].from_toml(item["value"])
        except PresetError as error:
            raise PresetError(f"{where}: {key}.value: {error}") from None
        out.append(Change(item["epoch"], item["batch"], item["name"], value))
    return tuple(out)


def _check_changes(preset: Preset, where: str) -> None:
    """Each [[changes]] entry in order: a setting the preset's optimizer takes (a run of adam has no momentum),
    leaving the settings valid together (nesterov needs momentum > 0), as a hot edit must (with_change)."""
    current = preset
    for i, change in enumerate(preset.changes):
        if not is_open(all_settings()[change.name], preset.optimizer):
            hot = ", ".join(s.name for s in hot_settings(preset.optimizer))
            _fail(where, f"changes[{i}].name", f"a setting optimizer {preset.optimizer} takes: {hot}", change.name)
        try:
            current = with_change(current, change.name, change.value)
        except PresetError as error:
            raise PresetError(f"{where}: changes[{i}]: {error}") from None


def with_change(preset: Preset, name: str, value) -> Preset:
    """The preset with setting `name` (one its optimizer takes, a value its Option accepted) set to `value`,
    checked as a whole: what a hot edit and a replayed [[changes]] entry must pass."""
    if all_settings()[name].group == "optimizer":
        return check_training(replace(preset, optimizer_options={**preset.optimizer_options, name: value}))
    return check_training(replace(preset, **{name: value}))


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
            hint = f" ({key} is an optimizer argument: put it in [training.{OPTIONS_KEY}])" \
                if prefix == "training" and key in {s.name for s in optimizer_settings()} else ""
            raise PresetError(f"{where}: unknown key {name!r}; allowed: {', '.join([*fields, *tables])}{hint}")
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
                raise PresetError(f"{where}: unknown key {key}.{key_text(name)} for {entry.name}; allowed: {allowed}")
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
    training = _section(where, "training", table, TRAINING_FIELDS, tables=(OPTIONS_KEY, SCHEDULE_KEY))
    training.update({key: table[key] for key in (OPTIONS_KEY, SCHEDULE_KEY) if key in table})
    task = top["task"]
    training.setdefault("loss", "mse" if task == "regression" else "cross_entropy")
    if (task == "regression") == (training["loss"] == "cross_entropy"):
        allowed = "mse or l1" if task == "regression" else "cross_entropy"
        _fail(where, "training.loss", f"{allowed} for a {task} task", training["loss"])
    if data.block_size is not None and data.source != "text":
        raise PresetError(f'{where}: data.block_size applies to data.source = "text" only (a text model\'s context), '
                          f"not {data.source!r}")
    if (task == "sequence") != (data.source in SEQUENCE_SOURCES):
        expected = " or ".join(repr(s) for s in SEQUENCE_SOURCES) if task == "sequence" else \
            f"a source other than {' and '.join(repr(s) for s in SEQUENCE_SOURCES)}"
        _fail(where, "data.source", f"{expected} for a {task} task", data.source)
    if data.source == "csv" and not data.path:
        raise PresetError(f"{where}: data.source = \"csv\" needs data.path (or --data PATH.csv)")
    rate = training.pop("dropout", None)
    rate = _model_rate(model) if rate is None else rate
    preset = Preset(name=top.get("name", default_name), title=top.get("title", default_name),
                    description=top.get("description", ""), task=task, data=data, model=model,
                    changes=_changes(where, raw.get("changes", [])), path=path, **training)
    preset = check_training(preset, where)
    _check_changes(preset, where)
    return with_dropout(preset, rate) if rate is not None else preset


def check_training(preset: Preset, where: str | None = None) -> Preset:
    """The preset with its optimizer's and lr schedule's options checked against the registry, then both built
    once on a stand-in parameter, so a combination npnn refuses (nesterov without momentum) is a PresetError
    naming the preset, not a failed run."""
    head = f"{where}: " if where else ""
    options = OPTIMIZERS[preset.optimizer].check_options(preset.optimizer_options, f"training.{OPTIONS_KEY}", where)
    if preset.lr_schedule == NO_SCHEDULE:
        if preset.lr_schedule_options:
            raise PresetError(f'{head}training.{SCHEDULE_KEY} is set but lr_schedule is "{NO_SCHEDULE}"; name '
                              f"one of {', '.join(SCHEDULERS)} or drop the table")
        schedule = {}
    else:
        schedule = SCHEDULERS[preset.lr_schedule].check_options(preset.lr_schedule_options,
                                                                f"training.{SCHEDULE_KEY}", where)
    try:
        optimizer = OPTIMIZERS[preset.optimizer].build([Tensor(np.zeros(1), requires_grad=True)], preset.lr,
                                                       **options)
        if schedule or preset.lr_schedule != NO_SCHEDULE:
            SCHEDULERS[preset.lr_schedule].build(optimizer, preset.epochs, **schedule)
    except (ValueError, TypeError) as error:
        raise PresetError(f"{head}[training]: {error}") from None
    return replace(preset, optimizer_options=options, lr_schedule_options=schedule)


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


def read_preset_file(path: Path) -> Preset:
    """Parse and validate one preset file."""
    try:
        raw = read_toml(path, "preset file")
    except DocumentError as error:
        raise PresetError(str(error)) from None
    return preset_from_dict(raw, str(path), Path(path).stem, Path(path))
