"""Preset files: the built-ins load, every kind of mistake names file, key and what is allowed."""
from __future__ import annotations

import sys

import pytest
import tomli_w

from presets import PresetError, list_presets, load_preset, parse_override, setting_names
from presets.models import build_model, build_optimizer, resolve_layers
from presets.schema import preset_from_dict

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

VALID = """
name = "mine"
task = "regression"
model = [
    { type = "Linear", in_features = "auto", out_features = 8 },
    { type = "ReLU" },
    { type = "Dropout", p = 0.2 },
    { type = "Linear", in_features = 8, out_features = "auto" },
]

[data]
source = "diabetes"

[training]
lr = 0.01
epochs = 3
"""


def test_builtin_presets_are_listed_and_load():
    infos = {info.name: info for info in list_presets()}
    assert set(infos) == {"tabular_mlp", "mnist_cnn", "wine_mlp", "addition_transformer", "char_lm"}
    assert infos["mnist_cnn"].title == "MNIST CNN" and infos["mnist_cnn"].path.name == "mnist_cnn.toml"
    tabular = load_preset("tabular_mlp")
    assert (tabular.task, tabular.loss, tabular.optimizer, tabular.batch_size) == ("regression", "mse", "adam", 32)
    assert [layer["type"] for layer in tabular.model] == ["Linear", "ReLU", "Dropout", "Linear", "ReLU",
                                                          "Dropout", "Linear"]
    assert tabular.dropout == 0.3 and all(l["p"] == 0.3 for l in tabular.model if l["type"] == "Dropout")
    assert (tabular.data.test_size, tabular.data.val_size, tabular.data.split_seed) == (0.3, 0.25, 42)
    mnist = load_preset("mnist_cnn")
    assert (mnist.task, mnist.loss, mnist.lr, mnist.batch_size, mnist.data.limit) == (
        "classification", "cross_entropy", 0.001, 64, 5000)
    assert mnist.dropout is None  # no Dropout layer in the CNN
    wine = load_preset("wine_mlp")
    assert (wine.task, wine.loss, wine.data.source, wine.data.standardize) == (
        "classification", "cross_entropy", "wine", True)


def test_a_preset_file_given_by_path_loads(small_preset):
    preset = load_preset(str(small_preset(VALID)))
    assert (preset.name, preset.lr, preset.epochs, preset.dropout) == ("mine", 0.01, 3, 0.2)


def test_overrides_apply_and_dropout_reaches_every_dropout_layer():
    preset = load_preset("tabular_mlp", {"optimizer": "sgd", "lr": "0.5", "dropout": 0.1, "epochs": 7,
                                         "max_grad_norm": "off", "seed": 3})
    assert (preset.optimizer, preset.lr, preset.epochs, preset.seed, preset.max_grad_norm) == ("sgd", 0.5, 7, 3, None)
    assert preset.dropout == 0.1
    assert [l["p"] for l in preset.model if l["type"] == "Dropout"] == [0.1, 0.1]
    assert load_preset("tabular_mlp", {"max_grad_norm": 2}).max_grad_norm == 2.0


@pytest.mark.parametrize("key, text, value", [
    ("optimizer", " AdamW ", "adamw"), ("lr", "1e-3", 1e-3), ("dropout", "0", 0.0), ("patience", "0", 0),
    ("min_delta", "0.01", 0.01), ("epochs", "5", 5), ("batch_size", "16", 16), ("seed", "42", 42),
    ("max_grad_norm", "1.5", 1.5), ("max_grad_norm", "", None), ("max_grad_norm", "off", None),
])
def test_parse_override_reads_text(key, text, value):
    assert parse_override(key, text) == value


@pytest.mark.parametrize("key, text, message", [
    ("lr", "abc", "lr must be a number > 0, got 'abc'"),
    ("lr", "0", "lr must be a number > 0, got '0'"),
    ("lr", "nan", "lr must be a number > 0, got 'nan'"),
    ("dropout", "1", "dropout must be a number >= 0 and < 1, got '1'"),
    ("dropout", "-0.1", "dropout must be a number >= 0 and < 1, got '-0.1'"),
    ("patience", "-1", "patience must be an integer >= 0, got '-1'"),
    ("patience", "2.5", "patience must be an integer >= 0, got '2.5'"),
    ("batch_size", "0", "batch_size must be an integer >= 1, got '0'"),
    ("epochs", "", "epochs must be an integer >= 1, got ''"),
    ("seed", "-3", "seed must be an integer >= 0, got '-3'"),
    ("min_delta", "-1", "min_delta must be a number >= 0, got '-1'"),
    ("optimizer", "lbfgs", "optimizer must be one of sgd, momentum, adam, adamw, rmsprop, got 'lbfgs'"),
    ("max_grad_norm", "-1", "max_grad_norm must be a number > 0 (or \"off\"), got '-1'"),
    ("warmup", "5", "unknown setting 'warmup'; allowed: " + ", ".join(setting_names())),
])
def test_parse_override_rejects_with_a_human_message(key, text, message):
    with pytest.raises(PresetError) as info:
        parse_override(key, text)
    assert str(info.value) == message


