"""Exports answer as the bundle does: ONNX (onnx.reference and onnxruntime), PyTorch and plain NumPy."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from presets import load_run
from presets.datasets import read_csv
from presets.export import MissingExtra
from tests import processes
from tests.bundles import classifier, cnn, regressor, write_species_csv  # noqa: F401  (module-scoped fixtures)
from tests.exports import assert_same_answers, load_script, onnx_input, run_onnx  # noqa: F401  (a fixture)
from tests.presets.conftest import fake_mnist
from tui.cli import main

BATCHNORM_TOML = """
name = "species_bn"
task = "classification"
model = [
    { type = "Linear", in_features = "auto", out_features = 16 },
    { type = "BatchNorm1d" },
    { type = "ReLU" },
    { type = "Linear", in_features = 16, out_features = "auto" },
]
[data]
source = "csv"
path = "species.csv"
target = "species"
[training]
loss = "cross_entropy"
optimizer = "adam"
lr = 0.01
epochs = 3
"""

def diabetes_rows(n: int = 40) -> np.ndarray:
    from sklearn.datasets import load_diabetes
    return load_diabetes().data[:n]


@pytest.fixture(scope="module")
def batchnorm(tmp_path_factory):
    """A trained classifier with a BatchNorm1d layer (its running statistics moved by training)."""
    from presets import Run, load_preset
    out = tmp_path_factory.mktemp("bn")
    data = write_species_csv(out / "species.csv")
    (out / "species_bn.toml").write_text(BATCHNORM_TOML)
    run = Run(load_preset(str(out / "species_bn.toml")), out_dir=out, data_path=data, target="species").execute()
    return run.run_dir, data


@pytest.fixture(scope="module")
def trained(regressor, classifier, cnn, batchnorm):
    """name → (bundle, raw inputs as Bundle.predict takes them) for each trained run."""
    species = read_csv(classifier[1], "species")[0]
    return {"regressor": (load_run(regressor), diabetes_rows()),
            "classifier": (load_run(classifier[0]), species),
            "cnn": (load_run(cnn[0]), fake_mnist(12, seed=3)[0][:, None]),
            "batchnorm": (load_run(batchnorm[0]), read_csv(batchnorm[1], "species")[0])}


# --- ONNX ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["regressor", "classifier", "cnn", "batchnorm"])
def test_onnx_answers_as_the_bundle_does(name, trained, run_onnx, tmp_path):
    from presets.export.onnx import export_onnx
    bundle, x = trained[name]
    path = export_onnx(bundle, tmp_path / "model.onnx")
    assert path == tmp_path / "model.onnx"
    assert_same_answers(bundle, x, run_onnx(path, onnx_input(bundle, x)))


def test_onnx_images_in_0_1_or_0_255_are_scaled_as_the_bundle_scales_them(trained, run_onnx, tmp_path):
    from presets.export.onnx import export_onnx
    bundle, x = trained["cnn"]
    path = export_onnx(bundle, tmp_path / "cnn.onnx")
    unit = x.astype(np.float32) / 255
    answers = run_onnx(path, unit)
    assert_same_answers(bundle, unit, answers)
    np.testing.assert_allclose(answers["probabilities"], run_onnx(path, onnx_input(bundle, x))["probabilities"],
                               rtol=1e-5, atol=1e-7)


def test_onnx_model_passes_the_checker_and_names_its_inputs_and_outputs(trained, tmp_path):
    onnx = pytest.importorskip("onnx")
    from presets.export.onnx import export_onnx
    bundle, _ = trained["classifier"]
    model = onnx.load(str(export_onnx(bundle, tmp_path / "m.onnx")))
    onnx.checker.check_model(model, full_check=True)
    assert [i.name for i in model.graph.input] == ["length", "width", "noise"]  # one (N, 1) input per column
    assert all(i.type.tensor_type.elem_type == onnx.TensorProto.DOUBLE for i in model.graph.input)
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    assert {p.key: p.value for p in model.metadata_props}["feature_names"] == '["length", "width", "noise"]'
    assert "Dropout" not in {node.op_type for node in model.graph.node}


def test_onnx_without_the_onnx_package_names_the_extra(trained, tmp_path, monkeypatch, capsys):
    from presets.export.onnx import export_onnx
    monkeypatch.setitem(__import__("sys").modules, "onnx", None)  # NOTE: makes `import onnx` fail
    with pytest.raises(MissingExtra, match=r"pip install 'npnn-tui\[onnx\]'"):
        export_onnx(trained["regressor"][0], tmp_path / "m.onnx")
    assert main(["export", str(trained["regressor"][0].run_dir), "--onnx", str(tmp_path / "m.onnx")]) == 1
    assert "pip install 'npnn-tui[onnx]'" in capsys.readouterr().err


# --- PyTorch and NumPy ----------------------------------------------------------------------------------
# NOTE: runs in a fresh interpreter whose imports of the project (and of `refused`) fail, from a working
# directory outside it, with PYTHONPATH empty: the exported script must stand on its own.
RUNNER = """
import importlib.abc, sys
import numpy as np
refused = set(sys.argv[4].split(","))
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in refused:
            raise ImportError(f"the export imports {name}")
