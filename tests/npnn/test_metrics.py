"""Metrics against scikit-learn's on the same data (npnn's order is metric(y_pred, y_true))."""
import numpy as np
import pytest
import sklearn.metrics as skm

import npnn
from npnn import metrics

rng = np.random.default_rng(0)
T1, P1 = rng.normal(size=40), rng.normal(size=40)
T2, P2 = rng.normal(size=(40, 3)), rng.normal(size=(40, 3))


@pytest.mark.parametrize("ours,theirs", [
    (metrics.mse, skm.mean_squared_error),
    (metrics.mae, skm.mean_absolute_error),
    (metrics.rmse, skm.root_mean_squared_error),
    (metrics.r2, skm.r2_score),
])
@pytest.mark.parametrize("t,p", [(T1, P1), (T2, P2), (T1, P1.reshape(-1, 1).astype(np.float32))])
def test_regression_metrics_match_sklearn(ours, theirs, t, p):
    assert ours(p, t) == pytest.approx(theirs(t, p), rel=1e-6)


def test_r2_is_not_symmetric_and_handles_a_constant_target_like_sklearn():
    assert metrics.r2(P1, T1) != pytest.approx(metrics.r2(T1, P1))
    const = np.ones((10, 2))
    pred = const.copy()
    pred[:, 1] += 0.5
    assert metrics.r2(pred, const) == pytest.approx(skm.r2_score(const, pred)) == 0.5


def test_accuracy_takes_labels_scores_or_one_hot_and_tensors():
    logits = rng.normal(size=(50, 4))
    labels = rng.integers(0, 4, size=50)
    expected = skm.accuracy_score(labels, logits.argmax(1))
    assert metrics.accuracy(logits, labels) == pytest.approx(expected)
    assert metrics.accuracy(npnn.Tensor(logits), np.eye(4)[labels]) == pytest.approx(expected)
    assert metrics.accuracy(logits.argmax(1), labels.reshape(-1, 1)) == pytest.approx(expected)
    assert metrics.accuracy(np.array([0.0, 1.0, 2.0]), np.array([0, 1, 1])) == pytest.approx(2 / 3)


def test_confusion_matrix_matches_sklearn_rows_true_cols_predicted():
    t, p = rng.integers(0, 5, size=200), rng.integers(0, 5, size=200)
    np.testing.assert_array_equal(metrics.confusion_matrix(t, p), skm.confusion_matrix(t, p))
    cm = metrics.confusion_matrix(np.array([0, 0, 1]), np.array([1, 1, 1]), num_classes=3)
    np.testing.assert_array_equal(cm, [[0, 2, 0], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(metrics.confusion_matrix(t, np.eye(5)[p]), skm.confusion_matrix(t, p))


@pytest.mark.parametrize("call,message", [
    (lambda: metrics.mse(np.ones(3), np.ones(4)), "mse: y_true and y_pred must have the same shape"),
    (lambda: metrics.r2(np.ones(0), np.ones(0)), "r2: y_pred must be a non-empty array"),
    (lambda: metrics.accuracy(np.array([0.5, 1.0]), np.array([0, 1])), "non-integer values"),
    (lambda: metrics.confusion_matrix([0, 3], [0, 1], num_classes=2), "a label is >= num_classes=2, got 3"),
    (lambda: metrics.get("f1"), "unknown metric 'f1'"),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)
