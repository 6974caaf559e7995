"""One Setting per tunable (presets.settings): hot edits are checked as a preset's values are, every accepted hot
edit replays from config.toml, the lock note names the hot edits the optimizer takes, nothing is listed twice."""
from __future__ import annotations

import sys

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from npnn import nn
from npnn.data import DataLoader
from npnn.training import FitLoop
from presets import PresetError, Run, load_preset, parse_override
from presets.catalog import OPTIMIZERS
from presets.control import Change, RunControl
from presets.models import build_optimizer
from presets.overrides import parse_hot_edit
from presets.schema import preset_from_dict
from presets.settings import all_settings, hot_settings, lock_note, setting_names

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

SMALL = """
task = "regression"
model = [{ type = "Linear", in_features = "auto", out_features = "auto" }]
[data]
source = "diabetes"
[training]
"""
MOMENTUM_RANGE = "a number >= 0 and < 1"


def sgd(momentum: float = 0.5):
    return load_preset("tabular_mlp", {"optimizer": "sgd", "momentum": momentum, "epochs": 2})


def test_momentum_out_of_range_is_refused_as_a_hot_edit_with_the_message_a_preset_gets(tmp_path):
    with pytest.raises(PresetError) as hot:
        parse_hot_edit(sgd(), "momentum", "1.5")
    with pytest.raises(PresetError) as typed:
        parse_override("momentum", "1.5")
    path = tmp_path / "p.toml"
    path.write_text(SMALL + 'optimizer = "sgd"\n[training.optimizer_options]\nmomentum = 1.5\n')
    with pytest.raises(PresetError) as preset:
        load_preset(str(path))
    path.write_text(SMALL + 'optimizer = "sgd"\n[[changes]]\nepoch = 1\nbatch = 2\nname = "momentum"\nvalue = 1.5\n')
    with pytest.raises(PresetError) as replay:
        load_preset(str(path))
    assert str(hot.value) == str(typed.value) == 'momentum must be a number >= 0 and < 1 (or "default"), got \'1.5\''
    assert str(preset.value).endswith(f"training.optimizer_options.momentum must be {MOMENTUM_RANGE}, got 1.5")
    assert str(replay.value).endswith(f"changes[0].value: momentum must be {MOMENTUM_RANGE}, got 1.5")
    with pytest.raises(ValueError, match=f"momentum must be {MOMENTUM_RANGE}"):
        RunControl().set("momentum", 1.5)


