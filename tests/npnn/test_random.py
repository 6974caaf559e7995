"""generator= (PyTorch's argument) on initialisers, layers, dropout and the DataLoader; manual_seed's default."""
import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.nn import functional as F
from npnn.nn import init


def draws_ignore_the_default_generator(make):
    """make(generator) twice from equal seeds, with the default generator disturbed in between."""
    npnn.manual_seed(1)
    first = make(np.random.default_rng(5))
    npnn.manual_seed(2)
    npnn.random.generator().random(17)
    return first, make(np.random.default_rng(5))


@pytest.mark.parametrize("fill", [
    lambda t, g: init.uniform_(t, -1, 1, generator=g),
    lambda t, g: init.normal_(t, 0, 1, generator=g),
    lambda t, g: init.xavier_uniform_(t, generator=g),
    lambda t, g: init.xavier_normal_(t, generator=g),
    lambda t, g: init.kaiming_uniform_(t, a=1.0, generator=g),
    lambda t, g: init.kaiming_normal_(t, generator=g),
])
def test_initialisers_draw_from_the_generator_they_are_given(fill):
    first, second = draws_ignore_the_default_generator(lambda g: fill(npnn.Tensor(np.zeros((4, 3))), g).data)
    np.testing.assert_array_equal(first, second)
    assert np.unique(first).size == first.size


def test_uniform_draws_exactly_what_the_generator_gives():
    t = init.uniform_(npnn.Tensor(np.zeros((2, 3))), -2.0, 2.0, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(t.data, np.random.default_rng(3).uniform(-2.0, 2.0, (2, 3)))


@pytest.mark.parametrize("make", [lambda g: nn.Linear(5, 3, generator=g),
                                  lambda g: nn.Conv2d(2, 3, 3, generator=g)])
def test_linear_and_conv_initialise_from_their_generator(make):
    first, second = draws_ignore_the_default_generator(lambda g: make(g).state_dict())
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])
    layer = make(np.random.default_rng(0))
    weight = layer.weight.data.copy()
    layer.reset_parameters(generator=np.random.default_rng(0))
    np.testing.assert_array_equal(layer.weight.data, weight)


def test_dropout_masks_come_from_the_layers_generator():
    x = npnn.Tensor(np.ones((8, 50), dtype=np.float32))

    def masks(g):
        layer = nn.Dropout(0.5, generator=g)
        return layer(x).data, layer(x).data

    (a1, a2), (b1, b2) = draws_ignore_the_default_generator(masks)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2) and set(np.unique(a1)) == {0.0, 2.0}
    layer = nn.Dropout(0.5)
    layer.generator = np.random.default_rng(5)  # set on a built model, as presets.run does
    np.testing.assert_array_equal(layer(x).data, a1)
    np.testing.assert_array_equal(F.dropout(x, 0.5, generator=np.random.default_rng(5)).data, a1)


def test_without_a_generator_manual_seed_repeats_everything():
    def everything():
        npnn.manual_seed(11)
        layer = nn.Linear(4, 2)
        drop = F.dropout(npnn.Tensor(np.ones((3, 4))), 0.5)
        order = [b[1].tolist() for b in npnn.DataLoader(np.zeros((9, 1)), np.arange(9), batch_size=9)]
        return layer.weight.data.copy(), drop.data, order

    first, second = everything(), everything()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("call", [
    lambda: nn.Linear(2, 2, generator=0),
    lambda: nn.Dropout(0.5, generator=np.random.RandomState(0)),
    lambda: init.normal_(npnn.Tensor(np.zeros(3)), generator="seed"),
    lambda: npnn.DataLoader(np.zeros((3, 1)), np.zeros(3), generator=42),
])
def test_a_generator_that_is_not_a_numpy_generator_is_a_clear_error(call):
    with pytest.raises(TypeError, match=r"generator must be a numpy.random.Generator \(np.random.default_rng"):
        call()
