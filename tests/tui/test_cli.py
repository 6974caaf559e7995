"""The command line: flags become validated overrides and typed Options, exit codes, --list-presets,
--version, the interactive branch."""
from __future__ import annotations

import pytest

from tui import exits, options
from tui.cli import main
from tui.options import DEFAULT_PRESET, Options, build_parser, overrides_from_args, parse_options


def test_flags_become_validated_overrides():
    args = build_parser().parse_args([
        "--preset", "mnist_cnn", "--optimizer", "RMSprop", "--lr", "3e-4", "--dropout", "0.1", "--patience", "4",
        "--min-delta", "0.01", "--epochs", "7", "--batch-size", "16", "--seed", "9", "--clip-norm", "2.5"])
    assert args.preset == "mnist_cnn"
    assert overrides_from_args(args) == {"optimizer": "rmsprop", "lr": 3e-4, "dropout": 0.1, "patience": 4,
                                         "min_delta": 0.01, "epochs": 7, "batch_size": 16, "seed": 9,
                                         "max_grad_norm": 2.5}


def test_optimizer_and_schedule_flags_become_validated_overrides():
    args = build_parser().parse_args([
        "--optimizer", "sgd", "--weight-decay", "1e-4", "--momentum", "0.9", "--nesterov", "true",
        "--betas", "default", "--lr-schedule", "Step", "--lr-schedule-options", "step_size=5,gamma=0.5"])
    assert overrides_from_args(args) == {"optimizer": "sgd", "weight_decay": 1e-4, "momentum": 0.9, "nesterov": True,
                                         "betas": None, "lr_schedule": "step",
                                         "lr_schedule_options": {"step_size": 5, "gamma": 0.5}}
    help_text = " ".join(build_parser().format_help().split())
    assert "--nesterov true|false|default" in help_text and "one of none, step, cosine, plateau" in help_text
    assert "(adam, adamw; default: the optimizer's own)" in help_text  # --betas: who takes it


def test_every_optimizer_argument_the_catalog_declares_is_a_flag():
    args = build_parser().parse_args(["--optimizer", "rmsprop", "--alpha", "0.9", "--eps", "1e-6", "--centered",
                                      "true", "--amsgrad", "default"])
    assert overrides_from_args(args) == {"optimizer": "rmsprop", "alpha": 0.9, "eps": 1e-6, "centered": True,
                                         "amsgrad": None}
    help_text = " ".join(build_parser().format_help().split())
    assert "--alpha F|default smoothing constant (rmsprop; default: the optimizer's own)" in help_text
    assert "--amsgrad true|false|default" in help_text and "--eps F|default" in help_text


