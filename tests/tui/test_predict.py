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


# --- issue 23: predict writes only on success, never answers wrongly in silence -----------------------

def test_the_output_file_is_written_only_when_predict_succeeds(regressor, tmp_path, capsys):
    from sklearn.datasets import load_diabetes
    names = load_diabetes().feature_names
    data = tmp_path / "unscorable.csv"
    data.write_text(",".join([*names, "target"]) + "\n" + ",".join(["0.01"] * len(names) + ["high"]) + "\n")
    out = tmp_path / "out.csv"
    assert main(["predict", str(regressor), str(data), "-o", str(out)]) == 2
    assert "the target column 'target' must hold numbers to be scored" in capsys.readouterr().err
    assert not out.exists()
    out.write_text("mine\n")
    assert main(["predict", str(regressor), str(data), "-o", str(out)]) == 2
    assert out.read_text() == "mine\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "unscorable.csv"]


def test_a_finite_huge_value_is_refused_naming_file_line_and_column(regressor, tmp_path, capsys):
    from sklearn.datasets import load_diabetes
    names = load_diabetes().feature_names
    data = tmp_path / "huge.csv"
    data.write_text(",".join(names) + "\n" + ",".join(["0.01"] * 10) + "\n\n" + ",".join(["0.01"] * 3 + ["1e308"]
                                                                                          + ["0.01"] * 6) + "\n")
    assert main(["predict", str(regressor), str(data)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith(f"npnn-tui: error: {data}: line 4, column 'bp': 1e+308 is too far from the "
                                   "training data (mean ")
    assert "to be standardised within float32's range" in captured.err


def test_answers_that_are_not_finite_are_refused_and_nothing_is_written(regressor, rows_csv, tmp_path, capsys,
                                                                        monkeypatch):
    monkeypatch.setattr("presets.bundle.Bundle.outputs", lambda self, X: np.full((7, 1), np.nan, np.float32))
    out = tmp_path / "out.csv"
    assert main(["predict", str(regressor), str(rows_csv), "-o", str(out)]) == 2
    assert capsys.readouterr().err == ("npnn-tui: error: the model's answer for input 1 (and 6 more) is not a finite "
                                       "number: the inputs lie too far outside the training data\n")
    assert not out.exists()


@pytest.fixture
def rows_csv(tmp_path):
    _diabetes_csv(tmp_path / "rows.csv", with_target=False)
    return tmp_path / "rows.csv"


@pytest.mark.parametrize("source", ["npz", "npz_one_hot", "idx"])
def test_an_images_file_with_fewer_labels_than_images_exits_2(source, cnn, tmp_path, capsys):
    images, labels = fake_mnist(10, seed=3)
    if source == "idx":
        data = tmp_path / "t10k-images-idx3-ubyte"
        write_idx(data, images)
        write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels[:7])
        expected = "expected images (n, H, W) and labels (n,), got (10, 28, 28) and (7,)"
    else:
        data = tmp_path / "new.npz"
        y = np.eye(10)[labels[:7]] if source == "npz_one_hot" else labels[:7]
        np.savez(data, x=images, y=y)
        expected = f"{data}: expected one label per image, got x (10, 28, 28) and y (7,)"
    assert main(["predict", str(cnn[0]), str(data)]) == 2
    captured = capsys.readouterr()
    assert expected in captured.err and captured.err.count("\n") == 1 and captured.out == ""
