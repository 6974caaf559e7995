"""Optimizer arguments and lr schedules as preset keys and overrides: checked with clear errors, reaching the
npnn optimizer and scheduler, seen in history.csv's lr column and replayed from config.toml."""
from __future__ import annotations

import csv
import sys

import pytest

from presets import PresetError, Run, load_preset, parse_override
from presets.catalog import OPTIMIZERS
from presets.models import build_model, build_optimizer, build_scheduler, resolve_layers
from presets.schema import settings_of
from npnn.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau, StepLR

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PRESET = """
name = "knobs"
task = "regression"
model = [{ type = "Linear", in_features = "auto", out_features = "auto" }]
[data]
source = "diabetes"
[training]
optimizer = "sgd"
lr = 0.01
epochs = 6
"""


def built(preset):
    model = build_model(resolve_layers(preset.model, (10,), 1))
    optimizer = build_optimizer(preset, model)
    return optimizer, build_scheduler(preset, optimizer)


def history_lrs(run_dir) -> list[float]:
    with open(run_dir / "history.csv") as fh:
        return [float(row["lr"]) for row in csv.DictReader(fh)]


def test_every_builtin_optimizer_takes_weight_decay():
    assert all("weight_decay" in OPTIMIZERS[name].option_names()
               for name in ("sgd", "momentum", "adam", "adamw", "rmsprop"))


def test_toml_keys_reach_the_optimizer_and_the_scheduler(small_preset):
    path = small_preset(PRESET + 'lr_schedule = "step"\n'
                        "[training.optimizer_options]\nweight_decay = 0.001\nmomentum = 0.8\nnesterov = true\n"
                        "[training.lr_schedule_options]\nstep_size = 2\ngamma = 0.5\n")
    optimizer, scheduler = built(load_preset(str(path)))
    group = optimizer.param_groups[0]
    assert (group["weight_decay"], group["momentum"], group["nesterov"]) == (0.001, 0.8, True)
    assert isinstance(scheduler, StepLR) and (scheduler.step_size, scheduler.gamma) == (2, 0.5)


def test_overrides_set_adam_betas_and_weight_decay_and_default_drops_them():
    preset = load_preset("tabular_mlp", {"betas": "0.8, 0.95", "weight_decay": "1e-4"})
    assert preset.optimizer_options == {"betas": (0.8, 0.95), "weight_decay": 1e-4}
    optimizer, scheduler = built(preset)
    assert optimizer.param_groups[0]["betas"] == (0.8, 0.95) and scheduler is None
    again = load_preset("tabular_mlp", {"betas": "0.8, 0.95", "weight_decay": "default"})
    assert again.optimizer_options == {"betas": (0.8, 0.95)}


def test_cosine_t_max_auto_is_the_epoch_budget_and_plateau_watches_the_val_loss():
    _, cosine = built(load_preset("tabular_mlp", {"lr_schedule": "cosine", "epochs": 40}))
    assert isinstance(cosine, CosineAnnealingLR) and cosine.T_max == 40
    _, plateau = built(load_preset("tabular_mlp", {"lr_schedule": "plateau", "lr_schedule_options": "patience=2"}))
    assert isinstance(plateau, ReduceLROnPlateau) and (plateau.patience, plateau.factor) == (2, 0.1)


@pytest.mark.parametrize("extra, message", [
    ('lr_schedule = "warmup"', "training.lr_schedule must be one of none, step, cosine, plateau, got 'warmup'"),
    ('lr_schedule = "step"', "lr_schedule step needs training.lr_schedule_options.step_size (an integer >= 1)"),
    ('lr_schedule = "step"\n[training.lr_schedule_options]\nstep_size = 0',
     "training.lr_schedule_options.step_size must be an integer >= 1, got 0"),
    ('lr_schedule = "cosine"\n[training.lr_schedule_options]\nstep_size = 2',
     "unknown key 'training.lr_schedule_options.step_size' for lr_schedule cosine; allowed: T_max, eta_min"),
    ('[training.lr_schedule_options]\nstep_size = 2',
     'training.lr_schedule_options is set but lr_schedule is "none"'),
    ('lr_schedule = "plateau"\n[training.lr_schedule_options]\nfactor = 1.5',
     "training.lr_schedule_options.factor must be a number > 0 and < 1, got 1.5"),
    ("[training.optimizer_options]\nnesterov = true",
     "[training]: SGD: nesterov requires momentum > 0 and dampening = 0"),
    ("[training.optimizer_options]\nweight_decay = -1",
     "training.optimizer_options.weight_decay must be a number >= 0, got -1"),
    ("weight_decay = 0.1", "unknown key 'training.weight_decay'"),
])
def test_schema_errors_name_the_file_the_key_and_what_is_allowed(small_preset, extra, message):
    path = small_preset(PRESET + extra + "\n")
    with pytest.raises(PresetError) as info:
        load_preset(str(path))
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)


