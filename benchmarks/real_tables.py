"""Real-shaped tables from scikit-learn's bundled datasets, carried through training, predict and every
export, with the held-out score next to a HistGradientBoosting baseline fitted on the same rows.

`python -m benchmarks.real_tables [--out DIR]` writes each data set as a user might bring it — text
feature columns, gaps written with every missing marker, a semicolon, tab or pipe delimiter, a pandas
index column, an id and a date column — trains npnn's preset on it (tabular_mlp for regression,
wine_mlp for classification), then checks `npnn-tui predict`, the ONNX model (onnxruntime and
onnx.reference), the PyTorch eject (when torch is importable) and the NumPy eject against
Bundle.predict on the raw file, and prints a Markdown table. tests/presets/test_real_tables.py runs
the same files through the same paths.
"""
from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np

from presets.table.encode import MISSING_MARKERS

# name → (loader in sklearn.datasets, file name (its suffix and delimiter), target name, task)
DATASETS = {
    "diabetes": ("load_diabetes", "diabetes.csv", ";", "progression", "regression"),
    "wine": ("load_wine", "wine.tsv", "\t", "cultivar", "classification"),
    "breast_cancer": ("load_breast_cancer", "breast_cancer.txt", "|", "diagnosis", "classification"),
    "iris": ("load_iris", "iris.csv", ",", "species", "classification"),
}
GAPS = 0.04  # share of feature cells written as a gap, each marker in turn


def _frame(name: str) -> tuple[list[str], list[list], list]:
    """Header, feature rows and targets, with text columns injected as a user's file would have them."""
    import sklearn.datasets
    loader, task = DATASETS[name][0], DATASETS[name][4]
    bunch = getattr(sklearn.datasets, loader)()
    rng = np.random.default_rng(7)
    names, data = [str(n) for n in bunch.feature_names], bunch.data
    rows = [list(map(float, row)) for row in data]
    if name == "diabetes":  # sex as text, a patient id (left out: many values)
        sex = names.index("sex")
        for row in rows:
            row[sex] = "female" if row[sex] > 0 else "male"
        names, rows = ["patient", *names], [[f"p{i:04d}", *row] for i, row in enumerate(rows)]
    elif name == "wine":  # a colour note from color_intensity
        colour = data[:, names.index("color_intensity")]
        notes = np.where(colour < 3.5, "pale", np.where(colour < 7, "medium", "deep"))
        names, rows = [*names, "colour note"], [[*row, note] for row, note in zip(rows, notes)]
    elif name == "breast_cancer":  # a clinic (noise) and a visit date (left out: dates)
        clinics = np.array(["north", "south", "east", "west"])[rng.integers(0, 4, len(rows))]
        names = [*names, "clinic", "visit"]
        rows = [[*row, clinic, f"2019-{i % 12 + 1:02d}-{i % 28 + 1:02d}"] for i, (row, clinic)
                in enumerate(zip(rows, clinics))]
    labels = bunch.target.tolist()
    if task == "classification" and name in ("wine", "iris"):
        labels = [str(bunch.target_names[k]) for k in bunch.target]  # text labels; breast cancer keeps 0/1
    return names, rows, labels


def write_real_table(name: str, folder: Path) -> tuple[Path, str, str]:
    """Write data set `name` into `folder`; returns (path, target column, task)."""
    _, file_name, delimiter, target, task = DATASETS[name]
    names, rows, labels = _frame(name)
    rng = np.random.default_rng(11)
    marker = 0
    for row in rows:
        for j in range(len(row)):
            if rng.random() < GAPS:
                row[j], marker = MISSING_MARKERS[marker % len(MISSING_MARKERS)], marker + 1
    path = Path(folder) / file_name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        index = name == "iris"  # NOTE: as pandas' to_csv() writes it: a blank-named 0..n-1 first column
        writer.writerow(([""] if index else []) + names + [target])
        for i, (row, label) in enumerate(zip(rows, labels)):
            cells = [f"{v:.6g}" if isinstance(v, float) else v for v in row]
            writer.writerow(([i] if index else []) + cells + [label])
    return path, target, task


def train(path: Path, target: str, task: str, out: Path):
    """A trained run directory's path and its held-out (test) metrics, through presets.Run."""
    from presets import Run, load_preset
    preset = load_preset("tabular_mlp" if task == "regression" else "wine_mlp")
    result = Run(preset, out_dir=out, data_path=path, target=target).execute()
    return result.run_dir, result.after["test"]


