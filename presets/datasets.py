"""Data sources and splits: diabetes and wine, MNIST (with its fallback chain), scikit-learn digits, the user's CSV.

`load_data` returns a `Splits`: float32 inputs, targets (float32 (n, 1) for regression, int64 labels
for classification), already split with scikit-learn and standardised with training statistics only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from presets import mnist
from presets.errors import DataError
from presets.schema import DataSpec
from presets.sequence import data as tokens
from presets.table.load import RawTable, column_report, encode_splits, read_training_table
from presets.table.read import is_table_file
from presets.table.scale import standardise


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
        if self.task != "regression":
            assert self.num_classes is not None  # NOTE: every classification and sequence split sets it
            return self.num_classes
        return self.y_train.shape[1]


def fallback_notice(home: Path) -> str:
    return (f"MNIST not found (no --data given, nothing in scikit-learn's OpenML cache at {home}): "
            "training on scikit-learn's built-in 8x8 digits instead. To use MNIST, run again with "
            "--download (fetches mnist_784 from OpenML once and caches it) or --data PATH "
            "(the IDX files or an .npz with arrays x and y).")


def read_csv(path, target: str | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A table whose features are all numbers without gaps as one float64 matrix, the target column and
    the feature names (for scripts and tests; training reads text and gaps through presets.table)."""
    raw = read_training_table(path, target)
    table = raw.table
    for name in raw.features:
        values = table.columns[name]
        if table.is_text(name) or np.isnan(values).any():
            raise DataError(f"{path}: column {name!r} holds text or gaps; read it with presets.table")
    x = np.column_stack([table.columns[name][raw.rows] for name in raw.features])
    return x, raw.labels, raw.features


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
    """True when the data comes from a table file (.csv, .tsv, .txt: a target column can be chosen):
    --data FILE.csv, or a preset whose data is one."""
    path = data_path or spec.path
    return bool(path and is_table_file(path)) or spec.source == "csv"



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
    table: RawTable | None = None    # a table file: x holds row positions, encoded once the split is known


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
        table = read_training_table(path, target, spec.columns, spec.drop)
        labels = table.labels
        if task == "regression" and labels.dtype == object:
            raise DataError(f"{path}: the target of a regression must be numbers, got {labels[0]!r} in column "
                            f"{target!r} (line {table.table.lines[table.rows[0]]})")
        y = labels.reshape(-1, 1) if task == "regression" else labels.astype(str) if labels.dtype == object else labels
        return _Raw(np.arange(len(labels)), y, f"{Path(path).name} ({len(labels):,} rows, target {target!r})", None,
                    {"source": "csv", "path": str(Path(path).resolve()), "target": target}, None, target,
                    table=table)
    if spec.source in ("mnist", "digits"):
        x, y, description, notice, source = _image_source(spec, path, download)
        return _Raw(mnist.as_images(x, description), y, description, notice, source, None, "label")
    if path:
        raise DataError(f"{path}: a {spec.source} preset reads your data from a .csv file (with --target COLUMN)")
    return _builtin_table(spec.source, task)


def _check_float32(where: str, **splits: tuple) -> None:
    """Refuse values that do not fit float32 (npnn's default dtype) rather than train on inf."""
    for name, arrays in splits.items():
        # NOTE: min and max are NaN or infinite exactly when some value is, with no array of flags the split's size
        if any(a.dtype.kind == "f" and a.size and not np.isfinite([a.min(), a.max()]).all() for a in arrays):
            raise DataError(f"{where}: {name} holds values beyond float32's range (±3.4e38) after scaling; "
                            "set data.standardize = true or rescale the data")


def _check_path_text(path) -> None:
    """A data path must be text (UTF-8): the run records it in config.toml, which cannot hold other bytes."""
    try:
        str(path or "").encode("utf-8")
    except UnicodeEncodeError:
        raise DataError(f"{path!r}: the file name is not UTF-8 text, and a run records its data path in "
                        "config.toml; rename the file") from None


def load_data(spec: DataSpec, task: str, data_path=None, target=None, download: bool = False) -> Splits:
    """Load, cut to spec.limit rows (the first ones, as the original), split and standardise."""
    # NOTE: scikit-learn is imported here, not at module level: its submodules pull in rich (a progress
    # bar for its callbacks), and importing presets must not import a UI toolkit.
    from sklearn.model_selection import train_test_split
    _check_path_text(data_path or spec.path)
    if task == "sequence":
        return _token_splits(spec, data_path)
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
    if raw.table is not None:  # NOTE: the column plan sees the training rows only
        (x_train, x_val, x_test), plan, stats = encode_splits(raw.table, x_train, [x_val, x_test],
                                                              spec.max_categories, spec.standardize)
        preprocessing.update(column_report(raw.table, plan), input_shape=[plan.width],
                             feature_names=[c["name"] for c in plan.columns])
        if stats is not None:
            preprocessing.update(feature_mean=stats["mean"], feature_std=stats["std"])
    elif spec.standardize and x_train.ndim == 2:
        (x_train, x_val, x_test), stats = standardise(x_train, x_val, x_test)
        preprocessing.update(feature_mean=stats["mean"], feature_std=stats["std"])
    if task == "regression" and spec.standardize:
        (y_train, y_val, y_test), stats = standardise(y_train, y_val, y_test)
        preprocessing.update(target_mean=stats["mean"], target_std=stats["std"])
    # NOTE: copy=False: a table's inputs are float32 already, and a copy would double the largest arrays
    cast = (lambda a: a.astype(np.float32, copy=False)) if task == "regression" else (lambda a: a.astype(np.int64))
    inputs = [x.astype(np.float32, copy=False) for x in (x_train, x_val, x_test)]
    splits = Splits(inputs[0], cast(y_train), inputs[1], cast(y_val),
                    inputs[2], cast(y_test), task, num_classes, description, raw.notice,
                    raw.source, preprocessing)
    _check_float32(description, inputs=(splits.x_train, splits.x_val, splits.x_test),
                   targets=(splits.y_train, splits.y_val, splits.y_test))
    return splits


def _token_splits(spec: DataSpec, data_path) -> Splits:
    """A sequence task's token ids (presets.sequence.data): generated sums, or a text's characters."""
    if spec.source == "addition":
        if data_path or spec.path:
            raise DataError(f"{data_path or spec.path}: the addition data is generated; a text file is read by a "
                            'preset whose data.source is "text" (char_lm)')
        data = tokens.addition(spec.limit or tokens.ADDITION_DEFAULT_COUNT, spec.test_size, spec.val_size,
                               spec.split_seed)
    else:
        data = tokens.text(data_path or spec.path, spec.block_size or tokens.DEFAULT_BLOCK_SIZE, spec.test_size,
                           spec.val_size, spec.limit)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = data.splits
    preprocessing = {"input_shape": [x_train.shape[1]], "vocab": data.vocab, "prompt_length": data.prompt_length,
                     "feature_names": None, "target_name": None, "feature_mean": None, "feature_std": None,
                     "target_mean": None, "target_std": None, "class_names": None}
    return Splits(x_train, y_train, x_val, y_val, x_test, y_test, "sequence", len(data.vocab), data.description,
                  None, data.source, preprocessing)