def test_adam_betas_in_toml_are_a_pair_in_range(small_preset):
    adam = PRESET.replace('optimizer = "sgd"', 'optimizer = "adam"')
    assert load_preset(str(small_preset(adam + "[training.optimizer_options]\nbetas = [0.5, 0.9]\n"))
                       ).optimizer_options == {"betas": (0.5, 0.9)}
    for bad in ("[0.9]", "[0.9, 1.0]", "0.9", '["a", 0.9]'):
        with pytest.raises(PresetError, match=r"optimizer_options.betas must be 2 numbers, each >= 0 and < 1, got"):
            load_preset(str(small_preset(adam + f"[training.optimizer_options]\nbetas = {bad}\n")))


@pytest.mark.parametrize("overrides, message", [
    ({"nesterov": "true"}, "nesterov: optimizer adam takes no nesterov; sgd, momentum do"),
    ({"optimizer": "sgd", "betas": "0.9,0.99"}, "betas: optimizer sgd takes no betas; adam, adamw do"),
    ({"optimizer": "sgd", "nesterov": "true"}, "nesterov requires momentum > 0"),
    ({"lr_schedule": "step"}, "lr_schedule step needs training.lr_schedule_options.step_size"),
    ({"lr_schedule": "cosine", "lr_schedule_options": "gamma=0.5"},
     "unknown key 'training.lr_schedule_options.gamma' for lr_schedule cosine"),
])
def test_overrides_that_do_not_fit_together_are_refused(overrides, message):
    with pytest.raises(PresetError, match=message):
        load_preset("tabular_mlp", overrides)


@pytest.mark.parametrize("key, text, message", [
    ("weight_decay", "-1", 'weight_decay must be a number >= 0 (or "default"), got \'-1\''),
    ("nesterov", "yes", 'nesterov must be true or false (or "default"), got \'yes\''),
    ("betas", "0.9", 'betas must be 2 numbers, each >= 0 and < 1 (or "default"), got \'0.9\''),
    ("lr_schedule", "linear", "lr_schedule must be one of none, step, cosine, plateau, got 'linear'"),
    ("lr_schedule_options", "step_size", "lr_schedule_options must be NAME=VALUE pairs separated by commas"),
    ("lr_schedule_options", "warmup=3", "lr_schedule_options: unknown option 'warmup'; the schedules take step_size"),
    ("lr_schedule_options", "step_size=1.5", "lr_schedule_options.step_size must be an integer >= 1, got '1.5'"),
])
def test_parse_override_explains_a_bad_knob(key, text, message):
    with pytest.raises(PresetError) as info:
        parse_override(key, text)
    assert str(info.value).startswith(message)


def test_parse_override_reads_the_knobs_as_typed():
    assert parse_override("betas", "[0.9 0.99]") == (0.9, 0.99)
    assert parse_override("nesterov", "True") is True and parse_override("momentum", "") is None
    assert parse_override("lr_schedule_options", " step_size = 3, gamma=0.5 ") == {"step_size": 3, "gamma": 0.5}
    assert parse_override("lr_schedule_options", "") == {} and parse_override("lr_schedule", "Cosine") == "cosine"


def test_switching_schedule_keeps_only_the_options_the_new_one_takes():
    preset = load_preset("tabular_mlp", {"lr_schedule": "plateau", "lr_schedule_options": "patience=2,min_lr=1e-5"})
    switched = load_preset("tabular_mlp", {"lr_schedule": "cosine"})
    assert switched.lr_schedule_options == {}
    from presets.overrides import apply_overrides
    assert apply_overrides(preset, {"lr_schedule": "none"}).lr_schedule_options == {}
    assert apply_overrides(preset, {"lr": "0.1"}).lr_schedule_options == {"patience": 2, "min_lr": 1e-5}


