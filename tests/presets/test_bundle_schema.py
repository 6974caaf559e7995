"""bundle.json edited by a person: each wrong edit is a PresetError naming bundle.json, the key and what is
allowed (load_run; the command line's side is tests/tui/test_edited_files.py), checked with the schema
code presets use; sizes are refused before anything is allocated."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from presets import PresetError, load_run
from presets.bundle_schema import MAX_VALUES, state_size
from presets.catalog import LAYERS
from tests.bundles import classifier, cnn, regressor  # noqa: F401  (module-scoped fixtures)

HUGE = "1" + "0" * 400


def _set(path, value):
    """An edit that sets bundle[path[0]][path[1]]... to `value` (a key of None deletes it)."""
    def edit(bundle):
        *head, last = path
        target = bundle
        for key in head:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
        return bundle
    return edit


_DELETE = object()

# (case, edit of the regressor's bundle (a dict, or the JSON text for what json.dumps cannot write), message)
EDITS = [
    ("no-task", _set(["task"], _DELETE), "missing required key 'task'"),
    ("no-weights", _set(["weights"], _DELETE), "missing required key 'weights'"),
    ("task-number", _set(["task"], 5), "task must be one of regression, classification, sequence, got 5"),
    ("task-unknown", _set(["task"], "clustering"), "task must be one of regression, classification"),
    ("version", _set(["version"], 2), "version must be 1 (the bundle layout this npnn reads), got 2"),
    ("no-format", _set(["format"], _DELETE), 'not an npnn bundle (expected "format": "npnn-bundle")'),
    ("not-an-object", lambda b: "[1, 2]", "not an npnn bundle"),
    ("unknown-key", _set(["colour"], "red"), "unknown key 'colour'; allowed: format, version, task, weights"),
    ("layer-type", _set(["model", 0, "type"], "Dense"), "model[0].type must be one of Linear, Conv2d"),
    ("layer-option", _set(["model", 0, "units"], 3), "unknown key model[0].units for Linear; allowed: in_features"),
    ("layer-not-table", _set(["model", 1], "ReLU"), "model[1] must be a table with a type"),
    ("model-null", _set(["model"], None), "model must be a non-empty list of layer tables, got None"),
    ("layer-auto", _set(["model", 0, "in_features"], "auto"), "model[0].in_features must be a number (a bundle "
                                                              "holds the resolved sizes), got 'auto'"),
    ("layer-missing-size", _set(["model", 0, "in_features"], _DELETE), "model[0].in_features must be a number"),
    ("text-size", _set(["model", 0, "out_features"], "128"), "model[0].out_features must be an integer >= 1"),
    ("text-rate", _set(["model", 2, "p"], "0.3"), "model[2].p must be a number >= 0 and < 1, got '0.3'"),
    ("huge-layer", _set(["model", 0, "out_features"], 10 ** 9),
     "model holds 11,000,033,281 values (model[0] (Linear) alone 11,000,000,000); a bundle holds at most 100,000,000"),
    ("input-null", _set(["input_shape"], None), "input_shape must be a non-empty list of sizes"),
    ("input-missing", _set(["input_shape"], _DELETE), "missing required key 'input_shape'"),
    ("input-text", _set(["input_shape"], ["10"]), "input_shape[0] must be an integer >= 1, got '10'"),
    ("input-rank", _set(["input_shape"], [10, 1]), "input_shape must be [features] or [channels, height, width]"),
    ("input-huge", _set(["input_shape"], [10 ** 9, 1, 1]), "input_shape holds 1,000,000,000 values"),
    ("names-short", _set(["feature_names"], ["age"]), "feature_names must be 10 column names"),
    ("names-twice", _set(["feature_names", 1], "age"), "feature_names holds 'age' twice"),
    ("names-null", _set(["feature_names"], None), "feature_names must be 10 column names"),
    ("mean-text", _set(["feature_mean", 0], "x"), "feature_mean[0] must be a number, got 'x'"),
    ("std-zero", _set(["feature_std", 3], 0), "feature_std[3] must be a number > 0, got 0"),
    ("std-nan", lambda b: json.dumps(_set(["feature_std", 0], float("nan"))(b)),
     "feature_std[0] must be a number > 0, got nan"),
    ("std-missing", _set(["feature_std"], None), "feature_mean and feature_std must both be set or both be null"),
    ("target-short", _set(["target_std"], []), "target_std must be 1 numbers > 0"),
    ("class-names", _set(["class_names"], ["a", "b"]), "class_names must be null for a regression"),
    ("pixel-range", _set(["pixel_range"], [0, 1]), "pixel_range must be null for a model of table rows"),
    ("outputs", _set(["target_mean"], [1.0, 2.0]), "target_std must be 2 numbers > 0"),
    ("outputs-2", lambda b: _set(["target_std"], [1.0, 2.0])(_set(["target_mean"], [1.0, 2.0])(b)),
     "the model gives outputs of shape (1,) per input; the bundle needs 2 (one per target_mean)"),
    ("chain", _set(["model", 3, "in_features"], 64), "does not fit the bundle's model"),
    ("huge-int", lambda b: json.dumps(b).replace('"out_features": 128', f'"out_features": {HUGE}'),
     "model[0].out_features is an integer of 401 digits"),
    ("deep", lambda b: json.dumps(b).replace('"target"', "[" * 5000 + "]" * 5000), "nest too deeply"),
    ("not-json", lambda b: "{'task': 'regression'}", "not valid JSON"),
    ("absolute-weights", _set(["weights"], "/etc/passwd"), "weights must be a file name inside the run directory, "
                                                           "got '/etc/passwd'"),
    ("parent-weights", _set(["weights"], "../model.npz"), "weights must be a file name inside the run directory"),
    ("missing-weights", _set(["weights"], "other.npz"), "the bundle's weights 'other.npz' are missing"),
    ("folder-weights", _set(["weights"], "."), "weights '.' is not a regular file"),
]


def edited_run(run_dir, tmp_path, edit):
    """A copy of `run_dir` whose bundle.json is `edit`ed (a dict, or JSON text written as is)."""
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    edited = edit(json.loads((copy / "bundle.json").read_text()))
    (copy / "bundle.json").write_text(edited if isinstance(edited, str) else json.dumps(edited))
    return copy


@pytest.mark.parametrize("edit, expected", [case[1:] for case in EDITS], ids=[case[0] for case in EDITS])
def test_a_hand_edited_bundle_is_refused_naming_the_key(regressor, tmp_path, edit, expected):
    run = edited_run(regressor, tmp_path, edit)
    with pytest.raises(ValueError) as error:
        load_run(run)
    message = str(error.value)
    assert expected in message and len(message.splitlines()) == 1 and len(message) < 400
    assert message.startswith(str(run / "bundle.json")) or message.startswith(str(run / "model.npz"))


def test_the_classifiers_outputs_must_match_its_class_names(classifier, tmp_path):
    run = edited_run(classifier[0], tmp_path, _set(["class_names"], ["a", "b"]))
    with pytest.raises(PresetError, match=r"outputs of shape \(3,\) per input; the bundle needs 2 \(one per "
                                          r"class_names\)"):
        load_run(run)
    run = edited_run(classifier[0], tmp_path / "2", _set(["class_names", 2], [1]))
    with pytest.raises(PresetError, match=r"class_names\[2\] must be text or a finite number, got \[1\]"):
        load_run(run)
    run = edited_run(classifier[0], tmp_path / "3", _set(["class_names", 0], 0))  # np.asarray would make '0'
    with pytest.raises(PresetError, match=r"class_names must be at least two class names, all text or all numbers"):
        load_run(run)


@pytest.mark.parametrize("value, expected", [
    ([1.0, 0.0], r"pixel_range must be \[min, max\] with min <= max, got \[1.0, 0.0\]"),
    (["0", "255"], r"pixel_range\[0\] must be a number, got '0'"),
    ([0, 255, 3], r"pixel_range must be 2 numbers, the training pixels' \[min, max\]"),
    ([0.0, float("inf")], r"pixel_range\[1\] must be a number, got inf"),
])
def test_an_image_models_pixel_range_is_two_ordered_numbers(cnn, tmp_path, value, expected):
    assert len(json.loads((cnn[0] / "bundle.json").read_text())["pixel_range"]) == 2
    run = edited_run(cnn[0], tmp_path, _set(["pixel_range"], value))
    with pytest.raises(PresetError, match=expected):
        load_run(run)
    assert load_run(edited_run(cnn[0], tmp_path / "ok", _set(["pixel_range"], [0, 9]))).spec["pixel_range"] == [0, 9]


def test_a_valid_edit_still_loads(regressor, tmp_path):
    run = edited_run(regressor, tmp_path, _set(["target_name"], "progression"))
    assert load_run(run).target_name == "progression"


def test_a_weights_symlink_leading_out_of_the_run_directory_is_refused(regressor, tmp_path):
    run = edited_run(regressor, tmp_path, lambda b: b)
    outside = tmp_path / "elsewhere.npz"
    (run / "model.npz").rename(outside)
    (run / "model.npz").symlink_to(outside)
    with pytest.raises(PresetError, match="weights 'model.npz' leads out of the run directory"):
        load_run(run)
    (run / "model.npz").unlink()
    (run / "model.npz").symlink_to("model.npz")  # a loop
    with pytest.raises(PresetError, match="leads out of the run directory|is not a regular file"):
        load_run(run)


def test_a_weights_file_that_is_not_a_model_is_refused_without_echoing_its_contents(regressor, tmp_path):
    run = edited_run(regressor, tmp_path, _set(["weights"], "history.csv"))
    with pytest.raises(ValueError) as error:
        load_run(run)
    assert "not a readable npnn model file" in str(error.value)
    assert "epoch" not in str(error.value) and "b'" not in str(error.value)
    (run / "secret.npz").write_bytes(b"PASSWORD=hunter2\n")
    (run / "bundle.json").write_text((run / "bundle.json").read_text().replace("history.csv", "secret.npz"))
    with pytest.raises(ValueError) as error:
        load_run(run)
    assert "PASS" not in str(error.value) and "hunter" not in str(error.value)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_state_size_counts_what_npnn_allocates_for_every_registered_layer(name):
    entry = LAYERS[name]
    specs = [{"type": name}]
    sizes = {"in_features": 5, "out_features": 3, "in_channels": 2, "out_channels": 4, "kernel_size": 3,
             "num_features": 6, "normalized_shape": 7, "output_size": 2, "num_embeddings": 9, "embedding_dim": 6,
             "num_positions": 5, "d_model": 8, "nhead": 2, "num_layers": 2, "dim_feedforward": 5, "input_size": 3,
             "hidden_size": 4}
    base = {option.name: sizes[option.name] for option in entry.options if option.name in sizes}
    specs = [dict(type=name, **base)]
    for option in entry.options:
        if option.kind is bool:
            specs.append(dict(type=name, **base, **{option.name: not option.default}))
    for spec in specs:
        module = entry.build(spec, np.random.default_rng(0))
        assert state_size(spec) == sum(v.size for v in module.state_dict().values()), spec


def test_the_size_limit_is_checked_before_building(regressor, tmp_path, monkeypatch):
    import presets.bundle
    built = []
    monkeypatch.setattr(presets.bundle, "build_model", lambda specs: built.append(specs))
    run = edited_run(regressor, tmp_path, _set(["model", 3, "out_features"], MAX_VALUES))
    with pytest.raises(PresetError, match="model holds"):
        load_run(run)
    assert built == []


def test_unreadable_weights_are_a_value_error_naming_them(regressor, tmp_path, monkeypatch):
    import presets.bundle

    def refuse(path):  # NOTE: as root a chmod 0 file stays readable, so the refusal is simulated
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(presets.bundle.npnn, "load", refuse)
    with pytest.raises(ValueError, match=r"model.npz: cannot read the bundle's weights \(Permission denied\)"):
        load_run(edited_run(regressor, tmp_path, lambda b: b))