def test_unknown_override_key_is_an_error():
    with pytest.raises(PresetError, match="unknown setting 'warmup'"):
        load_preset("tabular_mlp", {"warmup": 5})


@pytest.mark.parametrize("old, new, fragments", [
    ('name = "mine"', 'name = "mine"\ncolour = "red"', ["unknown key 'colour'", "allowed: name, title"]),
    ("lr = 0.01", "lr = 0.01\nmomentum = 0.9", ["unknown key 'training.momentum'", "allowed: loss, optimizer, lr",
                                                "optimizer argument: put it in [training.optimizer_options]"]),
    ('source = "diabetes"', 'source = "diabetes"\nshuffle = true', ["unknown key 'data.shuffle'", "split_seed"]),
    ("lr = 0.01", 'lr = "fast"', ["training.lr must be a number > 0, got 'fast'"]),
    ("lr = 0.01", "lr = 0", ["training.lr must be a number > 0, got 0"]),
    ("lr = 0.01", "lr = -0.1", ["training.lr must be a number > 0"]),
    ("lr = 0.01", "dropout = 1.0", ["training.dropout must be a number >= 0 and < 1, got 1.0"]),
    ("lr = 0.01", "dropout = -0.5", ["training.dropout must be a number >= 0 and < 1"]),
    ("lr = 0.01", "patience = -1", ["training.patience must be an integer >= 0, got -1"]),
    ("lr = 0.01", "batch_size = 0", ["training.batch_size must be an integer >= 1, got 0"]),
    ("epochs = 3", "epochs = true", ["training.epochs must be an integer >= 1, got True"]),
    ("lr = 0.01", 'optimizer = "lbfgs"', ["training.optimizer must be one of sgd, momentum, adam, adamw, rmsprop"]),
    ("lr = 0.01", 'loss = "hinge"', ["training.loss must be one of mse, l1, cross_entropy"]),
    ("lr = 0.01", 'loss = "cross_entropy"', ["training.loss must be mse or l1 for a regression task"]),
    ('task = "regression"', 'task = "ranking"', ["task must be one of regression, classification"]),
    ('task = "regression"', "", ["missing required key 'task'"]),
    ('source = "diabetes"', 'source = "imagenet"', ["data.source must be one of diabetes, wine, mnist, digits, csv"]),
    ('source = "diabetes"', 'source = "csv"', ['data.source = "csv" needs data.path']),
    ('source = "diabetes"', 'source = "diabetes"\ntest_size = 1.5', ["data.test_size must be a number > 0 and < 1"]),
    ('{ type = "ReLU" }', '{ type = "Transformer" }', ["model[1].type must be one of Linear, Conv2d, MaxPool2d"]),
    ('{ type = "ReLU" }', '{ type = "ReLU", inplace = true }', ["unknown key model[1].inplace for ReLU",
                                                                 "allowed: no other keys"]),
    ('{ type = "ReLU" }', '{ name = "ReLU" }', ["model[1] must be a table with a type"]),
    ('{ type = "Dropout", p = 0.2 }', '{ type = "Dropout", p = 1.2 }', ["model[2].p must be a number >= 0 and < 1"]),
    ('out_features = 8 }', 'out_features = 0 }', ["model[0].out_features must be an integer >= 1, or \"auto\""]),
    ('{ type = "Linear", in_features = "auto", out_features = 8 }', '{ type = "Linear", in_features = 10 }',
     ["model[0] (Linear) is missing required key 'out_features'"]),
    ("[data]", "[dat]", ["unknown key 'dat'"]),
    ("lr = 0.01", "lr = = 0.01", ["not valid TOML"]),
])
def test_schema_errors_name_the_file_the_key_and_what_is_allowed(small_preset, old, new, fragments):
    assert old in VALID
    path = small_preset(VALID.replace(old, new, 1))
    with pytest.raises(PresetError) as info:
        load_preset(str(path))
    message = str(info.value)
    assert message.startswith(str(path) + ":")
    for fragment in fragments:
        assert fragment in message


