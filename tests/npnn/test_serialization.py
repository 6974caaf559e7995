"""npnn.save / npnn.load: exact path, atomic write, round trip, pickles refused at load."""
import os
import re

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


# ---- damaged files: one ValueError that names the file --------------------------------------------
def _saved_model_bytes(tmp_path) -> bytes:
    npnn.save(nn.Linear(3, 2).state_dict(), tmp_path / "good.npz")
    return (tmp_path / "good.npz").read_bytes()


def _refused_as_damaged(path) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(str(path))}: not a readable npnn model file \\(.+\\)$"):
        npnn.load(path)


def test_load_of_an_empty_file_names_the_file(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    _refused_as_damaged(tmp_path / "empty.npz")


@pytest.mark.parametrize("keep", [0.99, 0.5, 0.1])
def test_load_of_a_truncated_file_names_the_file(tmp_path, keep):
    data = _saved_model_bytes(tmp_path)
    (tmp_path / "cut.npz").write_bytes(data[:int(len(data) * keep)])
    _refused_as_damaged(tmp_path / "cut.npz")


def test_load_of_a_bit_flipped_weight_names_the_file(tmp_path):
    data = bytearray(_saved_model_bytes(tmp_path))
    data[data.index(b"\x93NUMPY") + 130] ^= 0x10  # in the weight's values (after its 128-byte header)
    (tmp_path / "flipped.npz").write_bytes(data)
    _refused_as_damaged(tmp_path / "flipped.npz")


def test_a_bit_flipped_anywhere_is_refused_or_harmless(tmp_path):
    # NOTE: some bytes (timestamps, version fields) do not change what is read; none may change it silently
    data = _saved_model_bytes(tmp_path)
    good = npnn.load(tmp_path / "good.npz")
    path = tmp_path / "flipped.npz"
    for i in range(len(data)):
        flipped = bytearray(data)
        flipped[i] ^= 1 << (i % 8)
        path.write_bytes(flipped)
        try:
            loaded = npnn.load(path)
        except ValueError as error:
            assert str(error).startswith(f"{path}: not a readable npnn model file ("), f"byte {i}: {error}"
            continue
        assert list(loaded) == list(good), f"byte {i}"
        for name in good:
            assert loaded[name].dtype == good[name].dtype and np.array_equal(loaded[name], good[name]), f"byte {i}"


def test_load_of_a_text_file_says_it_is_not_an_archive(tmp_path):
    (tmp_path / "notes.npz").write_text("hello")
    with pytest.raises(ValueError, match=r"notes.npz: not a readable npnn model file \(not a zip archive"):
        npnn.load(tmp_path / "notes.npz")


def test_load_of_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        npnn.load(tmp_path / "absent.npz")


def test_an_empty_state_dict_round_trips(tmp_path):
    npnn.save({}, tmp_path / "empty.npz")
    assert npnn.load(tmp_path / "empty.npz") == {}
