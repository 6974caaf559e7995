"""The user's presets folder: listed after the built-ins by path, broken files reported, saving refuses clashes;
with_model swaps a preset's layers as a file would state them."""
from __future__ import annotations

from dataclasses import replace

import pytest

from presets import PresetError, list_presets, load_preset
from presets.registry import save_preset
from presets.schema import with_model

MINE = """
name = "mine"
title = "Mine"
task = "regression"
model = [{ type = "Linear", out_features = 4 }, { type = "ReLU" }, { type = "Linear", out_features = "auto" }]
[data]
source = "diabetes"
"""


def test_user_presets_follow_the_builtins_and_are_named_by_their_path(tmp_path):
    (tmp_path / "b.toml").write_text(MINE)
    (tmp_path / "a.toml").write_text(MINE.replace('"mine"', '"mnist_cnn"'))  # the same name as a built-in
    infos = list_presets(tmp_path)
    assert [(info.choice, info.builtin) for info in infos] == [
        ("addition_transformer", True), ("char_lm", True), ("mnist_cnn", True), ("tabular_mlp", True),
        ("wine_mlp", True),
        (str(tmp_path / "a.toml"), False), (str(tmp_path / "b.toml"), False)]
    assert load_preset("mnist_cnn").task == "classification"  # a built-in's name still means the built-in
    assert load_preset(infos[5].choice).task == "regression"


def test_a_broken_user_preset_is_left_out_and_reported(tmp_path):
    (tmp_path / "good.toml").write_text(MINE)
    (tmp_path / "bad.toml").write_text(MINE.replace("[data]", "[dta]"))
    skipped: list = []
    infos = list_presets(tmp_path, skipped)
    assert [info.path.name for info in infos if not info.builtin] == ["good.toml"]
    assert len(skipped) == 1 and "bad.toml" in skipped[0] and "dta" in skipped[0]
    assert len(list_presets(tmp_path / "missing")) == len(list_presets()) == 5


def test_save_preset_writes_a_file_that_loads_back_with_its_model(tmp_path):
    edited = with_model(load_preset("tabular_mlp", {"lr": 0.01}), [
        {"type": "Linear", "out_features": 16}, {"type": "BatchNorm1d"}, {"type": "ReLU"},
        {"type": "Dropout", "p": 0.1}, {"type": "Linear", "out_features": "auto"}])
    path = save_preset(replace(edited, name="wide"), tmp_path / "presets")
    assert path == tmp_path / "presets" / "wide.toml"
    loaded = load_preset(path)
    assert [layer["type"] for layer in loaded.model] == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]
    assert loaded.model[0]["out_features"] == 16 and loaded.dropout == 0.1 and loaded.lr == 0.01
    assert [info.choice for info in list_presets(tmp_path / "presets")][-1] == str(path)


@pytest.mark.parametrize("name, message", [
    ("tabular_mlp", "'tabular_mlp' is a built-in preset's name"),
    ("../up", "must be letters, digits"),
    ("two words", "must be letters, digits"),
])
def test_save_preset_refuses_names_that_would_clash_or_escape(tmp_path, name, message):
    with pytest.raises(PresetError, match=message):
        save_preset(replace(load_preset("tabular_mlp"), name=name), tmp_path / "presets")
    assert not (tmp_path / "presets").exists() and not (tmp_path / "up.toml").exists()


def test_save_preset_replaces_only_the_file_it_is_told_it_may(tmp_path):
    preset = replace(load_preset("tabular_mlp"), name="mine")
    path = save_preset(preset, tmp_path)
    with pytest.raises(PresetError, match="exists; choose another name"):
        save_preset(replace(preset, lr=0.5), tmp_path)
    save_preset(replace(preset, lr=0.5), tmp_path, replacing=path)
    assert load_preset(path).lr == 0.5


def test_with_model_gives_every_dropout_the_first_ones_rate_and_checks_the_layers():
    preset = load_preset("tabular_mlp")  # dropout 0.3
    edited = with_model(preset, [{"type": "Linear", "out_features": 8}, {"type": "Dropout", "p": 0.1},
                                 {"type": "Dropout"}, {"type": "Linear", "out_features": "auto"}])
    assert edited.dropout == 0.1 and [l.get("p") for l in edited.model] == [None, 0.1, 0.1, None]
    assert with_model(preset, [{"type": "Linear", "out_features": "auto"}]).dropout is None
    with pytest.raises(PresetError, match=r"model\[0\]\.out_features must be an integer >= 1"):
        with_model(preset, [{"type": "Linear", "out_features": 0}])
