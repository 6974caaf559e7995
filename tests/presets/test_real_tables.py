"""Real-shaped tables (scikit-learn's bundled data sets written as users bring them: text columns, gaps
with every marker, semicolons, tabs, pipes, a pandas index column) through headless training, predict,
ONNX (onnxruntime and onnx.reference), the NumPy eject and the PyTorch eject."""
from __future__ import annotations

import json

import pytest

from benchmarks.real_tables import DATASETS, check_paths, write_real_table
from tui.cli import main

# what each file's run must say about its columns (headless output)
EXPECTED_NOTES = {
    "diabetes": ["Table: semicolon-delimited", "patient: left out — ", "distinct text values in the training rows (more than 50: names or ids?",
                 "sex: category — 3 categories ((missing), female, male) one-hot, plus an unseen slot"],
    "wine": ["Table: tab-delimited", "colour note: category"],
    "breast_cancer": ["Table: pipe-delimited", "visit: left out — dates (like '2019-",
                      "clinic: category — 5 categories"],
    "iris": ["column 1 (with a blank name) is a row index as pandas writes one: left out"],
}


@pytest.mark.parametrize("name", list(DATASETS))
def test_a_real_table_goes_in_as_it_is_and_every_path_answers_alike(name, tmp_path, capsys, request):
    pytorch = _torch_available(request)  # NOTE: the PyTorch eject runs where the torch fixture has torch
    path, target, task = write_real_table(name, tmp_path)
    preset = "tabular_mlp" if task == "regression" else "wine_mlp"
    out = tmp_path / "runs"
    assert main(["--headless", "--preset", preset, "--data", str(path), "--target", target, "--epochs", "15",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for note in EXPECTED_NOTES[name]:
        assert note in text, note
    assert "filled with the median" in text  # gaps written with every marker were filled
    (run_dir,) = out.iterdir()
    bundle = json.loads((run_dir / "bundle.json").read_text())
    assert "" not in bundle["feature_names"] and target not in bundle["feature_names"]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["columns"] == bundle["column_notes"]
    if task == "regression":
        assert metrics["after"]["test"]["rmse_units"] > 1  # in the target's units, not standardised
    found = check_paths(run_dir, path, tmp_path / "exports", pytorch=pytorch)
    assert set(found) == {"predict", "onnx", "pytorch", "numpy"}
    if not pytorch:
        assert found.pop("pytorch") is None
    assert all(value is not None and value < 1e-4 for value in found.values()), found


def _torch_available(request) -> bool:
    try:
        request.getfixturevalue("torch")
    except pytest.skip.Exception:
        return False
    return True
