"""bundle.json checked as a preset is: the same Options and layer registry (presets.schema.validate_layers),
the paths it names kept inside the run directory, and the model's size bounded before anything is built.

A person may have edited the file; every refusal is a PresetError naming bundle.json, the key and what is
allowed, so `npnn-tui predict` and `export` exit 2 with one line.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, NoReturn

from presets.catalog import LAYERS
from presets.errors import PresetError
from presets.option import AUTO, Option, shown
from presets.schema import TASKS, validate_layers
from presets.table.plan_check import NOTE_KEYS, table_section

FORMAT = "npnn-bundle"
VERSION = 1
# NOTE: 10**8 float32 values are 400 MB; a hand-edited out_features of 10**9 is refused, not allocated
MAX_VALUES = 10 ** 8

_SCALARS = {option.name: option for option in (
    Option("format", str, choices=(FORMAT,)),
    Option("task", str, choices=TASKS),
    Option("weights", str, help="a file inside the run directory"),
    Option("target_name", str, default=None),
)}
_SIZE = Option("input_shape", int, low=1)
_NAME = Option("feature_names", str)
_NUMBER = Option("mean", float)
_STD = Option("std", float, low=0, low_open=True)
# Keys that may be null (or absent); their meaning depends on the task and the input (checked below)
NULLABLE = ("feature_names", "target_name", "feature_mean", "feature_std", "target_mean", "target_std",
            "class_names", "pixel_range", "vocab", "prompt_length",
            "columns", *NOTE_KEYS)  # NOTE: a table's plan (presets.table.plan_check)
REQUIRED = ("format", "version", "task", "weights", "model", "input_shape")
KEYS = (*REQUIRED, *NULLABLE)


def _fail(where: str, key: str, allowed: str, value) -> NoReturn:
    raise PresetError(f"{where}: {key} must be {allowed}, got {shown(value)}")


def _list(where: str, key: str, value, allowed: str, length: int | None = None) -> list:
    if not isinstance(value, list) or (length is not None and len(value) != length) or not value:
        count = f"{length} " if length is not None else "a non-empty list of "
        _fail(where, key, f"{count}{allowed}", value)
    return value


def _unique(where: str, key: str, values: list) -> None:
    seen = set()
    for value in values:
        if value in seen:
            raise PresetError(f"{where}: {key} holds {shown(value)} twice; each must be unique")
        seen.add(value)


def _model(where: str, raw) -> list:
    """The layer specs checked against the registry, every size a number (a bundle's are resolved)."""
    specs = validate_layers(where, raw)
    for i, spec in enumerate(specs):
        for option in LAYERS[spec["type"]].options:
            if option.auto and spec.get(option.name, option.default) == AUTO:
                raise PresetError(f"{where}: model[{i}].{option.name} must be a number (a bundle holds the "
                                  f"resolved sizes), got {shown(spec.get(option.name, AUTO))}")
    return specs


def _stats(where: str, raw: dict, name: str, length: int | None) -> tuple[list | None, list | None]:
    """`<name>_mean` and `<name>_std`: both null, or both `length` finite numbers (std > 0)."""
    mean, std = raw.get(f"{name}_mean"), raw.get(f"{name}_std")
    if (mean is None) != (std is None):
        raise PresetError(f"{where}: {name}_mean and {name}_std must both be set or both be null")
    if mean is None:
        return None, None
    mean = [_NUMBER.check(v, f"{name}_mean[{i}]", where)
            for i, v in enumerate(_list(where, f"{name}_mean", mean, "numbers", length))]
    std = [_STD.check(v, f"{name}_std[{i}]", where)
           for i, v in enumerate(_list(where, f"{name}_std", std, "numbers > 0", len(mean)))]
    return mean, std


def _class_names(where: str, value) -> list:
    names = _list(where, "class_names", value, "class names (text or numbers)")
    for i, name in enumerate(names):
        if not isinstance(name, str) and _NUMBER.normalize(name) is None:
            _fail(where, f"class_names[{i}]", "text or a finite number", name)
    if len(names) < 2 or len({isinstance(name, str) for name in names}) > 1:
        _fail(where, "class_names", "at least two class names, all text or all numbers", names)
    _unique(where, "class_names", names)
    return names


def validate_bundle(raw, where: str) -> dict:
    """bundle.json's parsed contents, checked; PresetError naming `where`, the key and what is allowed."""
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise PresetError(f'{where}: not an npnn bundle (expected "format": "{FORMAT}")')
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise PresetError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(KEYS)}")
    for key in REQUIRED:
        if key not in raw:
            raise PresetError(f"{where}: missing required key {key!r}")
    if raw["version"] != VERSION or isinstance(raw["version"], bool):
        _fail(where, "version", f"{VERSION} (the bundle layout this npnn reads)", raw["version"])
    spec = {key: option.check(raw[key], key, where) for key, option in _SCALARS.items()
            if raw.get(key) is not None or option.required}
    spec["version"] = VERSION
    spec["model"] = _model(where, raw["model"])
    shape = [_SIZE.check(v, f"input_shape[{i}]", where) for i, v in enumerate(
        _list(where, "input_shape", raw["input_shape"], "sizes: [features] or [channels, height, width]"))]
    sequence = spec["task"] == "sequence"
    if len(shape) not in (1, 3) or (sequence and len(shape) != 1):
        _fail(where, "input_shape", "[tokens] for a sequence model" if sequence else
              "[features] or [channels, height, width]", shape)
    spec["input_shape"] = shape
    _check_values(where, "input_shape", math.prod(shape))
    spec.update(_tokens(where, raw, shape[0]) if sequence else _preprocessing(where, raw, spec["task"], shape))
    spec.setdefault("target_name", None)
    _check_values(where, "model", sum(state_size(layer) for layer in spec["model"]), spec["model"])
    return spec