def test_a_step_schedule_changes_the_lr_column_of_history_csv_and_replays(tmp_path):
    overrides = {"epochs": 5, "lr": 0.01, "lr_schedule": "step", "lr_schedule_options": "step_size=2, gamma=0.5",
                 "weight_decay": 1e-3, "patience": 50}
    result = Run(load_preset("wine_mlp", overrides), out_dir=tmp_path / "runs").execute()
    assert history_lrs(result.run_dir) == pytest.approx([0.01, 0.01, 0.005, 0.005, 0.0025])
    config = tomllib.loads((result.run_dir / "config.toml").read_text())["training"]
    assert config["lr_schedule"] == "step" and config["lr_schedule_options"] == {"step_size": 2, "gamma": 0.5}
    assert config["optimizer_options"] == {"weight_decay": 1e-3}
    again = Run(load_preset(str(result.run_dir / "config.toml")), out_dir=tmp_path / "again").execute()
    assert history_lrs(again.run_dir) == history_lrs(result.run_dir)
    assert again.history.train_loss == pytest.approx(result.history.train_loss)


def test_weight_decay_reaches_the_optimizer_and_changes_training(tmp_path):
    plain = Run(load_preset("wine_mlp", {"epochs": 3, "optimizer": "sgd", "lr": 0.1}), out_dir=tmp_path)
    decayed = Run(load_preset("wine_mlp", {"epochs": 3, "optimizer": "sgd", "lr": 0.1, "weight_decay": 0.5}),
                  out_dir=tmp_path)
    decayed.prepare()
    assert decayed.optimizer.param_groups[0]["weight_decay"] == 0.5
    first, second = plain.execute(), decayed.execute()
    weights = [float((run.model[0].weight.data ** 2).sum()) for run in (plain, decayed)]
    assert weights[1] < weights[0]  # the L2 penalty shrinks the weights
    assert first.history.train_loss != second.history.train_loss


def test_settings_read_an_unset_optimizer_argument_as_the_optimizers_default():
    settings = load_preset("tabular_mlp", {"optimizer": "adamw"}).settings()
    assert (settings["weight_decay"], settings["betas"], settings["nesterov"]) == (0.01, (0.9, 0.999), None)
    assert settings["lr_schedule"] == "none" and settings["lr_schedule_options"] == {}
    old = settings_of({"optimizer": "sgd", "lr": 0.1, "optimizer_options": {"momentum": 0.9}})  # an older config
    assert (old["momentum"], old["nesterov"], old["lr_schedule"]) == (0.9, False, "none")
    assert settings_of({"optimizer": ["odd"], "optimizer_options": "x"})["weight_decay"] is None


def test_rmsprop_alpha_and_adam_eps_and_amsgrad_reach_the_npnn_optimizer_from_flags_and_files(small_preset):
    rmsprop, _ = built(load_preset("tabular_mlp", {"optimizer": "rmsprop", "alpha": "0.9", "centered": "true"}))
    assert (rmsprop.param_groups[0]["alpha"], rmsprop.param_groups[0]["centered"]) == (0.9, True)
    adam, _ = built(load_preset("tabular_mlp", {"eps": "1e-6", "amsgrad": "true"}))
    assert (adam.param_groups[0]["eps"], adam.param_groups[0]["amsgrad"]) == (1e-6, True)
    path = small_preset(PRESET.replace('"sgd"', '"adam"') + "[training.optimizer_options]\namsgrad = true\neps = 1e-7\n")
    assert load_preset(str(path)).optimizer_options == {"amsgrad": True, "eps": 1e-7}
    with pytest.raises(PresetError, match="alpha: optimizer adam takes no alpha; rmsprop does"):
        load_preset("tabular_mlp", {"alpha": "0.9"})
    with pytest.raises(PresetError, match=r"eps must be a number > 0 \(or \"default\"\), got '0'"):
        parse_override("eps", "0")
