"""DataLoader: coverage, determinism under manual_seed or its own generator, drop_last, datasets, errors."""
import numpy as np
import pytest

import npnn
from npnn.data import DataLoader, Dataset, TensorDataset

X = np.arange(50, dtype=np.float32).reshape(25, 2)
Y = np.arange(25)


def test_each_sample_appears_exactly_once_per_epoch_with_pairs_kept_together():
    npnn.manual_seed(0)
    loader = DataLoader(X, Y, batch_size=4)
    batches = list(loader)
    assert len(batches) == len(loader) == 7 and [len(b[1]) for b in batches] == [4] * 6 + [1]
    xs, ys = np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
    assert sorted(ys.tolist()) == list(range(25)) and ys.tolist() != list(range(25))
    np.testing.assert_array_equal(xs, X[ys])
    assert xs.dtype == np.float32 and ys.dtype == Y.dtype


def test_shuffle_is_repeatable_after_manual_seed_and_differs_between_epochs():
    loader = DataLoader(X, Y, batch_size=5)
    npnn.manual_seed(3)
    first, second = [b[1].tolist() for b in loader], [b[1].tolist() for b in loader]
    npnn.manual_seed(3)
    assert [b[1].tolist() for b in loader] == first and first != second


def test_no_shuffle_keeps_order_and_drop_last_drops_the_short_batch():
    loader = DataLoader(X, Y, batch_size=10, shuffle=False, drop_last=True)
    batches = list(loader)
    assert len(loader) == len(batches) == 2
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), np.arange(20))


def test_without_y_batches_are_plain_arrays():
    batches = list(DataLoader(X, batch_size=10, shuffle=False))
    assert isinstance(batches[0], np.ndarray) and batches[0].shape == (10, 2) and len(batches) == 3


def test_tensor_dataset_and_a_generic_dataset_are_accepted():
    class Squares(Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return np.array([i, i * i]), i % 2

    npnn.manual_seed(1)
    xs, ys = zip(*DataLoader(Squares(), batch_size=3))
    xs, ys = np.concatenate(xs), np.concatenate(ys)
    np.testing.assert_array_equal(xs[:, 1], xs[:, 0] ** 2)
    np.testing.assert_array_equal(ys, xs[:, 0] % 2)
    loader = DataLoader(TensorDataset(X, Y), batch_size=25, shuffle=False)
    (xb, yb), = list(loader)
    np.testing.assert_array_equal(xb, X)


@pytest.mark.parametrize("make,message", [
    (lambda: DataLoader(X, Y[:-1]), "X and y must have the same number of samples, got 25 and 24"),
    (lambda: DataLoader(X, Y, batch_size=0), "batch_size must be a positive integer, got 0"),
    (lambda: TensorDataset(X, Y[:3]), "same length"),
])
def test_bad_input_is_a_clear_error(make, message):
    with pytest.raises(ValueError) as info:
        make()
    assert message in str(info.value)


def test_a_loaders_generator_fixes_its_order_whatever_the_default_generator_does():
    def orders(seed):
        loader = DataLoader(X, Y, batch_size=5, generator=np.random.default_rng(seed))
        npnn.manual_seed(seed + 1)  # the default generator is not used
        return [[b[1].tolist() for b in loader] for _ in range(2)]

    first = orders(4)
    assert orders(4) == first and first[0] != first[1]
    assert np.concatenate(first[0]).tolist() == np.random.default_rng(4).permutation(25).tolist()
