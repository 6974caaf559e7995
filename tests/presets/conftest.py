"""Shared fixtures: no network, an empty scikit-learn data home, and small data files the tests write."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """An empty scikit-learn data home and a fetch_openml that fails the test if anything calls it."""
    home = tmp_path / "sklearn_home"
    home.mkdir()
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(home))

    def no_fetch(*args, **kwargs):
        raise AssertionError("fetch_openml must not be called without --download or a complete cache")
    monkeypatch.setattr("sklearn.datasets.fetch_openml", no_fetch)
    return home


def write_idx(path, array: np.ndarray, compress: bool = False) -> None:
    """An IDX file: magic (0, 0, 0x08 ubyte, ndim), big-endian dims, then the bytes."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    raw = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


def fake_mnist(n: int = 60, seed: int = 0, side: int = 28):
    """n images (uint8, side x side) whose class is drawn as a bright horizontal bar at row ~ label."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    images = rng.integers(0, 40, size=(n, side, side)).astype(np.uint8)
    rows = 2 + labels * (side - 4) // 10
    images[np.arange(n), rows] = 255
    return images, labels.astype(np.uint8)


@pytest.fixture
def mnist_npz(tmp_path):
    images, labels = fake_mnist()
    path = tmp_path / "mnist_small.npz"
    np.savez(path, x=images, y=labels)
    return path


@pytest.fixture
def mnist_idx_dir(tmp_path):
    images, labels = fake_mnist()
    directory = tmp_path / "idx"
    directory.mkdir()
    write_idx(directory / "train-images-idx3-ubyte.gz", images[:50], compress=True)
    write_idx(directory / "train-labels-idx1-ubyte.gz", labels[:50], compress=True)
    write_idx(directory / "t10k-images-idx3-ubyte", images[50:])
    write_idx(directory / "t10k-labels-idx1-ubyte", labels[50:])
    return directory


@pytest.fixture
def small_preset(tmp_path):
    """Write preset text to a file in tmp_path and return its path."""
    def write(text: str, name: str = "custom.toml"):
        path = tmp_path / name
        path.write_text(text)
        return path
    return write


def fill_disk_under(out, monkeypatch, spare) -> None:
    """Simulate a full disk inside `out`: run-directory writes there raise ENOSPC; temporary files
    (the saving fallback) go to `spare`."""
    import errno

    import presets.rundir
    real = presets.rundir.write_atomic

    def full_disk(path, text):
        if out in path.parents:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, text)
    monkeypatch.setattr(presets.rundir, "write_atomic", full_disk)
    monkeypatch.setattr("tempfile.tempdir", str(spare))
