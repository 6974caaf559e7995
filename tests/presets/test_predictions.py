"""Test-split predictions for the Predictions view: class names, misclassified first, top-2, target units."""
from __future__ import annotations

import numpy as np
import pytest

from presets import Run, load_preset
from presets.datasets import Splits
from presets.predictions import SAMPLES, classification, regression
from tests.bundles import CLASSIFIER_TOML, write_species_csv


def splits(y_test, x_test=None, **preprocessing) -> Splits:
    """Splits whose only meaningful parts are the test split and the preprocessing."""
    y_test = np.asarray(y_test)
    x_test = np.zeros((len(y_test), 3), dtype=np.float32) if x_test is None else x_test
    task = "classification" if y_test.dtype.kind == "i" else "regression"
    classes = len(preprocessing.get("class_names") or ()) or None
    return Splits(x_test, y_test, x_test, y_test, x_test, y_test, task, classes, "crafted", None, {}, preprocessing)


def one_hot_logits(labels, k: int, confidence) -> np.ndarray:
    """Logits whose softmax puts log-odds `confidence[i]` on labels[i] (and 0 elsewhere)."""
    logits = np.zeros((len(labels), k))
    logits[np.arange(len(labels)), labels] = confidence
    return logits


def test_class_names_label_the_classes():
    p = classification(one_hot_logits([0, 1, 2], 3, 2.0), splits([0, 1, 2], class_names=["cat", "dog", "emu"]),
                       "best")
    assert p.class_names == ["cat", "dog", "emu"]
    assert p.confusion.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]] and p.misclassified == 0


def test_misclassified_samples_come_first_most_confident_first():
    true = np.arange(12) % 3
    predicted = true.copy()
    predicted[[3, 7, 10]] = (true[[3, 7, 10]] + 1) % 3      # three mistakes...
    confidence = np.full(12, 1.0)
    confidence[[3, 7, 10]] = [0.5, 4.0, 2.0]                # ...of which row 7 is the most confident
    p = classification(one_hot_logits(predicted, 3, confidence), splits(true, class_names=["a", "b", "c"]), "best")
    assert len(p.index) == SAMPLES
    assert p.index[:3].tolist() == [7, 10, 3]
    assert p.index[3:].tolist() == [0, 1, 2, 4, 5]           # then the right ones in test order
    assert (p.predicted[:3] != p.true[:3]).all() and (p.predicted[3:] == p.true[3:]).all()
    assert p.true.tolist() == true[p.index].tolist() and p.misclassified == 3


def test_top2_are_the_two_most_probable_classes_with_their_softmax_probabilities():
    logits = np.array([[0.0, 3.0, 1.0, -1.0], [2.0, 0.0, 0.0, 2.5]])
    p = classification(logits, splits([1, 0], class_names=list("abcd")), "last")
    assert p.index.tolist() == [1, 0]  # row 1 predicts class 3 but is class 0: it comes first
    assert p.top2.tolist() == [[3, 0], [1, 2]] and p.weights == "last"
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert p.top2_p == pytest.approx(np.sort(expected, axis=1)[::-1, ::-1][:, :2])


def test_image_samples_are_the_listed_rows_in_order():
    images = np.random.default_rng(0).random((5, 1, 4, 4)).astype(np.float32)
    true = np.array([0, 1, 0, 1, 0])
    p = classification(one_hot_logits([0, 1, 1, 1, 0], 2, 1.0), splits(true, images, class_names=[0, 1]), "best")
    assert p.class_names == ["0", "1"] and p.index[0] == 2
    assert p.images.shape == (5, 4, 4) and np.allclose(p.images, images[p.index, 0])


def test_tabular_classification_has_no_images_and_keeps_text_labels(tmp_path):
    data = write_species_csv(tmp_path / "species.csv")
    preset = tmp_path / "species.toml"
    preset.write_text(CLASSIFIER_TOML)
    result = Run(load_preset(str(preset), {"epochs": 2}), out_dir=tmp_path / "runs", data_path=data,
                 target="species").execute()
    p = result.predictions
    assert p.class_names == ["setosa", "versicolor", "virginica"]
    assert p.images.shape == (0, 0, 0) and p.confusion.sum() == 24  # the default 20% test split of 120 rows
    wrong = p.predicted != p.true
    assert wrong.sum() == min(p.misclassified, SAMPLES) and not (np.diff(wrong.astype(int)) > 0).any()


def test_regression_is_in_the_targets_units():
    y = np.array([[-1.0], [0.0], [2.0]], dtype=np.float32)   # standardised targets
    outputs = y + 0.5                                         # half a standard deviation too high
    p = regression(outputs, splits(y, target_mean=[100.0], target_std=[10.0], target_name="price"), "best")
    assert p.target_name == "price"
    assert p.actual == pytest.approx([90.0, 100.0, 120.0]) and p.predicted == pytest.approx([95.0, 105.0, 125.0])
    assert p.residual_mean == pytest.approx(-5.0) and p.residual_std == pytest.approx(0.0, abs=1e-9)
    assert p.mae == pytest.approx(5.0)


def test_unstandardised_regression_and_nan_predictions():
    y = np.array([[1.0], [2.0], [3.0], [4.0]], dtype=np.float32)
    outputs = np.array([[2.0], [np.nan], [1.0], [4.0]])
    p = regression(outputs, splits(y, target_mean=None, target_std=None, target_name="y"), "best")
    assert p.actual == pytest.approx([1.0, 2.0, 3.0, 4.0])
    assert p.residuals == pytest.approx([-1.0, 2.0, 0.0])  # actual − predicted, the nan row left out
    assert p.residual_std == pytest.approx(np.std([-1.0, 2.0, 0.0])) and p.mae == pytest.approx(1.0)