@pytest.mark.parametrize("argv, message", [
    (["--nesterov", "true"], "npnn-tui: error: nesterov: optimizer adam takes no nesterov; sgd, momentum do"),
    (["--lr-schedule", "step"], "npnn-tui: error: lr_schedule step needs training.lr_schedule_options.step_size"),
])
def test_knobs_that_do_not_fit_the_preset_exit_2_with_one_line(capsys, tmp_path, argv, message):
    assert main(["--headless", "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and len(err.strip().splitlines()) == 1


def test_only_given_flags_override_and_clip_norm_off_is_kept():
    parser = build_parser()
    args = parser.parse_args([])
    assert overrides_from_args(args) == {}
    assert (args.preset, args.out, args.data, args.target, args.download, args.headless) == (
        None, "runs", None, None, False, False)
    assert overrides_from_args(parser.parse_args(["--clip-norm", "off"])) == {"max_grad_norm": None}
    assert overrides_from_args(parser.parse_args(["--max-grad-norm", "0.5"])) == {"max_grad_norm": 0.5}


def test_a_hand_built_namespace_counts_its_non_none_values():
    import argparse
    args = argparse.Namespace(lr=0.1, epochs=None)
    assert overrides_from_args(args) == {"lr": 0.1}


@pytest.mark.parametrize("argv, message", [
    (["--lr", "abc"], "argument --lr: lr must be a number > 0, got 'abc'"),
    (["--epochs", "0"], "argument --epochs: epochs must be an integer >= 1, got '0'"),
    (["--optimizer", "lbfgs"], "optimizer must be one of sgd, momentum, adam, adamw, rmsprop"),
    (["--dropout", "1"], "dropout must be a number >= 0 and < 1"),
    (["--betas", "0.9,1"], "argument --betas: betas must be 2 numbers, each >= 0 and < 1"),
    (["--lr-schedule-options", "gamma"], "lr_schedule_options must be NAME=VALUE pairs"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_arguments_exit_2_with_a_message(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        main(["--headless", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("argv, message", [
    (["--preset", "nope"], "npnn-tui: error: unknown preset 'nope'"),
    (["--data", "missing.csv", "--target", "y"], "npnn-tui: error: missing.csv: no such file or directory"),
])
def test_bad_preset_or_data_exit_2_without_a_traceback(capsys, tmp_path, argv, message):
    assert main(["--headless", "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and "Traceback" not in err


def test_a_broken_preset_file_exits_2_naming_the_key(capsys, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('task = "regression"\nmodel = [{ type = "Linear", out_features = 1 }]\n'
                    '[data]\nsource = "diabetes"\n[training]\nlr = -1\n')
    assert main(["--headless", "--preset", str(path)]) == 2
    assert capsys.readouterr().err.strip() == f"npnn-tui: error: {path}: training.lr must be a number > 0, got -1"


def test_list_presets(capsys):
    assert main(["--list-presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["addition_transformer", "char_lm", "mnist_cnn", "tabular_mlp",
                                                   "wine_mlp"]
    assert "Tabular MLP" in lines[3]


def test_options_are_typed_and_take_the_defaults():
    assert parse_options([]) == Options(preset=DEFAULT_PRESET, overrides={}, data=None, target=None,
                                        download=False, out="runs", headless=False, list_presets=False)
    got = parse_options(["--headless", "--preset", "mnist_cnn", "--lr", "0.5", "--data", "d.npz", "--out", "o"])
    assert (got.headless, got.preset, got.overrides, got.data, got.out) == (True, "mnist_cnn", {"lr": 0.5},
                                                                           "d.npz", "o")


def test_without_headless_the_app_gets_the_typed_options(monkeypatch):
    seen = []

    class FakeApp:
        return_code = 0  # as Textual's App after a normal exit

        def run(self):
            seen.append("ran")

    monkeypatch.setattr("tui.app.make_app", lambda options: seen.append(options) or FakeApp())
    assert main(["--lr", "0.5", "--preset", "mnist_cnn"]) == 0
    got = seen[0]
    assert seen[1] == "ran" and isinstance(got, Options)
    assert (got.preset, got.overrides, got.headless) == ("mnist_cnn", {"lr": 0.5}, False)


def test_exit_codes_are_the_documented_numbers():
    assert (exits.EXIT_OK, exits.EXIT_FAILED, exits.EXIT_USAGE, exits.EXIT_INTERRUPTED) == (0, 1, 2, 130)
    assert (exits.EXIT_TERMINATED, exits.EXIT_HANGUP) == (143, 129)
    assert options.EXIT_INTERRUPTED == exits.EXIT_INTERRUPTED  # the options module hands them on


def test_version_prints_the_installed_distribution_version(capsys):
    from importlib import metadata

    import npnn
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"npnn-tui {metadata.version('npnn-tui')}\n"
    assert npnn.__version__ == metadata.version("npnn-tui")


# --- flags that cannot apply (issue 13): refused with exit 2, never silently dropped -----------------

@pytest.mark.parametrize("argv, message", [
    (["--preset", "mnist_cnn", "--dropout", "0.2"],
     "--dropout 0.2: preset mnist_cnn has no Dropout layer for it to set"),
    (["--target", "price"], "--target price: needs --data FILE.csv to pick the column from (preset tabular_mlp "
                            "uses diabetes data, which has no columns to choose)"),
    (["--preset", "mnist_cnn", "--data", "digits.npz", "--target", "label"],
     "--target label: digits.npz is not a CSV file, so there is no column to pick"),
])
@pytest.mark.parametrize("mode", [["--headless"], []], ids=["headless", "app"])
def test_flags_the_preset_cannot_use_exit_2_naming_flag_value_and_why(capsys, tmp_path, monkeypatch, argv,
                                                                        message, mode):
    monkeypatch.setattr("presets.run.load_data", lambda *a, **k: pytest.fail("data loaded"))
    monkeypatch.setattr("tui.app.TrainerApp.run", lambda self: pytest.fail("the app started"))
    assert main([*mode, "--out", str(tmp_path / "runs"), *argv]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"npnn-tui: error: {message}\n" and captured.out == ""
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_flags_that_apply_pass_the_check():
    from presets import load_preset
    from tui.options import check_flags_apply
    check_flags_apply(parse_options(["--dropout", "0"]), load_preset("tabular_mlp", {"dropout": 0.0}))
    check_flags_apply(parse_options(["--data", "mine.CSV", "--target", "y"]), load_preset("tabular_mlp"))
    check_flags_apply(parse_options(["--preset", "mnist_cnn", "--lr", "0.1"]), load_preset("mnist_cnn"))


def test_a_target_for_a_preset_that_reads_a_csv_itself_is_accepted(tmp_path):
    from presets import load_preset
    from tui.options import check_flags_apply
    preset = tmp_path / "mine.toml"
    preset.write_text('task = "regression"\nmodel = [{ type = "Linear", in_features = "auto", out_features = 1 }]\n'
                      f'[data]\nsource = "csv"\npath = "{tmp_path / "houses.csv"}"\ntarget = "price"\n')
    check_flags_apply(parse_options(["--preset", str(preset), "--target", "rooms"]), load_preset(str(preset)))


# --- issue 23: no command ends in a traceback; one helper (tui.failures) says what went wrong -------

HUGE = "1" + "0" * 400


@pytest.mark.parametrize("flag", ["--epochs", "--batch-size", "--seed", "--patience", "--lr", "--min-delta"])
def test_a_400_digit_number_in_a_numeric_flag_exits_2_with_one_line(capsys, flag):
    with pytest.raises(SystemExit) as info:
        main(["--headless", flag, HUGE])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"npnn-tui: error: argument {flag}: ") and err.count("\n") == 1 and "Traceback" not in err


# where each command's work starts: raising there stands for anything its code may raise
_ENTRIES = {
    "headless": ("tui.headless.load_preset", ["--headless"]),
    "predict": ("tui.commands.load_run", ["predict", "RUN", "new.csv"]),
    "export": ("tui.commands.load_run", ["export", "RUN", "--numpy", "eject"]),
    "sweep": ("tui.sweep.Sweep", ["sweep", "--trials", "1"]),
    "app": ("tui.app.make_app", []),
}


@pytest.mark.parametrize("command", list(_ENTRIES))
@pytest.mark.parametrize("error, code, line", [
    (ValueError("new.csv: line 3, column 'age': expected a number, got 'old'"), 2,
     "new.csv: line 3, column 'age': expected a number, got 'old'"),
    (OSError(28, "No space left on device", "eject/weights.npz"), 1, "eject/weights.npz: No space left on device"),
    (ModuleNotFoundError("No module named 'psycopg'"), 1, "No module named 'psycopg'"),
    (MemoryError(), 1, "the command ran out of memory"),
    (RuntimeError("boom\nsecond line"), 1, "unexpected RuntimeError: boom second line"),
    (RecursionError("maximum recursion depth exceeded"), 1,
     "unexpected RecursionError: maximum recursion depth exceeded"),
])
def test_every_command_turns_an_error_into_one_line_and_its_exit_code(command, error, code, line, capsys,
                                                                      tmp_path, monkeypatch):
    target, argv = _ENTRIES[command]
    monkeypatch.chdir(tmp_path)

    def fail(*args, **kwargs):
        raise error
    monkeypatch.setattr(target, fail)
    assert main(argv) == code
    captured = capsys.readouterr()
    assert captured.err == f"npnn-tui: error: {line}\n"
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("command", list(_ENTRIES))
def test_an_interrupt_before_any_work_exits_130_quietly(command, capsys, tmp_path, monkeypatch):
    target, argv = _ENTRIES[command]
    monkeypatch.chdir(tmp_path)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(target, interrupted)
    assert main(argv) == 130
    assert capsys.readouterr().err == ""