def _tokens(where: str, raw: dict, steps: int) -> dict:
    """A sequence model's vocabulary (token i is the character vocab[i], each once) and its prompt length
    (addition: the characters before the answer; null for a text model); the table and image keys null."""
    for key in ("feature_names", "feature_mean", "feature_std", "target_mean", "target_std", "class_names",
                "pixel_range", "columns", *NOTE_KEYS):
        if raw.get(key) is not None:
            _fail(where, key, "null for a sequence model", raw[key])
    vocab = raw.get("vocab")
    if not isinstance(vocab, str) or not vocab:
        _fail(where, "vocab", "a non-empty string of the characters the model reads (token i is vocab[i])", vocab)
    repeated = next((char for i, char in enumerate(vocab) if char in vocab[:i]), None)
    if repeated is not None:
        raise PresetError(f"{where}: vocab holds {shown(repeated)} twice; each character must be unique")
    length = raw.get("prompt_length")
    if length is not None:
        length = Option("prompt_length", int, low=1, high=steps).check(length, "prompt_length", where)
    out: dict[str, Any] = {key: None for key in ("feature_names", "feature_mean", "feature_std", "target_mean",
                                                 "target_std", "class_names", "pixel_range")}
    return out | {"vocab": vocab, "prompt_length": length}


def _preprocessing(where: str, raw: dict, task: str, shape: list) -> dict:
    """Feature names and statistics (tables only), target statistics (regression) and class names
    (classification), each checked against the input shape and the task."""
    for key in ("vocab", "prompt_length"):
        if raw.get(key) is not None:
            _fail(where, key, f"null for a {task}", raw[key])
    out: dict[str, Any] = {"feature_names": None, "class_names": None, "pixel_range": None}
    if len(shape) == 3:
        for key in ("feature_names", "feature_mean", "feature_std"):
            if raw.get(key) is not None:
                _fail(where, key, "null for a model of images", raw[key])
        if raw.get("pixel_range") is not None:
            low, high = (_NUMBER.check(v, f"pixel_range[{i}]", where) for i, v in enumerate(
                _list(where, "pixel_range", raw["pixel_range"], "numbers, the training pixels' [min, max]", 2)))
            if low > high:
                _fail(where, "pixel_range", "[min, max] with min <= max", raw["pixel_range"])
            out["pixel_range"] = [low, high]
    elif raw.get("pixel_range") is not None:
        _fail(where, "pixel_range", "null for a model of table rows", raw["pixel_range"])
    elif raw.get("columns") is not None:
        out.update(table_section(where, raw, shape))
    else:
        out["feature_names"] = [_NAME.check(v, f"feature_names[{i}]", where) for i, v in enumerate(
            _list(where, "feature_names", raw.get("feature_names"), f"column names (input_shape is {shape})",
                  shape[0]))]
        _unique(where, "feature_names", out["feature_names"])
    out["feature_mean"], out["feature_std"] = _stats(where, raw, "feature", shape[0])
    out["target_mean"], out["target_std"] = _stats(where, raw, "target", None)
    if task == "classification":
        if out["target_mean"] is not None:
            _fail(where, "target_mean", "null for a classification", raw["target_mean"])
        out["class_names"] = _class_names(where, raw.get("class_names"))
    elif raw.get("class_names") is not None:
        _fail(where, "class_names", "null for a regression", raw["class_names"])
    return out


