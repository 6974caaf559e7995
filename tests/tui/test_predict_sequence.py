"""`npnn-tui predict RUN PROMPT...` on a sequence run: each prompt printed with its completion, greedy by default,
--temperature / --length / --seed, prompts from a file or stdin; every wrong input exit 2 with one line."""
from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pytest

from presets import load_run
from tests.bundles import addition, char_lm, regressor  # noqa: F401  (module-scoped fixtures)
from tui.cli import main


def _run(argv, capsys):
    """The exit code, stdout and stderr of `npnn-tui predict ARGV` (argparse's errors exit by SystemExit)."""
    try:
        code = main(["predict", *map(str, argv)])
    except SystemExit as exit:
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def test_an_addition_prompt_is_printed_with_the_greedy_answer(addition, capsys):
    code, out, err = _run([addition, "123+456=", "999+999="], capsys)
    answers = load_run(addition).complete(["123+456=", "999+999="])
    assert code == 0 and err == ""
    assert out == f"123+456={answers[0]}\n999+999={answers[1]}\n" and all(len(a) == 4 for a in answers)


def test_a_text_run_writes_200_characters_or_length_sampled_reproducibly_with_a_seed(char_lm, capsys):
    prompt = load_run(char_lm).vocab[-3:]
    code, out, _ = _run([char_lm, prompt], capsys)
    assert code == 0 and out.startswith(prompt) and len(out) == len(prompt) + 200 + 1
    sampled = [_run([char_lm, prompt, "--temperature", "1.5", "--length", "25", "--seed", "4"], capsys)[1]
               for _ in range(2)]
    assert sampled[0] == sampled[1] and len(sampled[0]) == len(prompt) + 26
    expected = load_run(char_lm).complete(prompt, 25, 1.5, np.random.default_rng(4))[0]
    assert sampled[0] == f"{prompt}{expected}\n"


def test_prompts_one_a_line_from_a_file_or_stdin(addition, tmp_path, capsys, monkeypatch):
    (tmp_path / "prompts.txt").write_bytes(b"123+456=\r\n001+002=\n")
    code, from_file, _ = _run([addition, "--prompts", tmp_path / "prompts.txt"], capsys)
    assert code == 0 and from_file.splitlines()[1].startswith("001+002=") and len(from_file.splitlines()) == 2
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"123+456=\n001+002=\n")))
    assert _run([addition, "--prompts", "-"], capsys)[1] == from_file
    code, _, err = _run([addition, "-o", tmp_path / "out.txt", "001+001="], capsys)
    assert code == 0 and (tmp_path / "out.txt").read_text().startswith("001+001=")
    assert err == f"Completions of 1 prompt written to {tmp_path / 'out.txt'}\n"


@pytest.mark.parametrize("argv, expected", [
    (["12x+4="], "prompt: character 'x' at position 2 is not in the vocabulary ('0123456789+=')"),
    (["001+001=", "--temperature", "-1"], "argument --temperature: must be a finite number >= 0, got '-1'"),
    (["001+001=", "--temperature", "nan"], "argument --temperature: must be a finite number >= 0, got 'nan'"),
    (["001+001=", "--length", "0"], "argument --length: must be an integer from 1 to 100000, got '0'"),
    (["001+001=", "--seed", "x"], "argument --seed: must be an integer >= 0, got 'x'"),
    (["001+001=", ""], "prompt 2 is empty"),
    (["123+456=0579+1", "--length", "2"], "prompt '123+456=0579+1' (14 characters) is not a prompt this model"),
    (["1+2="], "prompt '1+2=' (4 characters) is not a prompt this model answers: an addition prompt is 8 "
               "characters: two 3-digit operands zero-padded, like 007+045="),
    (["123+456"], "prompt '123+456' (7 characters) is not a prompt this model answers: an addition prompt is 8"),
    (["123+456=", "12345678"], "prompt 2 '12345678' (8 characters) is not a prompt this model answers"),
    ([], "a sequence run completes prompts: give them as arguments or one a line in --prompts FILE"),
    (["--prompts", "missing.txt"], "missing.txt: no such file"),
    (["--prompts", "."], ".: not a regular file; --prompts takes a text file of prompts"),
    (["001+001=", "--prompts", "-"], "give them as arguments or one a line in --prompts FILE (- for stdin); not both"),
])
def test_a_wrong_prompt_or_flag_exits_2_with_one_line(addition, argv, expected, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run([addition, *argv], capsys)
    assert code == 2 and out == "" and expected in err and len(err.splitlines()) == 1


def test_a_malformed_addition_prompt_in_a_file_is_refused_naming_its_line(addition, tmp_path, capsys):
    (tmp_path / "p.txt").write_text("123+456=\n1+2=\n")
    code, out, err = _run([addition, "--prompts", tmp_path / "p.txt"], capsys)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert f"{tmp_path / 'p.txt'}: line 2 '1+2=' (4 characters) is not a prompt this model answers" in err


def test_a_prompt_file_names_the_line_that_is_wrong(addition, tmp_path, capsys):
    (tmp_path / "p.txt").write_text("001+001=\n\n")
    code, out, err = _run([addition, "--prompts", tmp_path / "p.txt", "-o", tmp_path / "out"], capsys)
    assert code == 2 and f"{tmp_path / 'p.txt'}: line 2 is empty" in err and not (tmp_path / "out").exists()


def test_a_longer_prompt_than_the_context_is_read_by_its_last_characters(char_lm, capsys):
    prompt = load_run(char_lm).vocab[1] * 50
    code, out, _ = _run([char_lm, prompt, "--length", "3"], capsys)
    assert code == 0 and out.startswith(prompt) and len(out) == 54


@pytest.mark.parametrize("vocab, expected", [
    ("0123456789+=1", "vocab holds '1' twice; each character must be unique"),
    ("", "vocab must be a non-empty string"),
    (12, "vocab must be a non-empty string of the characters the model reads (token i is vocab[i]), got 12"),
])
def test_a_hand_edited_vocabulary_exits_2_naming_bundle_json(addition, vocab, expected, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(addition, run)
    raw = json.loads((run / "bundle.json").read_text())
    (run / "bundle.json").write_text(json.dumps(raw | {"vocab": vocab}))
    code, out, err = _run([run, "001+001="], capsys)
    assert code == 2 and out == "" and err.startswith(f"npnn-tui: error: {run / 'bundle.json'}: {expected}")


def test_sequence_flags_on_a_table_run_exit_2(regressor, capsys):
    code, _, err = _run([regressor, "new.csv", "--temperature", "1"], capsys)
    assert code == 2 and "a regression run predicts on one DATA file; --temperature is for a sequence run" in err
    code, _, err = _run([regressor], capsys)
    assert code == 2 and "a regression run predicts on one DATA file, got 0" in err


def test_prompts_from_a_closed_stdin_exit_2(addition, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", None)
    code, out, err = _run([addition, "--prompts", "-"], capsys)
    assert code == 2 and out == "" and "--prompts -: stdin is closed" in err
