"""Property-based tests of every loader of a file a person may edit: arbitrary bytes and structured-but-wrong
documents (random nesting, random types where numbers belong, huge integers, NaN) end in the loader's
documented error or a valid result, never another exception.

preset files → PresetError or a Preset; bundle.json → ValueError (PresetError) or a Bundle that predicts;
run folders → a PastRun, readable or with `problem` set (the past-runs loader never raises).
"""
from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import npnn
from presets import Bundle, PresetError, load_run
from presets.models import build_model
from presets.option import MAX_INT
from presets.past_runs import PastRun, read_run
from presets.schema import Preset, read_preset_file
from tests.presets.test_preset_limits import GOOD

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

HUGE_INTS = st.sampled_from([10 ** 400, -(10 ** 400), MAX_INT + 1, -MAX_INT - 2, 2 ** 64, 10 ** 30])
NUMBERS = st.one_of(st.integers(), HUGE_INTS, st.floats(allow_nan=True, allow_infinity=True))
SCALARS = st.one_of(st.booleans(), NUMBERS, st.text(max_size=12))
KEYS = st.text(max_size=10)


def values(scalars=SCALARS):
    """A wrong value: often a number at or beyond the limits, else plain values nested a few levels."""
    nested = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                          max_leaves=12)
    return st.one_of(HUGE_INTS, NUMBERS, nested)


def deep(depth: int, kind: str = "[") -> str:
    return kind * depth + ("]" if kind == "[" else "}") * depth


def paths(document, prefix=()):
    """Every (path, value) in a document of dicts and lists, the document itself first."""
    yield prefix, document
    items = document.items() if isinstance(document, dict) else enumerate(document) if isinstance(document, list) \
        else ()
    for key, value in items:
        yield from paths(value, (*prefix, key))


def mutated(document, data, values_strategy):
    """A copy of `document` with one to three values (or keys) replaced, deleted or added, drawn by `data`."""
    document = json.loads(json.dumps(document))
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        choices = list(paths(document))[1:]
        if not choices:
            break
        path, _ = data.draw(st.sampled_from(choices), label="path")
        *head, last = path
        parent = document
        for key in head:
            parent = parent[key]
        action = data.draw(st.sampled_from(["replace", "replace", "delete", "add"]), label="action")
        if action == "replace":
            parent[last] = data.draw(values_strategy, label="value")
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[data.draw(KEYS, label="key")] = data.draw(values_strategy, label="value")
        else:
            parent.append(data.draw(values_strategy, label="value"))
    return document


# --- preset files ---------------------------------------------------------------------------------------

