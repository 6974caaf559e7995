"""Data sources and splits: diabetes and wine, MNIST (with its fallback chain), scikit-learn digits, the user's CSV.

`load_data` returns a `Splits`: float32 inputs, targets (float32 (n, 1) for regression, int64 labels
for classification), already split with scikit-learn and standardised with training statistics only.
"""
from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from presets import mnist
from presets.errors import DataError
from presets.files import regular_file
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
    preprocessing: dict = field(default_factory=dict)  # what raw inputs need before the model (presets.bundle)

    @property
    def input_shape(self) -> tuple:
        return tuple(self.x_train.shape[1:])

    @property
    def num_outputs(self) -> int:
        if self.task == "classification":
            assert self.num_classes is not None  # NOTE: every classification split sets it
            return self.num_classes
        return self.y_train.shape[1]


def fallback_notice(home: Path) -> str:
    return (f"MNIST not found (no --data given, nothing in scikit-learn's OpenML cache at {home}): "
            "training on scikit-learn's built-in 8x8 digits instead. To use MNIST, run again with "
            "--download (fetches mnist_784 from OpenML once and caches it) or --data PATH "
            "(the IDX files or an .npz with arrays x and y).")


def _header(path: Path) -> tuple[list[str], int]:
    """The first non-empty row of the CSV (names stripped) and the number of lines it ends on."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        for row in reader:
            if any(cell.strip() for cell in row):
                return [name.strip() for name in row], reader.line_num
    return [], 0


def _check_header(path: Path, header: list[str], target: str | None) -> int:
    """The target's column index, after the checks that need only the header."""
    if not target:
        raise DataError(f"{path}: say which column to predict with --target; columns: {', '.join(header)}")
    if target not in header:
        raise DataError(f"{path}: no column {target!r}; columns: {', '.join(header)}")
    copies = [i + 1 for i, name in enumerate(header) if name == target]
    if len(copies) > 1:
        raise DataError(f"{path}: the target column {target!r} appears {len(copies)} times in the header "
                        f"(columns {', '.join(map(str, copies))}); rename the copies so the target cannot "
                        "leak into the features")
    if len(header) < 2:
        raise DataError(f"{path}: needs at least one feature column besides the target {target!r}")
    return header.index(target)


def _fast_table(path: Path, skip: int) -> np.ndarray | None:
    """Every cell as float64 in one NumPy pass (no Python string per cell); None when NumPy refuses a line.

    NOTE: a 200,000 x 20 file peaks near 2x its size here against ~10x for the csv-module path, which is
    kept only to find and name the offending cell (or to read text labels).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data": reported below
            table = np.loadtxt(path, delimiter=",", skiprows=skip, dtype=np.float64, comments=None,
                               quotechar='"', encoding="utf-8-sig", ndmin=2)
    except ValueError:
        return None
    return table if table.size and np.isfinite(table).all() else None


def _slow_columns(path: Path, header: list[str], t: int) -> tuple[np.ndarray, np.ndarray]:
    """Features and target text with the csv module, naming the line and column of any bad cell."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)][1:]
    if not rows:
        raise DataError(f"{path}: expected a header row and data rows, found 1 non-empty rows")
    names = header[:t] + header[t + 1:]
    features = np.empty((len(rows), len(header) - 1), dtype=np.float64)
    labels = []
    for i, (line, row) in enumerate(rows):
        if len(row) != len(header):
            raise DataError(f"{path}: line {line} has {len(row)} fields, the header has {len(header)}")
        label = row[t].strip()
        if _is_number(label) and not np.isfinite(float(label)):
            raise DataError(f"{path}: line {line}, column {header[t]!r}: expected a finite target, got {row[t]!r}")
        labels.append(label)
        for j, (name, cell) in enumerate(zip(names, row[:t] + row[t + 1:])):
            try:
                features[i, j] = value = float(cell)
            except ValueError:
                raise DataError(f"{path}: line {line}, column {name!r}: expected a number, got {cell!r}") from None
            if not np.isfinite(value):
                raise DataError(f"{path}: line {line}, column {name!r}: expected a finite number, got {cell!r}")
    return features, np.array(labels)