def baseline(path: Path, target: str, task: str) -> float:
    """HistGradientBoosting on the same training rows (the split and encoding npnn's run used): RMSE in the
    target's units for regression, accuracy for classification."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    from presets.datasets import load_data
    from presets.schema import DataSpec
    preset_data = {"regression": DataSpec(source="csv", test_size=0.3, val_size=0.25),
                   "classification": DataSpec(source="csv", test_size=0.2, val_size=0.2)}[task]
    s = load_data(preset_data, task, path, target)
    if task == "classification":
        model = HistGradientBoostingClassifier(random_state=0).fit(s.x_train, s.y_train)
        return float(np.mean(model.predict(s.x_test) == s.y_test))
    model = HistGradientBoostingRegressor(random_state=0).fit(s.x_train, s.y_train.ravel())
    std = s.preprocessing["target_std"][0]
    return float(np.sqrt(np.mean((model.predict(s.x_test) - s.y_test.ravel()) ** 2)) * std)


def onnx_feeds(model, table) -> dict:
    """The raw file's columns as the ONNX model's (N, 1) inputs: double, or strings for text."""
    feeds = {}
    for graph_input in model.graph.input:
        values = table.columns[graph_input.name]
        text = graph_input.type.tensor_type.elem_type == 8  # NOTE: TensorProto.STRING
        feeds[graph_input.name] = (values.astype(str).astype(object) if text else values).reshape(-1, 1)
    return feeds


def _compare(expected: np.ndarray, got: np.ndarray) -> float:
    """The largest difference (numbers), or the share of labels that differ (classes)."""
    if expected.dtype.kind in "fc":
        return float(np.max(np.abs(expected - np.asarray(got, dtype=np.float64))))
    return float(np.mean(np.asarray(expected).astype(str) != np.asarray(got).astype(str)))


def check_paths(run_dir: Path, path: Path, folder: Path, pytorch: bool | None = None) -> dict[str, float | None]:
    """Each path's disagreement with Bundle.predict on the raw file (0 or a float rounding); the PyTorch
    eject is run when `pytorch` (None: when torch is importable), else its entry is None."""
    from onnx.reference import ReferenceEvaluator

    from presets import load_run
    from presets.export.numpy import export_numpy
    from presets.export.onnx import onnx_model
    from presets.export.pytorch import export_pytorch
    from presets.table.read import read_table
    from tui.cli import main
    bundle, table = load_run(run_dir), read_table(path)
    expected = bundle.predict(dict(table.columns))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["predict", str(run_dir), str(path)])
    found = {"predict": _compare(expected, _first_column(out.getvalue(), expected)) if code == 0 else float("inf")}
    model = onnx_model(bundle)
    import onnxruntime
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    answers = dict(zip([o.name for o in session.get_outputs()], session.run(None, onnx_feeds(model, table))))
    reference = dict(zip(ReferenceEvaluator(model).output_names,
                         ReferenceEvaluator(model).run(None, onnx_feeds(model, table))))
    key = "label" if bundle.task == "classification" else "prediction"
    if key == "label" and expected.dtype.kind not in "UO":  # NOTE: integer classes come out as integers
        assert answers[key].dtype == expected.dtype, f"ONNX labels are {answers[key].dtype}, predict's {expected.dtype}"
    found["onnx"] = max(_compare(expected, answers[key]), _compare(expected, reference[key]))
    for kind, export, script in (("pytorch", export_pytorch, "model.py"), ("numpy", export_numpy, "predict.py")):
        if kind == "pytorch" and not (_has_torch() if pytorch is None else pytorch):
            found[kind] = None
            continue
        export(bundle, folder / kind)
        done = subprocess.run([sys.executable, str(folder / kind / script), str(path)], capture_output=True,
                              text=True, check=True)
        found[kind] = _compare(expected, _first_column(done.stdout, expected))
    return found


def _first_column(text: str, like: np.ndarray) -> np.ndarray:
    values = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    return np.array(values, dtype=np.float64) if like.dtype.kind == "f" else np.array(values)


def _has_torch() -> bool:
    import importlib.util
    return importlib.util.find_spec("torch") is not None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="keep the files and runs here (default: a temp folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.out or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        print("| data set (file) | rows | task | train | predict | ONNX | PyTorch | NumPy | npnn held-out | "
              "HistGradientBoosting |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for name in DATASETS:
            path, target, task = write_real_table(name, folder)
            run_dir, metrics = train(path, target, task, folder / "runs")
            checks = check_paths(run_dir, path, folder / f"{name}-exports")
            cells = ["—" if v is None else ("✓" if v < 1e-4 else f"✗ {v:.2g}") for v in checks.values()]
            score = metrics["accuracy"] if task == "classification" else metrics["rmse_units"]
            unit = "accuracy" if task == "classification" else "RMSE"
            rows = sum(1 for _ in open(path, encoding="utf-8")) - 1
            print(f"| {name} ({path.name}) | {rows} | {task} | ✓ | {' | '.join(cells)} | {unit} {score:.3f} | "
                  f"{unit} {baseline(path, target, task):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