def _load_preset_bytes(data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.toml"
        path.write_bytes(data)
        try:
            return read_preset_file(path)
        except PresetError as error:
            assert str(error).startswith(f"{path}: ") and "\n" not in str(error)
            return error


def tokens(*words: str):
    """Text made of these pieces: syntax-like noise that gets further into a parser than random bytes."""
    return st.lists(st.sampled_from(words), max_size=40).map("".join).map(str.encode)


TOML_NOISE = tokens(*'[]{}=,."\'\n #-+_:0123456789eE', "model", "task", "epochs", "inf", "nan", "true", "x")


@FUZZ
@given(st.one_of(st.binary(max_size=200), TOML_NOISE,
                 st.integers(1, 6000).map(lambda n: f"model = {deep(n)}\n".encode()),
                 st.integers(1, 6000).map(lambda n: f"x = {deep(n, '{a=')}\n".encode())))
def test_a_preset_of_any_bytes_is_a_preset_or_a_preset_error(data):
    assert isinstance(_load_preset_bytes(data), (Preset, PresetError))


PRESET = {"task": "regression",
          "model": [{"type": "Linear", "in_features": "auto", "out_features": 8}, {"type": "ReLU"},
                    {"type": "Dropout", "p": 0.1}, {"type": "Linear", "in_features": "auto", "out_features": "auto"}],
          "data": {"source": "diabetes", "limit": 100, "test_size": 0.2},
          "training": {"epochs": 3, "lr": 0.01, "batch_size": 16, "optimizer": "adam",
                       "optimizer_options": {"betas": [0.9, 0.999], "weight_decay": 0.0}},
          "changes": [{"epoch": 1, "batch": 1, "name": "lr", "value": 0.1}]}


@FUZZ
@given(st.data())
def test_a_preset_with_a_wrong_value_anywhere_is_a_preset_or_a_preset_error(data):
    document = mutated(PRESET, data, values())
    result = _load_preset_bytes(tomli_w.dumps(document).encode())
    assert isinstance(result, (Preset, PresetError))
    if isinstance(result, Preset):  # what a valid preset holds is within what NumPy and floats take
        assert all(abs(v) <= MAX_INT for v in (result.epochs, result.batch_size, result.seed))
        assert math.isfinite(result.lr)


def test_the_unmutated_preset_is_valid():
    assert isinstance(_load_preset_bytes(tomli_w.dumps(PRESET).encode()), Preset)
    assert isinstance(_load_preset_bytes(GOOD.encode()), Preset)


# --- bundle.json ----------------------------------------------------------------------------------------

SPECS = [{"type": "Linear", "in_features": 3, "out_features": 4}, {"type": "ReLU"}, {"type": "Dropout", "p": 0.2},
         {"type": "Linear", "in_features": 4, "out_features": 2}]
BUNDLE = {"format": "npnn-bundle", "version": 1, "task": "classification", "weights": "model.npz", "model": SPECS,
          "input_shape": [3], "feature_names": ["a", "b", "c"], "target_name": "label",
          "feature_mean": [0.0, 1.0, 2.0], "feature_std": [1.0, 2.0, 3.0], "target_mean": None, "target_std": None,
          "class_names": ["no", "yes"]}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A small classifier's run directory (weights from npnn, no training needed)."""
    folder = tmp_path_factory.mktemp("bundle")
    npnn.save(build_model(SPECS, np.random.default_rng(0)).state_dict(), folder / "model.npz")
    (folder / "history.csv").write_text("epoch,train_loss,val_loss\n1,0.5,0.5\n")
    return folder


def _load_bundle_text(run_dir: Path, text: bytes):
    (run_dir / "bundle.json").write_bytes(text)
    try:
        bundle = load_run(run_dir)
    except ValueError as error:
        assert "\n" not in str(error) and str(error).startswith(str(run_dir))
        return error
    predicted = bundle.predict(np.zeros((2, 3)))  # a bundle that loads must predict
    assert set(predicted) <= set(bundle.class_names) if bundle.task == "classification" else predicted.shape[0] == 2
    return bundle


JSON_NOISE = tokens(*'[]{}:,"0123456789.eE-+ \n', "true", "null", "NaN", "Infinity", '"format"', '"npnn-bundle"')


@FUZZ
@given(st.one_of(st.binary(max_size=200), JSON_NOISE,
                 st.integers(1, 6000).map(lambda n: deep(n).encode()),
                 st.integers(1, 6000).map(lambda n: ('{"format": "npnn-bundle", "model": ' + deep(n) + "}").encode())))
def test_a_bundle_of_any_bytes_loads_or_is_a_value_error(run_dir, data):
    assert isinstance(_load_bundle_text(run_dir, data), (Bundle, ValueError))


@FUZZ
@given(st.data())
def test_a_bundle_with_a_wrong_value_anywhere_loads_or_is_a_value_error(run_dir, data):
    document = mutated(BUNDLE, data, st.one_of(st.none(), values()))
    text = json.dumps(document)  # NaN and Infinity as Python's json writes them
    assert isinstance(_load_bundle_text(run_dir, text.encode()), (Bundle, ValueError))


def test_the_unmutated_bundle_loads(run_dir):
    assert isinstance(_load_bundle_text(run_dir, json.dumps(BUNDLE).encode()), Bundle)


# --- run folders (the Runs tab) -------------------------------------------------------------------------

METRICS = {"preset": "p", "reason": "completed", "epochs_run": 2, "best_val_loss": 0.5,
           "after": {"test": {"loss": 0.5, "mse": 0.5}}}
CONFIG = {"name": "p", "task": "regression",
          "training": {"lr": 0.01, "epochs": 3, "optimizer": "adam", "optimizer_options": {"betas": [0.9, 0.99]},
                       "lr_schedule": "step", "lr_schedule_options": {"step_size": 2}}}
SWEEP = {"study": "s", "trial": 1, "params": {"lr": 0.01}, "state": "complete"}
FILES = ("metrics.json", "config.toml", "sweep.json", "history.csv")


def _read_folder(files: dict) -> PastRun:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run-20260101-101010"
        path.mkdir()
        for name, data in files.items():
            (path / name).write_bytes(data)
        run = read_run(path)
    assert isinstance(run, PastRun) and (run.problem is None or isinstance(run.problem, str))
    if run.readable:  # what the Runs tab shows and sorts is within what floats take
        for value in [run.best_val_loss, *run.test.values(), *run.val_losses]:
            assert value is None or isinstance(value, float)
        assert run.epochs_run is None or abs(run.epochs_run) <= MAX_INT
    return run


def _good_files() -> dict:
    return {"metrics.json": json.dumps(METRICS).encode(), "config.toml": tomli_w.dumps(CONFIG).encode(),
            "sweep.json": json.dumps(SWEEP).encode(), "history.csv": b"epoch,train_loss,val_loss\n1,1,0.5\n"}


@FUZZ
@given(st.sampled_from(FILES), st.one_of(
    st.binary(max_size=200), JSON_NOISE,
    TOML_NOISE,
    st.integers(1, 6000).map(lambda n: ('{"reason": ' + deep(n) + "}").encode()),
    st.integers(1, 6000).map(lambda n: f"name = {deep(n)}\n".encode())))
def test_a_run_folder_with_any_bytes_in_any_file_is_read_without_raising(name, data):
    _read_folder({**_good_files(), name: data})


@FUZZ
@given(st.data())
def test_a_run_folder_with_a_wrong_value_anywhere_is_read_without_raising(data):
    files = _good_files()
    name = data.draw(st.sampled_from(["metrics.json", "config.toml", "sweep.json"]), label="file")
    if name == "config.toml":
        files[name] = tomli_w.dumps(mutated(CONFIG, data, values())).encode()
    else:
        files[name] = json.dumps(mutated(METRICS if name == "metrics.json" else SWEEP, data,
                                         st.one_of(st.none(), values()))).encode()
    _read_folder(files)


def test_the_unmutated_run_folder_is_readable():
    run = _read_folder(_good_files())
    assert run.readable and run.sweep["trial"] == 1 and run.val_losses == [0.5]