def _check_values(where: str, key: str, count: int, specs: list | None = None) -> None:
    """Refuse more than MAX_VALUES numbers before any array is allocated; name the largest layer."""
    if count <= MAX_VALUES:
        return
    largest = ""
    if specs:
        i = max(range(len(specs)), key=lambda j: state_size(specs[j]))
        largest = f" (model[{i}] ({specs[i]['type']}) alone {state_size(specs[i]):,})"
    raise PresetError(f"{where}: {key} holds {count:,} values{largest}; a bundle holds at most {MAX_VALUES:,}")


def state_size(spec: dict) -> int:
    """How many numbers a resolved layer spec's state dict holds (parameters and buffers), computed from the
    spec alone so an absurd size is refused before it is allocated."""
    entry = LAYERS[spec["type"]]
    size = _STATE_SIZES.get(entry.name)
    return 0 if size is None else int(size(lambda name: spec.get(name, entry.option(name).default)))


def _norm_size(o) -> int:
    tracked = o("track_running_stats")
    return o("num_features") * (2 * o("affine") + 2 * tracked) + tracked


def _transformer_size(o) -> int:
    """Per block: attention in/out projections (4·d² + 4·d), the feed-forward layers and two LayerNorms."""
    d, ff = o("d_model"), o("dim_feedforward")
    return o("num_layers") * (4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d)


def _recurrent_size(gates: int):
    """weight_ih, weight_hh, bias_ih and bias_hh of each layer and direction (`gates` · hidden_size rows)."""
    def size(o) -> int:
        h, directions = o("hidden_size"), 1 + o("bidirectional")
        inputs = [o("input_size"), *[h * directions] * (o("num_layers") - 1)]
        return directions * sum(gates * h * (n + h + 2) for n in inputs)
    return size


# NOTE: layers without parameters or buffers are absent; tests/presets/test_bundle_schema.py checks every
# registered layer against npnn's own state dict, so a new layer with weights cannot be missed here
_STATE_SIZES = {
    "Linear": lambda o: o("out_features") * (o("in_features") + o("bias")),
    "Conv2d": lambda o: o("out_channels") * (o("in_channels") * o("kernel_size") ** 2 + o("bias")),
    "BatchNorm1d": _norm_size,
    "BatchNorm2d": _norm_size,
    "LayerNorm": lambda o: o("normalized_shape") * o("elementwise_affine") * (1 + o("bias")),
    "Embedding": lambda o: o("num_embeddings") * o("embedding_dim"),
    "PositionalEmbedding": lambda o: o("num_positions") * o("embedding_dim"),
    "TransformerBlocks": _transformer_size,
    "GRU": _recurrent_size(3),
    "LSTM": _recurrent_size(4),
}


def weights_path(run_dir: Path, name: str, where: str) -> Path:
    """The weights file bundle.json names, refused unless it is a regular file inside `run_dir` (no absolute
    path, no `..`, no symlink leading out)."""
    relative = Path(name)
    if not name or "\0" in name or relative.is_absolute() or ".." in relative.parts:
        _fail(where, "weights", "a file name inside the run directory", name)
    path = run_dir / relative
    try:
        inside = path.resolve().is_relative_to(run_dir.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        inside = False
    if not inside:
        raise PresetError(f"{where}: weights {name!r} leads out of the run directory (a symbolic link); "
                          "it must name a file inside it")
    if not path.is_file():
        raise PresetError(f"{where}: the bundle's weights {name!r} are missing" if not path.exists()
                          else f"{where}: weights {name!r} is not a regular file")
    return path