sys.meta_path.insert(0, Refuse())
sys.path.insert(0, sys.argv[1])
script = __import__(sys.argv[2])
x = np.load(sys.argv[3])
answers = {"label": script.predict(x), "probabilities": script.predict_proba(x)} if hasattr(script, "predict_proba") \
    else {"prediction": script.predict(x)}
np.savez(sys.argv[3] + ".out.npz", **answers)
"""
PROJECT = ("npnn", "presets", "tui", "tests")


def run_alone(directory: Path, script: str, x, refused: tuple, tmp_path: Path) -> dict:
    """The script's answers for `x`, computed in a subprocess that cannot import `refused`."""
    import sys
    np.save(tmp_path / "x.npy", np.asarray(x))
    result = processes.run([sys.executable, "-c", RUNNER, str(directory), script, str(tmp_path / "x.npy"),
                            ",".join(refused)], cwd=tmp_path, env={"PYTHONPATH": "", "PATH": "/usr/bin:/bin"},
                           capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with np.load(tmp_path / "x.npy.out.npz") as out:
        return {key: out[key] for key in out.files}


def imported_modules(path: Path) -> set:
    import ast
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("name", ["regressor", "classifier", "cnn", "batchnorm"])
def test_numpy_export_answers_as_the_bundle_does_without_npnn(name, trained, tmp_path):
    from presets.export.numpy import export_numpy
    bundle, x = trained[name]
    directory = export_numpy(bundle, tmp_path / "eject")
    assert directory == tmp_path / "eject" and sorted(p.name for p in directory.iterdir()) == ["predict.py",
                                                                                               "weights.npz"]
    assert imported_modules(directory / "predict.py") <= {"csv", "math", "sys", "pathlib", "numpy"}
    assert_same_answers(bundle, x, run_alone(directory, "predict", x, (*PROJECT, "torch"), tmp_path))


@pytest.mark.parametrize("name", ["regressor", "classifier", "cnn", "batchnorm"])
def test_pytorch_export_answers_as_the_bundle_does_without_npnn(name, trained, tmp_path, torch):
    from presets.export.pytorch import export_pytorch
    bundle, x = trained[name]
    directory = export_pytorch(bundle, tmp_path / "torch")
    assert sorted(p.name for p in directory.iterdir()) == ["model.py", "weights.npz"]
    assert imported_modules(directory / "model.py") <= {"csv", "sys", "pathlib", "numpy", "torch"}
    assert_same_answers(bundle, x, run_alone(directory, "model", x, PROJECT, tmp_path))


def test_pytorch_export_is_a_sequential_with_npnn_s_state_dict_keys(trained, tmp_path, torch):
    from presets.export.pytorch import export_pytorch
    bundle, x = trained["batchnorm"]
    module = load_script(export_pytorch(bundle, tmp_path / "torch") / "model.py")
    model = module.build()
    assert isinstance(model, torch.nn.Sequential) and isinstance(model[1], torch.nn.BatchNorm1d)
    assert not model.training
    assert list(model.state_dict()) == list(bundle.model.state_dict())  # 1.running_mean, 1.num_batches_tracked, ...
    np.testing.assert_allclose(model[1].running_var.numpy(), bundle.model.state_dict()["1.running_var"])
    assert not np.allclose(model[1].running_var.numpy(), 1.0)  # training moved them


def test_exported_scripts_print_what_npnn_tui_predict_prints(classifier, cnn, tmp_path, capsys, torch):
    import csv
    import sys
    for run_dir, data in (classifier, cnn):
        assert main(["predict", str(run_dir), str(data)]) == 0
        expected = list(csv.reader(capsys.readouterr().out.splitlines()))
        for option, script in (("--numpy", "predict.py"), ("--pytorch", "model.py")):
            directory = tmp_path / run_dir.name / option.strip("-")
            assert main(["export", str(run_dir), option, str(directory)]) == 0
            capsys.readouterr()
            out = processes.run([sys.executable, str(directory / script), str(data)], cwd=tmp_path,
                                env={"PYTHONPATH": ""}, capture_output=True, text=True, check=True).stdout
            rows = list(csv.reader(out.splitlines()))
            assert rows[0] == expected[0] and [r[0] for r in rows] == [r[0] for r in expected]
            np.testing.assert_allclose(np.array([r[1:] for r in rows[1:]], dtype=float),
                                       np.array([r[1:] for r in expected[1:]], dtype=float), atol=2e-6)


def test_exported_scripts_given_nothing_or_a_bad_file_exit_2_with_one_line(regressor, cnn, tmp_path, capsys,
                                                                          monkeypatch):
    import runpy
    import sys
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    np.savez(tmp_path / "other.npz", images=np.zeros((2, 8, 8)))
    for run_dir, wrong, expected in ((regressor, "other.csv", "no column 'age'"), (cnn[0], "other.npz", "no array 'x' of images")):
        script = tmp_path / run_dir.name / "predict.py"
        assert main(["export", str(run_dir), "--numpy", str(script.parent)]) == 0
        capsys.readouterr()
        for argv, message in (([], f"usage: python {script} "), (["missing"], f"{script}: missing: No such file"),
                              ([str(tmp_path / wrong)], f"{script}: {tmp_path / wrong}: {expected}")):
            monkeypatch.setattr(sys, "argv", [str(script), *argv])
            with pytest.raises(SystemExit) as exit:
                runpy.run_path(str(script), run_name="__main__")
            out, err = capsys.readouterr()
            assert exit.value.code == 2 and out == "" and err.startswith(message) and err.count("\n") == 1


def test_numpy_script_reads_a_csv_with_the_columns_in_any_order(regressor, tmp_path, capsys):
    import csv
    import sys
    from sklearn.datasets import load_diabetes
    data = load_diabetes()
    with open(tmp_path / "new.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["extra", *reversed(data.feature_names)])
        writer.writerows(["x", *reversed(row.tolist())] for row in data.data[:9])
    assert main(["export", str(regressor), "--numpy", str(tmp_path / "np")]) == 0
    out = processes.run([sys.executable, str(tmp_path / "np" / "predict.py"), str(tmp_path / "new.csv")],
                        env={"PYTHONPATH": ""}, capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "target" and len(out) == 10
    np.testing.assert_allclose([float(v) for v in out[1:]], load_run(regressor).predict(data.data[:9]), rtol=1e-5)


# --- the command line ----------------------------------------------------------------------------------
@pytest.mark.parametrize("option, written", [("--onnx", "m.onnx"), ("--pytorch", "pt"), ("--numpy", "np")])
def test_cli_export_says_what_it_wrote(option, written, regressor, tmp_path, capsys):
    if option == "--onnx":
        pytest.importorskip("onnx")
    assert main(["export", str(regressor), option, str(tmp_path / written)]) == 0
    assert capsys.readouterr().out == f"Exported {regressor} to {tmp_path / written}\n"
    assert (tmp_path / written).exists()


def test_cli_export_into_a_file_exits_2_naming_it(regressor, tmp_path, capsys):
    (tmp_path / "taken").write_text("")
    assert main(["export", str(regressor), "--numpy", str(tmp_path / "taken")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'taken'}: cannot write the export there" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    ([], "the following arguments are required: RUN_DIR"),
    (["RUN"], "one of the arguments --onnx --pytorch --numpy is required"),
    (["NOT_A_RUN", "--numpy", "out"], "NOT_A_RUN: not a run directory (no such directory)"),
    (["RUN", "--onnx", "a.onnx", "--numpy", "out"], "argument --numpy: not allowed with argument --onnx"),
])
def test_cli_export_bad_arguments_exit_2_with_one_line(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["export", *argv])
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err
