"""A run directory is a bundle: load_run predicts on raw rows and images in the target's units / labels."""
from __future__ import annotations

import json

import numpy as np
import pytest

from presets import load_run
from presets.datasets import read_csv
from tests.bundles import classifier, cnn, regressor  # noqa: F401  (module-scoped fixtures)
from tests.presets.conftest import fake_mnist




def test_bundle_json_is_written_before_metrics_and_holds_the_preprocessing(regressor):
    bundle = json.loads((regressor / "bundle.json").read_text())
    assert bundle["task"] == "regression" and bundle["target_name"] == "target"
    assert bundle["feature_names"] == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    assert len(bundle["feature_mean"]) == len(bundle["feature_std"]) == 10
    assert bundle["target_mean"][0] == pytest.approx(152, abs=10)  # diabetes targets are ~25..346
    assert [layer["type"] for layer in bundle["model"]] == ["Linear", "ReLU", "Dropout", "Linear", "ReLU",
                                                            "Dropout", "Linear"]
    assert (regressor / "bundle.json").stat().st_mtime_ns <= (regressor / "metrics.json").stat().st_mtime_ns
    assert b"pickle" not in (regressor / "bundle.json").read_bytes()


def test_regression_predictions_are_in_the_targets_units(regressor):
    from sklearn.datasets import load_diabetes
    x, y = load_diabetes(return_X_y=True)
    predictions = load_run(regressor).predict(x)
    assert predictions.shape == (len(x),)
    # NOTE: three epochs learn little, but the answer is in the target's units (~150), not standardised (~0)
    assert 50 < predictions.mean() < 300 and predictions.std() > 0


def test_a_mapping_of_columns_is_read_by_name_in_any_order(regressor):
    from sklearn.datasets import load_diabetes
    data = load_diabetes()
    bundle = load_run(regressor)
    columns = {name: data.data[:4, i] for i, name in reversed(list(enumerate(data.feature_names)))}
    np.testing.assert_allclose(bundle.predict(columns), bundle.predict(data.data[:4]))
    del columns["bmi"]
    with pytest.raises(ValueError, match="missing feature column.*'bmi'"):
        bundle.predict(columns)


def test_wrong_number_of_features_is_named(regressor):
    with pytest.raises(ValueError, match=r"expected rows of 10 features \(age, sex.*got shape \(2, 3\)"):
        load_run(regressor).predict(np.zeros((2, 3)))


def test_classification_predicts_text_labels_and_probabilities(classifier):
    run_dir, data = classifier
    x, labels, names = read_csv(data, "species")
    bundle = load_run(run_dir)
    assert bundle.class_names == ["setosa", "versicolor", "virginica"] and bundle.feature_names == names
    predicted = bundle.predict(x)
    assert set(predicted) <= set(bundle.class_names)
    assert np.mean(predicted == labels) > 0.6
    probabilities = bundle.predict_proba(x)
    assert probabilities.shape == (len(x), 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-9)
    assert (np.asarray(bundle.class_names)[probabilities.argmax(axis=1)] == predicted).all()


def test_a_wine_run_predicts_scikit_learns_class_names(tmp_path):
    from sklearn.datasets import load_wine
    from presets import Run, load_preset
    wine = load_wine()
    result = Run(load_preset("wine_mlp", {"epochs": 30}), out_dir=tmp_path).execute()
    predicted = load_run(result.run_dir).predict(wine.data)
    assert set(predicted) <= {"class_0", "class_1", "class_2"}
    assert np.mean(predicted == wine.target_names[wine.target]) > 0.8


def test_predict_proba_needs_a_classification(regressor):
    with pytest.raises(ValueError, match="predict_proba needs a classification run"):
        load_run(regressor).predict_proba(np.zeros((1, 10)))


def test_images_are_predicted_raw_and_a_wrong_size_is_named(cnn):
    run_dir, _ = cnn
    images, labels = fake_mnist(20, seed=1)
    bundle = load_run(run_dir)
    predicted = bundle.predict(images)            # uint8 (n, 28, 28), as MNIST comes
    assert predicted.shape == (20,) and set(predicted.tolist()) <= set(range(10))
    np.testing.assert_allclose(bundle.predict_proba(images), bundle.predict_proba(images / 255.0), rtol=1e-5)
    assert bundle.predict(images[0]).shape == (1,)  # one image
    with pytest.raises(ValueError, match="wrong image size: expected 28x28 images, got 8x8"):
        bundle.predict(np.zeros((2, 8, 8)))


def test_a_directory_that_is_not_a_run_is_named(tmp_path, regressor):
    with pytest.raises(ValueError, match="not a run directory .no such directory"):
        load_run(tmp_path / "missing")
    with pytest.raises(ValueError, match="not a run directory with a bundle: no bundle.json"):
        load_run(tmp_path)
    (tmp_path / "bundle.json").write_text("{}")
    with pytest.raises(ValueError, match="not an npnn bundle"):
        load_run(tmp_path)