def test_missing_model_and_data_are_errors(small_preset):
    no_model = small_preset('task = "regression"\n[data]\nsource = "diabetes"\n', "a.toml")
    with pytest.raises(PresetError, match="missing required key 'model'"):
        load_preset(str(no_model))
    no_data = small_preset('task = "regression"\nmodel = [{ type = "Linear", out_features = 1 }]\n', "b.toml")
    with pytest.raises(PresetError, match=r"missing required table \[data\]"):
        load_preset(str(no_data))
    empty_model = small_preset('task = "regression"\nmodel = []\n[data]\nsource = "diabetes"\n', "c.toml")
    with pytest.raises(PresetError, match="model must be a non-empty list"):
        load_preset(str(empty_model))


def test_unknown_name_and_missing_file_are_errors(tmp_path):
    with pytest.raises(PresetError, match="unknown preset 'nope': choose one of addition_transformer, char_lm, "
                                          "mnist_cnn, tabular_mlp, wine_mlp"):
        load_preset("nope")
    with pytest.raises(PresetError, match="no such preset file"):
        load_preset(str(tmp_path / "missing.toml"))


def test_preset_error_is_a_value_error():
    assert issubclass(PresetError, ValueError)


@pytest.mark.parametrize("name", ["tabular_mlp", "mnist_cnn", "wine_mlp", "addition_transformer", "char_lm"])
def test_resolved_config_round_trips_through_toml(name):
    preset = load_preset(name, {"max_grad_norm": 1.0, "lr": 3e-05})
    text = tomli_w.dumps(preset.to_dict())
    parsed = tomllib.loads(text)
    assert parsed == preset.to_dict()
    again = preset_from_dict(parsed, "config.toml", "x")
    assert again.to_dict() == preset.to_dict()


def test_config_toml_writer_escapes_strings_and_writes_special_floats():
    config = {"title": 'say "hi"\\ \n ünï', "x": float("inf"), "flag": False, "t": {"k y": 1}}
    assert tomllib.loads(tomli_w.dumps(config)) == config


def test_dropout_override_on_a_model_without_dropout_layers_changes_nothing():
    preset = load_preset("mnist_cnn", {"dropout": 0.4})
    assert preset.dropout is None and preset.model == load_preset("mnist_cnn").model


SGD_PRESET = VALID.replace("lr = 0.01", 'optimizer = "sgd"\nlr = 0.01') + (
    "\n[training.optimizer_options]\nmomentum = 0.9\nweight_decay = 1e-4\n")


def test_optimizer_options_reach_the_optimizer_and_round_trip_through_config_toml(small_preset):
    preset = load_preset(str(small_preset(SGD_PRESET)))
    assert preset.optimizer_options == {"momentum": 0.9, "weight_decay": 1e-4}
    optimizer = build_optimizer(preset, build_model(resolve_layers(preset.model, (3,), 1)))
    assert (optimizer.param_groups[0]["momentum"], optimizer.param_groups[0]["weight_decay"]) == (0.9, 1e-4)
    parsed = tomllib.loads(tomli_w.dumps(preset.to_dict()))
    assert parsed["training"]["optimizer_options"] == {"momentum": 0.9, "weight_decay": 1e-4}
    assert preset_from_dict(parsed, "config.toml", "x").to_dict() == preset.to_dict()
    assert "optimizer_options" not in load_preset("tabular_mlp").to_dict()["training"]


def test_switching_optimizer_keeps_only_the_options_the_new_one_accepts(small_preset):
    preset = load_preset(str(small_preset(SGD_PRESET)), {"optimizer": "adam"})
    assert preset.optimizer_options == {"weight_decay": 1e-4}
    assert load_preset(str(small_preset(SGD_PRESET)), {"lr": "0.5"}).optimizer_options["momentum"] == 0.9


@pytest.mark.parametrize("old, new, message", [
    ("momentum = 0.9", "betas = 0.9", "unknown key 'training.optimizer_options.betas' for optimizer sgd; "
                                      "allowed: momentum, weight_decay, nesterov"),
    ("momentum = 0.9", "momentum = -1", "training.optimizer_options.momentum must be a number >= 0 and < 1, got -1"),
    ("momentum = 0.9", "nesterov = 1", "training.optimizer_options.nesterov must be true or false, got 1"),
])
def test_optimizer_options_are_checked_against_the_registry(small_preset, old, new, message):
    path = small_preset(SGD_PRESET.replace(old, new))
    with pytest.raises(PresetError) as info:
        load_preset(str(path))
    assert str(info.value) == f"{path}: {message}"
