"""npnn.save / npnn.load: exact path, atomic write, round trip, pickles refused at load."""
import os

import numpy as np
import pytest

import npnn
from npnn import nn


def test_round_trip_into_a_fresh_model(tmp_path):
    a, b = nn.MLP(3, [4], 2), nn.MLP(3, [4], 2)
    path = tmp_path / "model.weights"
    npnn.save(a.state_dict(), path)
    assert os.listdir(tmp_path) == ["model.weights"]  # exactly the path given, no temp file left
    loaded = npnn.load(str(path))
    assert list(loaded) == list(a.state_dict())
    b.load_state_dict(loaded)
    for (_, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "w.npz"
    npnn.save({"x": np.zeros(2)}, path)
    npnn.save({"x": np.ones(3, dtype=np.float32)}, path)
    loaded = npnn.load(path)
    assert loaded["x"].dtype == np.float32 and loaded["x"].tolist() == [1, 1, 1]


def test_failed_save_leaves_no_partial_file(tmp_path):
    with pytest.raises(TypeError, match="'bad' holds Python objects"):
        npnn.save({"ok": np.zeros(2), "bad": np.array([{}], dtype=object)}, tmp_path / "w.npz")
    assert os.listdir(tmp_path) == []


def test_save_wants_a_state_dict():
    with pytest.raises(TypeError, match=r"pass model.state_dict\(\)"):
        npnn.save(nn.Linear(2, 2), "never-written.npz")


def test_load_refuses_a_pickled_member_eagerly(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, weights=np.zeros(2), payload=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match=f"npnn.load refuses {path}: member 'payload' holds pickled"):
        npnn.load(path)


def test_load_refuses_a_pickle_file_and_a_single_array(tmp_path):
    pickled = tmp_path / "evil.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="holds pickled data"):
        npnn.load(pickled)
    single = tmp_path / "one.npy"
    np.save(single, np.zeros(2))
    with pytest.raises(ValueError, match="expects an .npz archive"):
        npnn.load(single)