@pytest.mark.parametrize("optimizer, key, text, message", [
    ("adam", "momentum", "0.9", "momentum cannot change while a run of adam trains; these can: lr, betas, max_grad_norm"),
    ("sgd", "epochs", "3", "epochs cannot change while a run of sgd trains"),
    ("sgd", "lr", "0", "lr must be a number > 0, got '0'"),
    ("adam", "betas", "0.9, 1", "betas must be 2 numbers, each >= 0 and < 1"),
])
def test_a_hot_edit_the_run_cannot_take_is_refused(optimizer, key, text, message):
    with pytest.raises(PresetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_hot_edit(load_preset("tabular_mlp", {"optimizer": optimizer}), key, text)


def test_a_hot_edit_is_checked_with_the_presets_other_settings():
    nesterov = load_preset("tabular_mlp", {"optimizer": "sgd", "momentum": 0.9, "nesterov": True})
    for text in ("0", "default"):  # sgd's own momentum is 0
        with pytest.raises(PresetError, match="nesterov requires momentum > 0"):
            parse_hot_edit(nesterov, "momentum", text)
    assert parse_hot_edit(sgd(), "momentum", "default") == OPTIMIZERS["sgd"].option("momentum").default
    assert parse_hot_edit(sgd(), "max_grad_norm", "off") is None


def test_a_changes_entry_the_optimizer_cannot_take_is_refused(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(SMALL + 'optimizer = "adam"\n[[changes]]\nepoch = 1\nbatch = 2\nname = "momentum"\nvalue = 0.5\n')
    with pytest.raises(PresetError, match=r"changes\[0\]\.name must be a setting optimizer adam takes: lr, betas, "
                                          r"max_grad_norm, got 'momentum'"):
        load_preset(str(path))


@pytest.mark.parametrize("optimizer, note", [
    ("sgd", "lr, momentum, clip norm"), ("momentum", "lr, momentum, clip norm"), ("adam", "lr, betas, clip norm"),
    ("adamw", "lr, betas, clip norm"), ("rmsprop", "lr, momentum, clip norm")])
def test_the_lock_note_names_exactly_the_hot_edits_the_optimizer_takes(optimizer, note):
    assert lock_note(optimizer) == f"Locked while training\n{note}: Enter edits"
    open_ = {s.name for s in hot_settings(optimizer)}
    assert open_ == {s.name for s in all_settings().values()
                     if s.hot and (s.group != "optimizer" or s.name in OPTIMIZERS[optimizer].option_names())}


def test_every_setting_has_its_own_name_flag_and_form_label():
    settings_ = list(all_settings().values())
    flags = [flag for s in settings_ for flag in (s.flag, *s.aliases)]
    assert len(set(flags)) == len(flags) and len({s.label for s in settings_}) == len(settings_)
    assert setting_names() == tuple(s.name for s in settings_)
    assert {"alpha", "eps", "amsgrad", "centered"} <= set(setting_names())  # the optimizers declare them


def _hot_values(name: str):
    """Text a user may type into a hot field: numbers in and out of range, pairs, words."""
    number = st.one_of(st.floats(-2, 3, allow_nan=False), st.sampled_from([0.0, 0.5, 0.999, 1.0, 1e-12]))
    text = st.one_of(number.map(repr), st.sampled_from(["", "off", "default", "nan", "inf", "1e309", "abc"]))
    if name == "betas":
        return st.one_of(text, st.tuples(number, number).map(lambda p: f"{p[0]!r}, {p[1]!r}"))
    return text


def _loop(preset):
    """A one-layer FitLoop with the preset's optimizer, to apply hot edits through npnn's own path."""
    model = nn.Linear(3, 1)
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    loader = DataLoader(x, x[:, :1].copy(), batch_size=4, generator=np.random.default_rng(0))
    return FitLoop(model, nn.MSELoss(), build_optimizer(preset, model), loader, epochs=2,
                   max_grad_norm=preset.max_grad_norm)


HOT = [(optimizer, s.name) for optimizer in OPTIMIZERS for s in hot_settings(optimizer)]


@pytest.mark.parametrize("optimizer, name", HOT)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_accepted_hot_edit_is_recorded_in_config_toml_and_replays(optimizer, name, data):
    preset = load_preset("tabular_mlp", {"optimizer": optimizer, "epochs": 2})
    text = data.draw(_hot_values(name))
    try:
        value = parse_hot_edit(preset, name, text)
    except PresetError:
        event("refused")
        return
    event("accepted")
    RunControl().set(name, value)
    loop = _loop(preset)
    loop.step_batch()
    loop.set_hyperparameter(name, value)  # npnn takes it, and trains with it
    loop.step_batch()
    config = dict(preset.to_dict(), changes=[{"epoch": 1, "batch": 2, "name": name,
                                              "value": all_settings()[name].to_toml(value)}])
    replayed = preset_from_dict(tomllib.loads(tomli_w.dumps(config)), "config.toml", "x")
    assert replayed.changes == (Change(1, 2, name, value),)


def test_a_hot_momentum_edit_on_rmsprop_trains_records_and_replays(tmp_path):
    control = RunControl(paused=True)
    preset = load_preset("tabular_mlp", {"optimizer": "rmsprop", "epochs": 2, "lr": 1e-3})
    control.set("momentum", parse_hot_edit(preset, "momentum", "0.5"))
    control.set("max_grad_norm", parse_hot_edit(preset, "max_grad_norm", "1.5"))
    control.resume()
    first = Run(preset, out_dir=tmp_path / "runs").execute(control=control)
    assert first.reason == "completed"
    config = tomllib.loads((first.run_dir / "config.toml").read_text())
    assert [(c["name"], c["value"]) for c in config["changes"]] == [("momentum", 0.5), ("max_grad_norm", 1.5)]
    again = Run(load_preset(str(first.run_dir / "config.toml")), out_dir=tmp_path / "again").execute()
    assert [(c.name, c.new) for c in again.history.changes] == [("momentum", 0.5), ("max_grad_norm", 1.5)]
    assert again.history.train_loss == pytest.approx(first.history.train_loss, rel=1e-4)


@pytest.mark.parametrize("change, message", [
    ('name = "momentum"\nvalue = 0', r"changes\[0\]: \[training\]: SGD: nesterov requires momentum > 0"),
    ('name = "momentum"\nvalue = "default"', r"changes\[0\]\.value: momentum must be a number >= 0 and < 1"),
    ('name = ["lr"]\nvalue = 0.1', r"changes\[0\]\.name must be one of lr, momentum, betas, max_grad_norm"),
])
def test_a_changes_entry_a_hot_edit_could_not_make_is_refused(tmp_path, change, message):
    path = tmp_path / "p.toml"
    path.write_text(SMALL + 'optimizer = "sgd"\n[training.optimizer_options]\nmomentum = 0.9\nnesterov = true\n'
                    f"[[changes]]\nepoch = 1\nbatch = 2\n{change}\n")
    with pytest.raises(PresetError, match=message):
        load_preset(str(path))
