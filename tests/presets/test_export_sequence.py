"""A trained addition run exported through `npnn-tui export` to PyTorch, ONNX and NumPy: the same logits as
npnn for prompts of any length up to the context, and the same greedy answers as `npnn-tui predict`."""
from __future__ import annotations

import ast
import runpy
import shutil
import sys

import numpy as np
import pytest

from presets import load_run
from tests.bundles import addition  # noqa: F401  (module-scoped fixture)
from tests.exports import load_script
from tui.cli import main

PROMPTS = ["123+456=", "999+999=", "000+071="]


@pytest.fixture(scope="module")
def exported(addition, tmp_path_factory):
    """The addition run exported once in each format: the folder holding model.py, predict.py, model.onnx."""
    out = tmp_path_factory.mktemp("exports")
    for flag, target in (("--pytorch", out / "pt"), ("--numpy", out / "np"), ("--onnx", out / "model.onnx")):
        assert main(["export", str(addition), flag, str(target)]) == 0
    return out


def _greedy_onnx(session, bundle, prompt: str) -> str:
    """Generation as the ONNX model's doc string tells the caller to do it: append the last position's argmax."""
    ids = bundle.prepare([prompt])
    for _ in range(bundle.default_length(prompt)):
        logits = session.run(None, {"input": ids[:, -bundle.input_shape[0]:]})[0]
        ids = np.concatenate([ids, logits[:, -1].argmax(axis=1)[:, None]], axis=1)
    return "".join(bundle.vocab[i] for i in ids[0, len(prompt):])


def test_the_pytorch_and_numpy_scripts_give_npnns_logits_and_answers(addition, exported, torch):
    bundle = load_run(addition)
    full = ["123+456=057", "999+999=199"]  # NOTE: the whole context, as well as the prompts' 8 characters
    for script in (exported / "pt" / "model.py", exported / "np" / "predict.py"):
        module = load_script(script)
        for prompts in (PROMPTS, full):
            np.testing.assert_allclose(module.forward(module.prepare(prompts)), bundle.outputs(prompts),
                                       rtol=1e-5, atol=1e-5)
        assert module.predict(PROMPTS).tolist() == bundle.complete(PROMPTS)
        assert [len(answer) for answer in module.predict(PROMPTS)] == [4, 4, 4]


def test_the_onnx_network_gives_npnns_logits_and_a_callers_greedy_loop_its_answers(addition, exported):
    ort = pytest.importorskip("onnxruntime")
    bundle = load_run(addition)
    session = ort.InferenceSession(str(exported / "model.onnx"), providers=["CPUExecutionProvider"])
    for prompts in (PROMPTS, ["1", "123+456=057"]):
        for prompt in prompts:
            ids = bundle.prepare([prompt])
            np.testing.assert_allclose(session.run(None, {"input": ids})[0], bundle.outputs(ids), rtol=1e-5, atol=1e-5)
    assert [_greedy_onnx(session, bundle, prompt) for prompt in PROMPTS] == bundle.complete(PROMPTS)
    assert "Generation is left to the caller" in session.get_modelmeta().graph_description


def test_the_scripts_say_generation_is_the_callers_and_complete_prompts_from_the_command_line(exported, addition):
    import subprocess
    source = (exported / "np" / "predict.py").read_text()
    assert "Generation is left to the" in source and "VOCAB = '0123456789+='" in source
    result = subprocess.run([sys.executable, str(exported / "np" / "predict.py"), "123+456=", "001+002="],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == "".join(f"{p}{a}\n" for p, a in zip(["123+456=", "001+002="],
                                                                 load_run(addition).complete(["123+456=", "001+002="])))


def _main(script, argv, capsys, monkeypatch):
    """The exit code, stdout and stderr of `python script ARGV`, run in this process."""
    monkeypatch.setattr(sys, "argv", [str(script), *argv])
    try:
        runpy.run_path(str(script), run_name="__main__")
        code = 0
    except SystemExit as exit:
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv, expected", [
    (["123+456=", "1x"], "character 'x' at position 1 is not in the vocabulary ('0123456789+=')"),
    (["123+456=", "1+2="], "prompt '1+2=' (4 characters) is not a prompt this model answers: an addition prompt is "
                           "8 characters: two 3-digit operands zero-padded, like 007+045="),
    (["123+456"], "prompt '123+456' (7 characters) is not a prompt this model answers"),
    (["12345678"], "prompt '12345678' (8 characters) is not a prompt this model answers"),
    ([""], "a prompt is empty"),
    ([], "usage: python {script} PROMPT ...  (each prompt and its greedy completion, one a line)"),
])
@pytest.mark.parametrize("script", ["np/predict.py", "pt/model.py"])
def test_the_scripts_refuse_a_bad_prompt_or_none_with_one_line_and_exit_2_printing_nothing(
        exported, script, argv, expected, capsys, monkeypatch, request):
    if script == "pt/model.py":
        request.getfixturevalue("torch")
    script = exported / script
    code, out, err = _main(script, argv, capsys, monkeypatch)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert expected.format(script=script) in err


def test_a_run_folder_named_with_three_quotes_exports_valid_python(addition, tmp_path):
    run = tmp_path / 'we"""ird\\N'
    shutil.copytree(addition, run)
    for flag, script in (("--numpy", "predict.py"), ("--pytorch", "model.py")):
        assert main(["export", str(run), flag, str(tmp_path / flag)]) == 0
        tree = ast.parse((tmp_path / flag / script).read_text())
        assert ast.get_docstring(tree).startswith(f"The npnn run {run.name} ")


def test_exporting_into_a_folder_that_holds_an_export_is_refused_without_force(addition, exported, capsys):
    before = (exported / "pt" / "model.py").read_text()
    assert main(["export", str(addition), "--pytorch", str(exported / "pt")]) == 2
    assert "already holds model.py and weights.npz; pass --force" in capsys.readouterr().err
    assert (exported / "pt" / "model.py").read_text() == before
    assert main(["export", str(addition), "--pytorch", str(exported / "pt"), "--force"]) == 0
