"""MNIST images from wherever they are: IDX files, an .npz, scikit-learn's OpenML cache, or a download.

Every reader returns (images uint8 or float (n, H, W), integer labels (n,)). Nothing here touches the
network unless `download=True` is passed to `load_openml`.
"""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike

from npnn._atomic import atomic_open
from presets.errors import DataError, DownloadError
from presets.files import regular_file

OPENML_NAME, OPENML_ID, OPENML_VERSION = "mnist_784", 554, 1
_IDX_TYPES: dict[int, DTypeLike] = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(path: Path) -> bytes:
    with open(regular_file(path, "an IDX file"), "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: damaged gzip file ({exc})") from None
    return raw


def read_idx(path) -> np.ndarray:
    """One IDX file (plain or gzipped): the magic number gives the element type and the number of dims."""
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{path}: not an IDX file (expected magic 0x0000 TT DD, got {raw[:4].hex() or 'nothing'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: IDX header says {ndim} dimensions but the file ends after {len(raw)} bytes")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(f"{path}: IDX shape {shape} needs {expected} bytes, the file has {len(raw)}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def _idx_pairs(directory: Path) -> list[tuple[Path, Path]]:
    """(images, labels) file pairs in a directory, training set first (train-*, then t10k-*)."""
    pairs = []
    for images in sorted(directory.iterdir(), key=lambda p: (not p.name.startswith("train"), p.name)):
        if "images" in images.name and "idx3" in images.name:
            labels = images.with_name(images.name.replace("images", "labels").replace("idx3", "idx1"))
            if labels.exists():
                pairs.append((images, labels))
    return pairs


def load_idx(path) -> tuple[np.ndarray, np.ndarray]:
    """IDX images and labels: a directory holding train-/t10k- files, or the path of an images file."""
    path = Path(path)
    if path.is_dir():
        pairs = _idx_pairs(path)
        if not pairs:
            raise DataError(f"{path}: no IDX image/label pairs here (expected e.g. train-images-idx3-ubyte.gz "
                            "beside train-labels-idx1-ubyte.gz)")
    else:
        labels = path.with_name(path.name.replace("images", "labels").replace("idx3", "idx1"))
        if labels == path or not labels.exists():
            raise DataError(f"{path}: give the images file (…-images-idx3-ubyte[.gz]) with its labels file "
                            f"beside it, or the directory holding both; looked for {labels.name}")
        pairs = [(path, labels)]
    xs, ys = [], []
    for images_path, labels_path in pairs:
        x, y = read_idx(images_path), read_idx(labels_path)
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DataError(f"{images_path}: expected images (n, H, W) and labels (n,), "
                            f"got {x.shape} and {y.shape} ({labels_path.name})")
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def read_npz(path) -> dict:
    """Every array of an .npz (no pickles), DataError when it cannot be read as one."""
    path = regular_file(path, "an .npz file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"{path}: cannot read as .npz ({exc})") from None


def one_label_per_image(x: np.ndarray, y: np.ndarray, where) -> np.ndarray:
    """`y` as one label per image of `x`; one-hot rows (n, classes), as the original project used,
    become integer labels. DataError when the counts differ."""
    if y.ndim == 2:
        y = y.argmax(axis=1) if y.shape[1] > 1 else y[:, 0]
    if y.ndim != 1 or len(x) != len(y):
        raise DataError(f"{where}: expected one label per image, got x {x.shape} and y {y.shape}")
    return y


def load_npz(path) -> tuple[np.ndarray, np.ndarray]:
    """An .npz with arrays x and y (or x_train/y_train, with x_test/y_test appended when present)."""
    path = Path(path)
    arrays = read_npz(path)
    if "x" in arrays and "y" in arrays:
        x, y = arrays["x"], arrays["y"]
    elif "x_train" in arrays and "y_train" in arrays:
        parts = ["_train", "_test"] if "x_test" in arrays and "y_test" in arrays else ["_train"]
        x, y = (np.concatenate([arrays["x" + p] for p in parts]), np.concatenate([arrays["y" + p] for p in parts]))
    else:
        raise DataError(f"{path}: expected arrays 'x' and 'y' (or 'x_train' and 'y_train'), found "
                        f"{', '.join(sorted(arrays)) or 'none'}")
    return x, one_label_per_image(x, y, path)


def _pixel(x: np.ndarray, flat_index: int) -> str:
    """A pixel of (n, C, H, W) images and its value: "image 3 holds nan at (channel, row, column) (0, 4, 5)"."""
    n, *pixel = np.unravel_index(flat_index, x.shape)
    value = x.flat[flat_index]
    return f"image {n} holds {value if np.isnan(value) else format(value, 'g')} at (channel, row, column) " \
           f"{tuple(int(i) for i in pixel)}"


def _check_pixels(x: np.ndarray, at: str) -> None:
    """Images are finite numbers in one of the two ranges npnn scales from: 0..255 or 0..1."""
    if not np.issubdtype(x.dtype, np.number):
        raise DataError(f"{at}images must be numbers, got dtype {x.dtype}")
    if x.dtype.kind in "fc" and not np.isfinite(x).all():
        i = int(np.argmin(np.isfinite(x)))
        raise DataError(f"{at}{_pixel(x, i)}; images must be finite numbers")
    if not x.size:
        return
    if x.min() < 0:
        i = int(np.argmin(x))
        raise DataError(f"{at}{_pixel(x, i)}; pixels must be 0..255 (or 0..1): these look "
                        "standardised or shifted, give the images as they were before")
    if x.max() > 255:
        i = int(np.argmax(x))
        raise DataError(f"{at}{_pixel(x, i)} ({x.dtype}); pixels must be 8-bit values "
                        "0..255 (or floats 0..1): rescale them, e.g. x // 257 for 16-bit images")


def channels_last(shape: tuple) -> bool:
    """True for images (n, H, W, C) with C in 1, 3, 4 and H not: channels after the pixels, as Keras keeps them."""
    return len(shape) == 4 and shape[3] in (1, 3, 4) and shape[1] not in (1, 3, 4)


def as_images(x: np.ndarray, where: str = "") -> np.ndarray:
    """Images as float32 (n, C, H, W) in [0, 1]; flat square rows (n, H*W) are reshaped. Integers, and
    floats above 1, are divided by 255; other ranges (16-bit, standardised) are refused (DataError
    starting with `where`, when given)."""
    x = np.asarray(x)
    at = f"{where}: " if where else ""
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise DataError(f"{at}flat images need a square number of pixels, got {x.shape[1]} per row")
        x = x.reshape(len(x), side, side)
    if x.ndim == 3:
        x = x[:, None]
    if channels_last(x.shape):
        raise DataError(f"{at}images of shape {x.shape} look channels-last (n, H, W, C); npnn takes them "
                        "channels-first (n, C, H, W): pass x.transpose(0, 3, 1, 2)")
    if x.ndim != 4:
        raise DataError(f"{at}expected images (n, H, W), (n, C, H, W) or (n, H*W), got shape {x.shape}")
    _check_pixels(x, at)
    scaled = x.astype(np.float32)
    if np.issubdtype(x.dtype, np.integer) or (scaled.size and scaled.max() > 1.0):
        scaled /= 255.0
    return scaled


def data_home() -> Path:
    """scikit-learn's data home (SCIKIT_LEARN_DATA or ~/scikit_learn_data), as get_data_home finds it.

    NOTE: sklearn's get_data_home also creates the folder, which fails on a read-only home; looking for
    a cache must not need to write, so the documented fallback to the built-in digits still works.
    """
    return Path(os.environ.get("SCIKIT_LEARN_DATA", os.path.join("~", "scikit_learn_data"))).expanduser()


def _openml_files(home: Path) -> list[Path | None]:
    """The files fetch_openml("mnist_784", version=1) reads from its cache, None where unknown yet."""
    root = home / "openml" / "openml.org"
    api = root / "api" / "v1" / "json" / "data"
    files = [api / "list" / "data_name" / OPENML_NAME / "limit" / "2" / "data_version" / f"{OPENML_VERSION}.gz",
             api / f"{OPENML_ID}.gz", api / "features" / f"{OPENML_ID}.gz", api / "qualities" / f"{OPENML_ID}.gz"]
    try:
        with gzip.open(files[1], "rt", encoding="utf-8") as fh:
            url = json.load(fh)["data_set_description"]["url"]
    except (OSError, ValueError, KeyError, TypeError):
        return files + [None]
    from urllib.parse import urlparse
    return files + [root / (urlparse(url).path.lstrip("/") + ".gz")]


def npnn_cache(home: Path) -> Path:
    """Where a fetched MNIST is kept as a compact .npz so later runs skip the slow ARFF parse."""
    return home / "npnn" / f"{OPENML_NAME}.npz"


def openml_cached(home: Path) -> bool:
    """True when MNIST can be loaded without the network: our .npz copy or every file fetch_openml needs."""
    return npnn_cache(home).is_file() or all(f is not None and f.is_file() for f in _openml_files(home))


def load_openml(home: Path, download: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """MNIST from the local caches, or fetched from OpenML when download is True; saved as .npz afterwards.

    Raises DownloadError when fetching fails on the network, DataError when what came cannot be read."""
    cache = npnn_cache(home)
    if cache.is_file():
        return load_npz(cache)
    fetching = not openml_cached(home)
    if fetching and not download:
        raise DataError(f"MNIST is not in scikit-learn's cache at {home}; pass --download to fetch it")
    from sklearn.datasets import fetch_openml
    try:
        import pandas  # noqa: F401 - scikit-learn's fast ARFF parser needs it
        parser = "pandas"
    except ImportError:
        parser = "liac-arff"
    try:
        bunch = fetch_openml(OPENML_NAME, version=OPENML_VERSION, as_frame=False, parser=parser,
                             data_home=str(home))
    except OSError as exc:
        if fetching:  # NOTE: URLError, HTTPError, refused connections and timeouts are all OSErrors
            raise DownloadError(f"could not download MNIST from OpenML ({getattr(exc, 'reason', None) or exc}): "
                                "check the network connection (or proxy settings), or pass --data PATH with "
                                "the MNIST IDX files or an .npz with arrays x and y") from None
        raise DataError(f"could not load MNIST from scikit-learn's cache at {home} ({exc})") from None
    except Exception as exc:  # a damaged download or cache surfaces as many types
        raise DataError(f"could not load MNIST from OpenML ({type(exc).__name__}: {exc})") from None
    x = np.asarray(bunch.data, dtype=np.uint8).reshape(-1, 28, 28)
    y = np.asarray(bunch.target).astype(np.int64)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(cache, "wb") as fh:
            np.savez_compressed(fh, x=x, y=y)
    except OSError:
        pass  # NOTE: the copy only speeds up later runs; a read-only or full data home must not fail this one
    return x, y
