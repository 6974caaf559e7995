"""`npnn-tui predict`: read new data for a bundle, predict, and write one CSV row per input.

A CSV needs the training's feature columns (by name, any order, extra columns ignored); its target
column, when present, is not used for prediction but scored. Images come as an .npz (x, optional y)
or IDX files, as for training.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from presets import mnist
from presets.bundle import Bundle, CellError
from presets.errors import DataError
from presets.table.inputs import column_names, column_plan
from presets.table.read import is_table_file, read_table


def _read_table(path: Path, bundle: Bundle) -> tuple[dict, np.ndarray | None]:
    """The feature columns (name → raw values: numbers, or text with "" for a gap) and the target column's
    values as text (None when absent); a missing feature column is refused by name."""
    categories = tuple(column["name"] for column in column_plan(bundle.spec) if column["kind"] == "category")
    table = read_table(path, text=categories)  # NOTE: a category "1" must not come back as the number 1.0
    names = column_names(bundle.spec)
    missing = [name for name in names if name not in table.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(map(repr, missing))}; the model was trained on "
                        f"{', '.join(names)}")
    columns = {name: table.columns[name] for name in names}
    try:
        bundle.prepare(columns)
    except CellError as error:  # NOTE: a finite 1e308 would otherwise come out as nan, exit 0
        raise DataError(f"{path}: line {table.lines[error.row]}, column {error.column!r}: {error.problem}") from None
    target = bundle.target_name
    y = None
    if target in table.columns:
        values = table.columns[target]
        y = values if table.is_text(target) else np.array([f"{v:.17g}" if v == v else "" for v in values])
    return columns, y


def _read_images(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Images and their labels when the file has them: an .npz with x (and y), or IDX files."""
    if path.suffix == ".npz":
        arrays = mnist.read_npz(path)
        key = next((k for k in ("x", "x_test", "x_train") if k in arrays), None)
        if key is None:
            raise DataError(f"{path}: expected an array 'x' of images, found {', '.join(sorted(arrays)) or 'none'}")
        x, y = arrays[key], arrays.get(key.replace("x", "y", 1))
        return x, None if y is None else mnist.one_label_per_image(x, y, path)
    labels = path.with_name(path.name.replace("images", "labels").replace("idx3", "idx1"))
    if path.is_dir() or (labels != path and labels.exists()):
        return mnist.load_idx(path)
    return mnist.read_idx(path), None


def read_inputs(bundle: Bundle, path) -> tuple[object, np.ndarray | None]:
    """The inputs in `path` for `bundle.predict` and the true targets when the file holds them."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    if bundle.is_image:
        if is_table_file(path):
            raise DataError(f"{path}: this model takes images: give an .npz with an array x, or IDX files")
        x, y = _read_images(path)
        try:
            bundle.prepare(x)
        except DataError as error:
            raise DataError(f"{path}: {error}") from None
        return x, y
    if not is_table_file(path):
        raise DataError(f"{path}: this model takes table rows: give a .csv (or .tsv, .txt) with the columns "
                        f"{', '.join(bundle.feature_names or ())}")
    return _read_table(path, bundle)  # NOTE: read_table lets only a regular file through


def score(bundle: Bundle, predictions: np.ndarray, y: np.ndarray) -> dict:
    """How the predictions compare with the file's targets: MSE/MAE in the target's units, or accuracy.
    Rows whose target is a gap ("") are not scored."""
    y = np.asarray(y)
    if y.dtype.kind in "UO" and y.ndim == 1:
        known = y != ""
        predictions, y = predictions[known], y[known]
    if bundle.task == "classification":
        return {"accuracy": float(np.mean(predictions.astype(str) == y.astype(str)))}
    try:
        truth = np.asarray(y, dtype=np.float64).reshape(predictions.shape)
    except ValueError:
        raise DataError(f"the target column {bundle.target_name!r} must hold numbers to be scored") from None
    return {"mse": float(np.mean((predictions - truth) ** 2)), "mae": float(np.mean(np.abs(predictions - truth)))}


def _check_finite(answers: np.ndarray) -> None:
    """The model's answers must be numbers: inf or nan means inputs far outside the training data."""
    bad = ~np.isfinite(answers.reshape(len(answers), -1)).all(axis=1)
    if bad.any():
        raise DataError(f"the model's answer for input {int(np.argmax(bad)) + 1} (and {int(bad.sum()) - 1} more) is "
                        "not a finite number: the inputs lie too far outside the training data")


