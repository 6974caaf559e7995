"""`npnn-tui predict RUN_DIR DATA [-o OUT.csv]`: one CSV row per input, the target scored, bad input exit 2."""
from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from presets import load_run
from presets.datasets import read_csv
from tests.bundles import classifier, cnn, regressor  # noqa: F401  (module-scoped fixtures)
from tests.presets.conftest import fake_mnist, write_idx
from tui.cli import main




def _diabetes_csv(path, with_target=True):
    from sklearn.datasets import load_diabetes
    data = load_diabetes()
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["extra", *reversed(data.feature_names), *(["target"] if with_target else [])])
        for row, y in zip(data.data[:7], data.target[:7]):
            writer.writerow(["x", *reversed(row.tolist()), *([y] if with_target else [])])
    return data.data[:7]


def test_regression_to_stdout_in_the_targets_units_with_a_score(regressor, tmp_path, capsys):
    x = _diabetes_csv(tmp_path / "new.csv")
    assert main(["predict", str(regressor), str(tmp_path / "new.csv")]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["target"] and len(rows) == 8
    np.testing.assert_allclose([float(r[0]) for r in rows[1:]], load_run(regressor).predict(x), rtol=1e-8)
    assert "'target' column present (not used for prediction): mse" in err and "mae" in err


def test_classification_to_a_file_with_label_and_probabilities(classifier, tmp_path, capsys):
    run_dir, data = classifier
    out = tmp_path / "out.csv"
    assert main(["predict", str(run_dir), str(data), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["species", "p_setosa", "p_versicolor", "p_virginica"]
    x, labels, _ = read_csv(data, "species")
    assert len(rows) == len(x) + 1
    assert [r[0] for r in rows[1:]] == load_run(run_dir).predict(x).tolist()
    np.testing.assert_allclose([sum(map(float, r[1:])) for r in rows[1:]], 1.0, atol=1e-5)
    assert "accuracy" in err and f"Predictions for {len(x)} inputs written to {out}" in err


def test_images_from_npz_and_idx(cnn, tmp_path, capsys):
    run_dir, _ = cnn
    images, labels = fake_mnist(10, seed=3)
    np.savez(tmp_path / "new.npz", x=images)
    assert main(["predict", str(run_dir), str(tmp_path / "new.npz")]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["label", *(f"p_{i}" for i in range(10))] and len(rows) == 11
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    assert main(["predict", str(run_dir), str(tmp_path / "t10k-images-idx3-ubyte")]) == 0
    out, err = capsys.readouterr()
    assert list(csv.reader(io.StringIO(out))) == rows and "accuracy" in err


@pytest.mark.parametrize("case, message", [
    ("missing_column", "missing column(s) 'bmi'; the model was trained on age, sex, bmi"),
    ("not_a_number", "line 2, column 'age': expected a number, got 'old'"),
    ("not_a_run", "not a run directory with a bundle: no bundle.json"),
    ("no_file", "no such file or directory"),
    ("images_for_table", "this model takes table rows: give a .csv"),
])
def test_bad_input_exits_2_naming_it(case, message, regressor, tmp_path, capsys):
    from sklearn.datasets import load_diabetes
    names = load_diabetes().feature_names
    data, run_dir = tmp_path / "new.csv", regressor
    if case == "missing_column":
        data.write_text(",".join(n for n in names if n != "bmi") + "\n" + ",".join(["0"] * 9) + "\n")
    elif case == "not_a_number":
        data.write_text(",".join(names) + "\nold" + ",0" * 9 + "\n")
    elif case == "not_a_run":
        _diabetes_csv(data)
        run_dir = tmp_path
    elif case == "images_for_table":
        data = tmp_path / "x.npz"
        np.savez(data, x=np.zeros((1, 28, 28)))
    assert main(["predict", str(run_dir), str(data)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_wrong_image_size_exits_2(cnn, tmp_path, capsys):
    np.savez(tmp_path / "small.npz", x=np.zeros((3, 8, 8), dtype=np.uint8))
    assert main(["predict", str(cnn[0]), str(tmp_path / "small.npz")]) == 2
    assert "wrong image size: expected 28x28 images, got 8x8" in capsys.readouterr().err
