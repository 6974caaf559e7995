"""EarlyStopping: stop epoch, exact restore of deep-copied best weights, budget restore, NaN, modes."""
import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.callbacks import EarlyStopping


def model():
    npnn.manual_seed(0)
    return nn.Linear(3, 2)


def set_weights(m, value):
    m.weight.data[...] = value
    m.bias.data[...] = value


def test_stops_after_patience_calls_without_improvement_and_restores_the_best_exactly():
    m, es = model(), EarlyStopping(patience=3)
    values = [5.0, 4.0, 3.0, 3.5, 3.2, 3.0]
    results = []
    for epoch, v in enumerate(values, 1):
        set_weights(m, epoch)
        results.append(es(v, m))
    assert results == [False, False, False, False, False, True]
    assert es.best_epoch == 3 and es.best_value == 3.0 and es.stopped_epoch == 6
    np.testing.assert_array_equal(m.weight.data, 3.0)
    np.testing.assert_array_equal(m.bias.data, 3.0)


def test_best_state_is_a_deep_copy_not_a_reference():
    m, es = model(), EarlyStopping(patience=5)
    set_weights(m, 1.0)
    es(1.0, m)
    m.weight.data *= 7      # training goes on in place
    assert np.all(es.best_state["weight"] == 1.0)
    assert es.restore(m) and np.all(m.weight.data == 1.0)
    m.weight.data += 1      # restoring must not hand out the kept arrays either
    assert np.all(es.best_state["weight"] == 1.0)


def test_min_delta_improvements_must_be_larger_and_nan_never_improves():
    es = EarlyStopping(patience=2, min_delta=0.5)
    assert es(10.0) is False and es(9.6) is False and es.best_value == 10.0
    assert es(float("nan")) is True and es.best_epoch == 1


def test_max_mode_and_start_from_epoch_warm_up():
    es = EarlyStopping(patience=1, mode="max", start_from_epoch=2)
    assert es(0.9, None, epoch=1) is False and es(0.95, None, epoch=2) is False and es.best_value is None
    assert es(0.5, None, epoch=3) is False and es.best_epoch == 3
    assert es(0.6, None, epoch=4) is False and es.best_value == 0.6
    assert es(0.6, None, epoch=5) is True and es.stopped_epoch == 5


def test_restore_without_a_best_state_or_with_restore_disabled_does_nothing():
    m = model()
    before = m.weight.data.copy()
    assert EarlyStopping().restore(m) is False
    es = EarlyStopping(restore_best_weights=False)
    es(1.0, m)
    m.weight.data += 1
    assert es.restore(m) is False and np.all(m.weight.data == before + 1)


def test_reset_forgets_the_run():
    es = EarlyStopping(patience=1)
    es(1.0)
    es(2.0)
    es.reset()
    assert es.best_value is None and es.wait == 0 and es.stopped_epoch is None and es(5.0) is False


@pytest.mark.parametrize("kwargs,message", [
    (dict(patience=-1), "patience must be a non-negative integer, got -1"),
    (dict(min_delta=-0.1), "min_delta must be a number >= 0, got -0.1"),
    (dict(mode="lower"), "mode must be 'min' or 'max', got 'lower'"),
])
def test_bad_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError) as info:
        EarlyStopping(**kwargs)
    assert message in str(info.value)
