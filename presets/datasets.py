"""Data sources and splits: diabetes, MNIST (with its fallback chain), scikit-learn digits, the user's CSV.

`load_data` returns a `Splits`: float32 inputs, targets (float32 (n, 1) for regression, int64 labels
for classification), already split with scikit-learn and standardised with training statistics only.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from presets import mnist
from presets.errors import DataError
from presets.schema import DataSpec


@dataclass
class Splits:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str
    num_classes: int | None
    description: str                      # e.g. "diabetes (442 rows, built in)"
    notice: str | None = None             # something the user should know (e.g. the MNIST fallback)
    source: dict = field(default_factory=dict)  # the data spec actually used, for config.toml

    @property
    def input_shape(self) -> tuple:
        return tuple(self.x_train.shape[1:])

    @property
    def num_outputs(self) -> int:
        return self.num_classes if self.task == "classification" else self.y_train.shape[1]


def fallback_notice(home: Path) -> str:
    return (f"MNIST not found (no --data given, nothing in scikit-learn's OpenML cache at {home}): "
            "training on scikit-learn's built-in 8x8 digits instead. To use MNIST, run again with "
            "--download (fetches mnist_784 from OpenML once and caches it) or --data PATH "
            "(the IDX files or an .npz with arrays x and y).")


def read_csv(path, target: str | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Numeric feature columns and the target column (kept as text) from a CSV file with a header row."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise DataError(f"{path}: cannot read CSV ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise DataError(f"{path}: expected a header row and data rows, found {len(rows)} non-empty rows")
    header = [name.strip() for name in rows[0]]
    if not target:
        raise DataError(f"{path}: say which column to predict with --target; columns: {', '.join(header)}")
    if target not in header:
        raise DataError(f"{path}: no column {target!r}; columns: {', '.join(header)}")
    if len(header) < 2:
        raise DataError(f"{path}: needs at least one feature column besides the target {target!r}")
    t = header.index(target)
    features = np.empty((len(rows) - 1, len(header) - 1), dtype=np.float64)
    labels = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(f"{path}: line {line} has {len(row)} fields, the header has {len(header)}")
        labels.append(row[t].strip())
        cells = row[:t] + row[t + 1:]
        names = header[:t] + header[t + 1:]
        for j, (name, cell) in enumerate(zip(names, cells)):
            try:
                features[line - 2, j] = float(cell)
            except ValueError:
                raise DataError(f"{path}: line {line}, column {name!r}: expected a number, got {cell!r}") from None
    return features, np.array(labels), [h for h in header if h != target]


def _regression_target(labels: np.ndarray, where: str) -> np.ndarray:
    try:
        return labels.astype(np.float64).reshape(-1, 1)
    except ValueError:
        line, bad = next((i + 2, str(v)) for i, v in enumerate(labels) if not _is_number(v))
        raise DataError(f"{where}: line {line}: the target of a regression must be numbers, got {bad!r}") from None


def _is_number(text) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _class_labels(y: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer labels 0..k-1 (non-negative integers are kept as they are, anything else is enumerated)."""
    if np.issubdtype(y.dtype, np.integer) and y.size and y.min() >= 0:
        return y.astype(np.int64), int(y.max()) + 1
    if y.dtype.kind in "US" and all(v.lstrip("-").isdigit() for v in y):
        return _class_labels(y.astype(np.int64))
    if np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)) and y.size and y.min() >= 0:
        return _class_labels(y.astype(np.int64))
    classes, labels = np.unique(y, return_inverse=True)
    return labels.astype(np.int64), len(classes)


def _digits(notice=None):
    from sklearn.datasets import load_digits
    digits = load_digits()
    return (digits.images / 16.0, digits.target, f"digits 8x8 ({len(digits.images):,} images, built in)",
            notice, {"source": "digits"})


def _image_source(spec: DataSpec, path, download: bool):
    """(images, labels, description, notice, source dict) following the MNIST fallback chain."""
    if path:
        path = Path(path)
        if not path.exists():
            raise DataError(f"{path}: no such file or directory")
        x, y = mnist.load_npz(path) if path.suffix == ".npz" else mnist.load_idx(path)
        return x, y, f"{path.name} ({len(x):,} images)", None, {"source": "mnist", "path": str(path)}
    if spec.source == "digits":
        return _digits()
    home = mnist.data_home()
    if download or mnist.openml_cached(home):
        x, y = mnist.load_openml(home, download=download)
        return x, y, f"MNIST ({len(x):,} images, scikit-learn's OpenML cache)", None, {"source": "mnist"}
    return _digits(fallback_notice(home))


def _raw(spec: DataSpec, task: str, data_path, target, download: bool):
    """Unsplit (x, y, description, notice, source dict) for the spec and the user's --data/--target."""
    path = data_path or spec.path
    target = target or spec.target
    if (path and Path(path).suffix.lower() == ".csv") or spec.source == "csv":
        if not path:
            raise DataError("data.source is csv but no file was given: pass --data PATH.csv --target COLUMN")
        x, labels, _ = read_csv(path, target)
        y = _regression_target(labels, str(path)) if task == "regression" else labels
        return (x, y, f"{Path(path).name} ({len(x):,} rows, target {target!r})", None,
                {"source": "csv", "path": str(path), "target": target})
    if spec.source in ("mnist", "digits"):
        x, y, description, notice, source = _image_source(spec, path, download)
        return mnist.as_images(x, description), y, description, notice, source
    if path:
        raise DataError(f"{path}: a {spec.source} preset reads your data from a .csv file (with --target COLUMN)")
    from sklearn.datasets import load_diabetes
    x, y = load_diabetes(return_X_y=True)
    return x, y.reshape(-1, 1), f"diabetes ({len(x)} rows, built in)", None, {"source": "diabetes"}


def _standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return [((a - mean) / std).astype(np.float32) for a in (train, *others)]


def load_data(spec: DataSpec, task: str, data_path=None, target=None, download: bool = False) -> Splits:
    """Load, cut to spec.limit rows (the first ones, as the original), split and standardise."""
    # NOTE: scikit-learn is imported here, not at module level: its submodules pull in rich (a progress
    # bar for its callbacks), and importing presets must not import a UI toolkit.
    from sklearn.model_selection import train_test_split
    x, y, description, notice, source = _raw(spec, task, data_path, target, download)
    if spec.limit is not None and spec.limit < len(x):
        x, y = x[:spec.limit], y[:spec.limit]
        description = f"{description}, first {spec.limit:,}"
    num_classes = None
    if task == "classification":
        y, num_classes = _class_labels(np.asarray(y))
    n_test = int(np.ceil(spec.test_size * len(x)))
    n_val = int(np.ceil(spec.val_size * (len(x) - n_test)))
    if len(x) - n_test - n_val < 1 or n_val < 1:
        raise DataError(f"{description}: {len(x)} rows are too few to split into train, validation and test")
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=spec.test_size,
                                                      random_state=spec.split_seed)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=spec.val_size,
                                                      random_state=spec.split_seed)
    if spec.standardize and x_train.ndim == 2:
        x_train, x_val, x_test = _standardise(x_train, x_val, x_test)
    if task == "regression" and spec.standardize:
        y_train, y_val, y_test = _standardise(y_train, y_val, y_test)
    cast = (lambda a: a.astype(np.float32)) if task == "regression" else (lambda a: a.astype(np.int64))
    return Splits(x_train.astype(np.float32), cast(y_train), x_val.astype(np.float32), cast(y_val),
                  x_test.astype(np.float32), cast(y_test), task, num_classes, description, notice, source)