def read_csv(path, target: str | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Numeric feature columns and the target column (numbers, or text labels) from a CSV with a header row.

    NaN and ±inf cells, ragged lines and a target named twice are refused, naming the line and column.
    """
    path = Path(path)
    try:
        header, header_line = _header(path)
        t = _check_header(path, header, target) if header else -1
        table = _fast_table(path, header_line) if header else None
        if table is not None and table.shape[1] == len(header):
            return np.delete(table, t, axis=1), table[:, t], [h for h in header if h != target]
        if not header:
            raise DataError(f"{path}: expected a header row and data rows, found 0 non-empty rows")
        features, labels = _slow_columns(path, header, t)
    except OSError as exc:
        raise DataError(f"{path}: cannot read CSV ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from None
    return features, labels, [h for h in header if h != target]


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


def _class_labels(y: np.ndarray, where: str) -> tuple[np.ndarray, int, list]:
    """Integer labels 0..k-1, k and the class names (label i is names[i]). Whole numbers are class
    indices and must cover 0..k-1 (PyTorch's CrossEntropyLoss targets); any other labels (text,
    fractions) are enumerated in sorted order."""
    if y.dtype.kind in "US" and y.size and all(v.lstrip("-").isdigit() for v in y):
        y = y.astype(np.int64)
    if y.dtype.kind == "f" and y.size and np.all(y == np.round(y)):
        y = y.astype(np.int64)
    if np.issubdtype(y.dtype, np.integer):
        labels = y.astype(np.int64)
        present = np.unique(labels)
        _at_least_two(present, where)
        if present[0] < 0:
            row = int(np.argmax(labels < 0)) + 1
            raise DataError(f"{where}: class label {present[0]} (data row {row}) is negative; class labels "
                            "must be integers 0..k-1 or text")
        if present[-1] >= present.size:
            row = int(np.argmax(labels == present[-1])) + 1
            missing = sorted(set(range(int(present[-1]) + 1)) - set(present.tolist()))
            shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
            raise DataError(f"{where}: class label {present[-1]} (data row {row}) is out of range: the labels "
                            f"hold {present.size} classes, so they must be 0..{present.size - 1} "
                            f"(classes {shown} never occur); relabel them 0..k-1 or use text labels")
    else:
        present, labels = np.unique(y, return_inverse=True)
        _at_least_two(present, where)
    return labels.astype(np.int64).reshape(-1), int(present.size), present.tolist()


def _at_least_two(present: np.ndarray, where: str) -> None:
    if present.size < 2:
        only = present[0] if present.size else "none"
        raise DataError(f"{where}: the labels hold a single class ({only}); a classification needs at least two")


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
        return x, y, f"{path.name} ({len(x):,} images)", None, {"source": "mnist", "path": str(path.resolve())}
    if spec.source == "digits":
        return _digits()
    home = mnist.data_home()
    if download or mnist.openml_cached(home):
        x, y = mnist.load_openml(home, download=download)
        return x, y, f"MNIST ({len(x):,} images, scikit-learn's OpenML cache)", None, {"source": "mnist"}
    return _digits(fallback_notice(home))


def reads_csv(spec: DataSpec, data_path=None) -> bool:
    """True when the data comes from a CSV file (so a target column can be chosen): --data FILE.csv, or
    a preset whose data is one."""
    path = data_path or spec.path
    return bool(path and Path(path).suffix.lower() == ".csv") or spec.source == "csv"



# Tables that ship with scikit-learn (no download): data.source → the loader's name in sklearn.datasets
BUILTIN_TABLES = {"diabetes": "load_diabetes", "wine": "load_wine"}


@dataclass
class _Raw:
    """Unsplit data as a source gives it, with what the run directory and the bundle record about it."""
    x: np.ndarray
    y: np.ndarray
    description: str
    notice: str | None
    source: dict
    feature_names: list[str] | None
    target_name: str
    class_names: list | None = None  # label i's name when the source names its classes (wine)


def _builtin_table(name: str, task: str) -> _Raw:
    """A scikit-learn table: features, the target (a column for regression sets) and, if named, the classes."""
    import sklearn.datasets
    bunch = getattr(sklearn.datasets, BUILTIN_TABLES[name])()
    names = bunch.get("target_names")
    kind = "regression" if names is None else "classification"
    if task != kind:
        raise DataError(f'data.source = "{name}" is a {kind} data set, but the preset\'s task is {task!r}; '
                        f'set task = "{kind}" or give your own data with --data FILE.csv --target COLUMN')
    y = bunch.target if names is not None else bunch.target.reshape(-1, 1)
    return _Raw(bunch.data, y, f"{name} ({len(bunch.data)} rows, built in)", None, {"source": name},
                list(bunch.feature_names), "class" if names is not None else "target",
                None if names is None else [str(n) for n in names])


def _raw(spec: DataSpec, task: str, data_path, target, download: bool) -> _Raw:
    """The unsplit data for the spec and the user's --data/--target."""
    path = data_path or spec.path
    target = target or spec.target
    if reads_csv(spec, data_path):
        if not path:
            raise DataError("data.source is csv but no file was given: pass --data PATH.csv --target COLUMN")
        x, labels, names = read_csv(regular_file(path, "a CSV file"), target)
        y = _regression_target(labels, str(path)) if task == "regression" else labels
        return _Raw(x, y, f"{Path(path).name} ({len(x):,} rows, target {target!r})", None,
                    {"source": "csv", "path": str(Path(path).resolve()), "target": target}, names, target)
    if spec.source in ("mnist", "digits"):
        x, y, description, notice, source = _image_source(spec, path, download)
        return _Raw(mnist.as_images(x, description), y, description, notice, source, None, "label")
    if path:
        raise DataError(f"{path}: a {spec.source} preset reads your data from a .csv file (with --target COLUMN)")
    return _builtin_table(spec.source, task)


def _standardise(train: np.ndarray, *others: np.ndarray) -> tuple[list[np.ndarray], dict]:
    """(a - mean) / std with the training split's statistics, per column; also {"mean", "std"} in the
    data's own units (lists of floats), which prediction applies to new rows.

    NOTE: columns are first divided by their largest magnitude, so values near the float64 limit
    (1e300) do not overflow the squares inside std; the result is the same for ordinary data.
    """
    train = np.asarray(train, dtype=np.float64)
    scale = np.abs(train).max(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    scaled = train / scale
    mean, std = scaled.mean(axis=0), scaled.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    arrays = [((np.asarray(a, dtype=np.float64) / scale - mean) / std).astype(np.float32) for a in (train, *others)]
    return arrays, {"mean": (mean * scale).tolist(), "std": (std * scale).tolist()}


def _check_float32(where: str, **splits: tuple) -> None:
    """Refuse values that do not fit float32 (npnn's default dtype) rather than train on inf."""
    for name, arrays in splits.items():
        if any(a.dtype.kind == "f" and not np.isfinite(a).all() for a in arrays):
            raise DataError(f"{where}: {name} holds values beyond float32's range (±3.4e38) after scaling; "
                            "set data.standardize = true or rescale the data")


def load_data(spec: DataSpec, task: str, data_path=None, target=None, download: bool = False) -> Splits:
    """Load, cut to spec.limit rows (the first ones, as the original), split and standardise."""
    # NOTE: scikit-learn is imported here, not at module level: its submodules pull in rich (a progress
    # bar for its callbacks), and importing presets must not import a UI toolkit.
    from sklearn.model_selection import train_test_split
    raw = _raw(spec, task, data_path, target, download)
    x, y, description = raw.x, raw.y, raw.description
    if spec.limit is not None and spec.limit < len(x):
        x, y = x[:spec.limit], y[:spec.limit]
        description = f"{description}, first {spec.limit:,}"
    num_classes = None
    preprocessing = {"input_shape": list(x.shape[1:]), "feature_names": raw.feature_names,
                     "target_name": raw.target_name,
                     "feature_mean": None, "feature_std": None, "target_mean": None, "target_std": None,
                     "class_names": None}
    if task == "classification":
        y, num_classes, preprocessing["class_names"] = _class_labels(np.asarray(y), description)
        if raw.class_names is not None:  # NOTE: labels 0..k-1 index the source's own names
            preprocessing["class_names"] = raw.class_names[:num_classes]
    n_test = int(np.ceil(spec.test_size * len(x)))
    n_val = int(np.ceil(spec.val_size * (len(x) - n_test)))
    if len(x) - n_test - n_val < 1 or n_val < 1:
        raise DataError(f"{description}: {len(x)} rows are too few to split into train, validation and test")
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=spec.test_size,
                                                      random_state=spec.split_seed)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=spec.val_size,
                                                      random_state=spec.split_seed)
    if x_train.ndim == 4 and x_train.size:  # NOTE: predict compares new images with it (presets.predict)
        preprocessing["pixel_range"] = [float(x_train.min()), float(x_train.max())]
    if spec.standardize and x_train.ndim == 2:
        (x_train, x_val, x_test), stats = _standardise(x_train, x_val, x_test)
        preprocessing.update(feature_mean=stats["mean"], feature_std=stats["std"])
    if task == "regression" and spec.standardize:
        (y_train, y_val, y_test), stats = _standardise(y_train, y_val, y_test)
        preprocessing.update(target_mean=stats["mean"], target_std=stats["std"])
    cast = (lambda a: a.astype(np.float32)) if task == "regression" else (lambda a: a.astype(np.int64))
    splits = Splits(x_train.astype(np.float32), cast(y_train), x_val.astype(np.float32), cast(y_val),
                    x_test.astype(np.float32), cast(y_test), task, num_classes, description, raw.notice,
                    raw.source, preprocessing)
    _check_float32(description, inputs=(splits.x_train, splits.x_val, splits.x_test),
                   targets=(splits.y_train, splits.y_val, splits.y_test))
    return splits