def range_notice(bundle: Bundle, X) -> str | None:
    """A warning when images, as scaled for the model, span much less than the training images did
    (pixels 0..16 given to a model trained on 0..255): the predictions may be wrong."""
    trained = bundle.spec.get("pixel_range")
    if not bundle.is_image or not trained:
        return None
    x = bundle.prepare(X)
    low, high = (float(x.min()), float(x.max())) if x.size else trained
    if high - low >= 0.5 * (trained[1] - trained[0]):
        return None
    return (f"the images' pixels span {low:.3g}..{high:.3g} once scaled, the training images' {trained[0]:.3g}.."
            f"{trained[1]:.3g}: were they scaled differently (npnn divides integers and pixels above 1 by 255)? "
            "The predictions may be wrong")


def predictions_csv(bundle: Bundle, X) -> str:
    """One row per input: the prediction (regression), or the label and each class's probability; DataError
    when an answer is not a finite number."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    name = bundle.target_name or "prediction"
    if bundle.task == "classification":
        probabilities = bundle.predict_proba(X)
        _check_finite(probabilities)
        assert bundle.class_names is not None  # NOTE: a classifier's bundle names its classes (bundle_schema)
        labels = np.asarray(bundle.class_names)[probabilities.argmax(axis=1)]
        writer.writerow([name, *(f"p_{c}" for c in bundle.class_names)])
        for label, row in zip(labels, probabilities):
            writer.writerow([label, *(f"{p:.6g}" for p in row)])
        return buffer.getvalue()
    predictions = bundle.predict(X)
    predictions = predictions.reshape(len(predictions), -1)
    _check_finite(predictions)
    writer.writerow([name] if predictions.shape[1] == 1 else [f"{name}_{i}" for i in range(predictions.shape[1])])
    writer.writerows([[f"{v:.10g}" for v in row] for row in predictions])
    return buffer.getvalue()


def read_prompts(bundle: Bundle, path, length: int | None = None, stdin=None) -> list[str]:
    """A sequence run's prompts, one a line of the UTF-8 file `path` ("-": `stdin`'s bytes), each checked
    (Bundle.check_prompt, as whole prompts) and named by its line; a final newline ends the last line, "\\r\\n"
    counts as one."""
    if path == "-":
        if stdin is None:
            raise DataError("--prompts -: stdin is closed; give the prompts as arguments or in a file")
        name, data = "stdin", stdin.read()
    else:
        name, path = str(path), Path(path)
        if not (path.is_file() or path.is_fifo()):  # NOTE: a FIFO is `--prompts <(command)`
            raise DataError(f"{path}: {'not a regular file' if path.exists() else 'no such file'}; "
                            "--prompts takes a text file of prompts, one a line, or - for stdin")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise DataError(f"{path}: cannot read it ({error.strerror or error})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{name}: not UTF-8 text (byte {error.start})") from None
    lines = [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")] if text else []
    if not lines:
        raise DataError(f"{name}: holds no prompts; give one a line")
    for number, line in enumerate(lines, 1):
        bundle.check_prompt(line, f"{name}: line {number}", length, whole=True)
    return lines


def completions_text(bundle: Bundle, prompts: list[str], length: int | None, temperature: float,
                     seed: int | None) -> str:
    """Each prompt followed by what the model writes after it, one a line (greedy at temperature 0); an addition
    prompt must be a whole one ("123+456=")."""
    generator = np.random.default_rng(seed) if temperature > 0 else None
    completions = bundle.complete(prompts, length, temperature, generator, whole=True)
    return "".join(f"{prompt}{completion}\n" for prompt, completion in zip(prompts, completions))
