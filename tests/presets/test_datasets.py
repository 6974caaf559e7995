"""Data sources: the original diabetes split, CSV files, MNIST from IDX/npz/cache, and the digits fallback."""
from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

from presets import DataError, DataSpec, DownloadError, load_preset
from presets import mnist
from presets.datasets import load_data, read_csv
from tests.presets.conftest import fake_mnist, write_idx


def test_diabetes_uses_the_original_split_and_training_statistics():
    preset = load_preset("tabular_mlp")
    s = load_data(preset.data, preset.task)
    x, y = load_diabetes(return_X_y=True)
    x_rest, x_test, y_rest, _ = train_test_split(x, y, test_size=0.3, random_state=42)
    x_train, _, y_train, _ = train_test_split(x_rest, y_rest, test_size=0.25, random_state=42)
    assert (len(s.x_train), len(s.x_val), len(s.x_test)) == (231, 78, 133)
    np.testing.assert_allclose(s.x_test, (x_test - x_train.mean(0)) / x_train.std(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s.y_train.ravel(), (y_train - y_train.mean()) / y_train.std(), rtol=1e-5, atol=1e-6)
    assert s.x_train.dtype == np.float32 and s.y_train.shape == (231, 1)
    assert s.description == "diabetes (442 rows, built in)" and s.notice is None


def test_wine_is_split_standardised_and_names_its_classes():
    from sklearn.datasets import load_wine
    preset = load_preset("wine_mlp")
    s = load_data(preset.data, preset.task)
    wine = load_wine()
    x_rest, x_test, y_rest, y_test = train_test_split(wine.data, wine.target, test_size=0.2, random_state=42)
    x_train, _, _, _ = train_test_split(x_rest, y_rest, test_size=0.2, random_state=42)
    assert (len(s.x_train), len(s.x_val), len(s.x_test)) == (113, 29, 36)
    np.testing.assert_allclose(s.x_test, (x_test - x_train.mean(0)) / x_train.std(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(s.y_test, y_test)  # label i is scikit-learn's class i
    assert s.num_classes == 3 and s.input_shape == (13,) and s.y_train.dtype == np.int64
    assert s.preprocessing["class_names"] == ["class_0", "class_1", "class_2"]
    assert s.preprocessing["feature_names"] == list(wine.feature_names)
    assert s.description == "wine (178 rows, built in)" and s.source == {"source": "wine"}


@pytest.mark.parametrize("source, task, kind", [("wine", "regression", "classification"),
                                                ("diabetes", "classification", "regression")])
def test_a_builtin_table_refuses_the_other_task(source, task, kind):
    with pytest.raises(DataError, match=f'data.source = "{source}" is a {kind} data set.*task is {task!r}'):
        load_data(DataSpec(source=source), task)


def write_csv(path, rows):
    path.write_text("\n".join(",".join(str(v) for v in row) for row in rows) + "\n")
    return path


def test_csv_regression_uses_the_target_column(tmp_path):
    rng = np.random.default_rng(0)
    rows = [["a", "price", "b"]] + [[f"{rng.normal():.4f}", i, f"{rng.normal():.4f}"] for i in range(40)]
    path = write_csv(tmp_path / "houses.csv", rows)
    preset = load_preset("tabular_mlp")
    s = load_data(preset.data, "regression", data_path=str(path), target="price")
    assert s.input_shape == (2,) and s.num_outputs == 1
    assert len(s.x_train) + len(s.x_val) + len(s.x_test) == 40
    assert s.source == {"source": "csv", "path": str(path), "target": "price"}
    assert "houses.csv (40 rows, target 'price')" == s.description


def test_csv_classification_enumerates_text_labels(tmp_path):
    rows = [["x", "kind"]] + [[i, "cat" if i % 2 else "dog"] for i in range(30)]
    path = write_csv(tmp_path / "pets.csv", rows)
    features, labels, names = read_csv(path, "kind")
    assert features.shape == (30, 1) and names == ["x"]
    preset = load_preset("mnist_cnn")
    preset.data.limit = None
    s = load_data(preset.data, "classification", data_path=str(path), target="kind")
    assert s.num_classes == 2 and s.y_train.dtype == np.int64


@pytest.mark.parametrize("rows, target, message", [
    ([["a", "b"], [1, 2]], "c", "no column 'c'; columns: a, b"),
    ([["a", "b"], [1, 2]], None, "say which column to predict with --target; columns: a, b"),
    ([["a", "b"], [1, 2, 3]], "b", "line 2 has 3 fields, the header has 2"),
    ([["a", "b"]], "b", "expected a header row and data rows"),
    ([["b"], [1]], "b", "needs at least one feature column"),
    ([["a", "a", "b"], [1, 2, 3]], "b", "column 'a' appears 2 times in the header (columns 1, 2)"),
    ([["a", "", "b"], [1, 2, 3]], "b", "column 2 of the header has no name"),
])
def test_csv_errors_name_the_file_and_the_problem(tmp_path, rows, target, message):
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(DataError) as info:
        read_csv(path, target)
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_csv_regression_target_must_be_numeric(tmp_path):
    path = write_csv(tmp_path / "t.csv", [["a", "y"]] + [[i, "high"] for i in range(10)])
    with pytest.raises(DataError, match="the target of a regression must be numbers, got 'high'"):
        load_data(load_preset("tabular_mlp").data, "regression", data_path=str(path), target="y")


def test_idx_files_plain_and_gzipped(tmp_path, mnist_idx_dir):
    images, labels = fake_mnist()
    x, y = mnist.load_idx(mnist_idx_dir)  # train first, then t10k
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    x, y = mnist.load_idx(mnist_idx_dir / "t10k-images-idx3-ubyte")
    np.testing.assert_array_equal(x, images[50:])


def test_bad_idx_files_are_reported(tmp_path):
    (tmp_path / "junk-images-idx3-ubyte").write_bytes(b"hello world")
    with pytest.raises(DataError, match="not an IDX file"):
        mnist.read_idx(tmp_path / "junk-images-idx3-ubyte")
    write_idx(tmp_path / "short", np.zeros((3, 4, 4)))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-5])
    with pytest.raises(DataError, match=r"IDX shape \(3, 4, 4\) needs 64 bytes, the file has 59"):
        mnist.read_idx(tmp_path / "short")
    write_idx(tmp_path / "alone-images-idx3-ubyte", np.zeros((3, 4, 4)))
    with pytest.raises(DataError, match="looked for alone-labels-idx1-ubyte"):
        mnist.load_idx(tmp_path / "alone-images-idx3-ubyte")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no IDX image/label pairs"):
        mnist.load_idx(empty)


def test_npz_with_x_y_or_keras_names(tmp_path, mnist_npz):
    x, y = mnist.load_npz(mnist_npz)
    assert x.shape == (60, 28, 28)
    images, labels = fake_mnist(20)
    keras = tmp_path / "keras.npz"
    np.savez(keras, x_train=images[:15], y_train=labels[:15], x_test=images[15:], y_test=labels[15:])
    x, y = mnist.load_npz(keras)
    np.testing.assert_array_equal(y, labels)
    onehot = tmp_path / "onehot.npz"
    np.savez(onehot, x=images, y=np.eye(10)[labels])
    np.testing.assert_array_equal(mnist.load_npz(onehot)[1], labels)
    mismatched = tmp_path / "mismatched.npz"
    np.savez(mismatched, x=images, y=labels[:5])
    with pytest.raises(DataError, match=r"one label per image, got x \(20, 28, 28\) and y \(5,\)"):
        mnist.load_npz(mismatched)
    other = tmp_path / "other.npz"
    np.savez(other, data=images)
    with pytest.raises(DataError, match="expected arrays 'x' and 'y'.*found data"):
        mnist.load_npz(other)


def test_images_are_scaled_and_given_a_channel():
    images, _ = fake_mnist(4)
    out = mnist.as_images(images.reshape(4, -1), "here")
    assert out.shape == (4, 1, 28, 28) and out.dtype == np.float32 and out.max() == 1.0
    with pytest.raises(DataError, match="square number of pixels, got 10"):
        mnist.as_images(np.zeros((2, 10)), "here")


@pytest.mark.parametrize("fixture", ["mnist_npz", "mnist_idx_dir"])
def test_mnist_preset_reads_a_local_file(request, fixture):
    path = request.getfixturevalue(fixture)
    preset = load_preset("mnist_cnn")
    s = load_data(preset.data, preset.task, data_path=str(path))
    assert s.input_shape == (1, 28, 28) and s.num_classes == 10 and s.notice is None
    assert len(s.x_train) + len(s.x_val) + len(s.x_test) == 60
    assert s.source == {"source": "mnist", "path": str(path)}


def test_without_mnist_the_preset_falls_back_to_digits_with_a_notice(offline):
    preset = load_preset("mnist_cnn")
    s = load_data(preset.data, preset.task)
    assert s.input_shape == (1, 8, 8) and s.num_classes == 10 and s.source["source"] == "digits"
    assert "8x8 digits" in s.notice and "--download" in s.notice and "--data" in s.notice
    assert str(offline) in s.notice


def fake_openml_cache(home):
    """The files fetch_openml("mnist_784", version=1) reads, as placeholders, with a description naming the data URL."""
    root = home / "openml" / "openml.org"
    api = root / "api" / "v1" / "json" / "data"
    description = {"data_set_description": {"url": "https://api.openml.org/data/v1/download/52667/mnist_784.arff"}}
    for path, content in [(api / "list/data_name/mnist_784/limit/2/data_version/1.gz", "{}"),
                          (api / "554.gz", json.dumps(description)), (api / "features/554.gz", "{}"),
                          (api / "qualities/554.gz", "{}"),
                          (root / "data/v1/download/52667/mnist_784.arff.gz", "")]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(content.encode()))


class FakeBunch:
    def __init__(self, n=30):
        images, labels = fake_mnist(n)
        self.data, self.target = images.reshape(n, -1).astype(np.float64), labels.astype(str)


def test_a_complete_openml_cache_is_used_and_kept_as_npz(offline, monkeypatch):
    assert not mnist.openml_cached(offline)
    fake_openml_cache(offline)
    assert mnist.openml_cached(offline)
    calls = []
    monkeypatch.setattr("sklearn.datasets.fetch_openml", lambda *a, **k: calls.append(k) or FakeBunch())
    preset = load_preset("mnist_cnn")
    s = load_data(preset.data, preset.task)
    assert calls and calls[0]["data_home"] == str(offline) and calls[0]["version"] == 1
    assert s.input_shape == (1, 28, 28) and s.notice is None and "OpenML cache" in s.description
    assert mnist.npnn_cache(offline).is_file()
    load_data(preset.data, preset.task)
    assert len(calls) == 1  # the second run reads the compact copy


def test_an_incomplete_cache_is_not_used(offline):
    fake_openml_cache(offline)
    next((offline / "openml").rglob("mnist_784.arff.gz")).unlink()
    assert not mnist.openml_cached(offline)


def test_download_is_attempted_only_when_allowed(offline, monkeypatch):
    calls = []
    monkeypatch.setattr("sklearn.datasets.fetch_openml", lambda *a, **k: calls.append(a) or FakeBunch())
    preset = load_preset("mnist_cnn")
    load_data(preset.data, preset.task)
    assert calls == []
    s = load_data(preset.data, preset.task, download=True)
    assert calls == [("mnist_784",)] and s.input_shape == (1, 28, 28)


def test_a_download_without_network_is_a_download_error_not_a_data_error(offline, monkeypatch):
    from urllib.error import URLError

    def offline_fetch(*args, **kwargs):
        raise URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr("sklearn.datasets.fetch_openml", offline_fetch)
    preset = load_preset("mnist_cnn")
    with pytest.raises(DownloadError) as info:
        load_data(preset.data, preset.task, download=True)
    message = str(info.value)
    assert not isinstance(info.value, DataError)
    assert message.startswith("could not download MNIST from OpenML ([Errno -3] Temporary failure in name "
                              "resolution): check the network connection") and "--download" not in message


def test_a_cache_that_fails_to_read_is_a_data_error(offline, monkeypatch):
    fake_openml_cache(offline)

    def broken_cache(*args, **kwargs):
        raise OSError("input/output error")
    monkeypatch.setattr("sklearn.datasets.fetch_openml", broken_cache)
    preset = load_preset("mnist_cnn")
    with pytest.raises(DataError, match="could not load MNIST from scikit-learn's cache at .*input/output error"):
        load_data(preset.data, preset.task)


def test_a_download_that_cannot_be_parsed_is_a_data_error(offline, monkeypatch):
    def garbled(*args, **kwargs):
        raise ValueError("unexpected ARFF header")
    monkeypatch.setattr("sklearn.datasets.fetch_openml", garbled)
    preset = load_preset("mnist_cnn")
    with pytest.raises(DataError, match=r"could not load MNIST from OpenML \(ValueError: unexpected ARFF header"):
        load_data(preset.data, preset.task, download=True)


def test_too_few_rows_to_split_is_a_data_error(tmp_path):
    path = write_csv(tmp_path / "tiny.csv", [["a", "y"], [1, 2], [2, 3]])
    with pytest.raises(DataError, match="too few to split"):
        load_data(load_preset("tabular_mlp").data, "regression", data_path=str(path), target="y")


def test_a_regression_preset_refuses_non_csv_data(tmp_path, mnist_npz):
    with pytest.raises(DataError, match="reads your data from a .csv file"):
        load_data(load_preset("tabular_mlp").data, "regression", data_path=str(mnist_npz))


# --- data checked at the door (issue 11) -------------------------------------------------------------

def _csv(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _numeric_rows(n=30, header="a,b,y"):
    return header + "\n" + "".join(f"{i},{i * 2 % 7},{i % 3}\n" for i in range(n))


@pytest.mark.parametrize("cell", ["inf", "-inf"])
def test_a_non_finite_csv_cell_is_refused_naming_line_column_and_value(tmp_path, cell):
    lines = _numeric_rows().splitlines()
    lines[5] = f"5,{cell},2"
    path = _csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(DataError) as info:
        read_csv(path, "y")
    assert str(info.value) == f"{path}: line 6, column 'b': expected a finite number, got '{cell}'"


def test_a_non_finite_regression_target_is_refused(tmp_path):
    path = _csv(tmp_path, "a,y\n" + "".join(f"{i},{i}\n" for i in range(20)) + "3,inf\n")
    with pytest.raises(DataError, match=r"line 22, column 'y': expected a finite number, got 'inf'"):
        read_csv(path, "y")


def test_a_target_column_named_twice_is_refused(tmp_path):
    path = _csv(tmp_path, "a,y,y\n" + "".join(f"{i},{i},{i}\n" for i in range(20)))
    with pytest.raises(DataError, match=r"column 'y' appears 2 times in the header \(columns 2, 3\)"):
        read_csv(path, "y")


def test_a_ragged_line_is_refused_naming_it(tmp_path):
    lines = _numeric_rows().splitlines()
    lines[8] = "7,1"
    path = _csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"line 9 has 2 fields, the header has 3"):
        read_csv(path, "y")


def test_fast_and_slow_csv_paths_agree(tmp_path):
    text = _numeric_rows(40)
    x_fast, y_fast, names = read_csv(_csv(tmp_path, text), "y")
    x_slow, y_slow, _ = read_csv(_csv(tmp_path, text.replace("\n", "\n\n", 3), "blank.csv"), "y")  # blank lines: slow
    assert names == ["a", "b"] and x_fast.shape == (40, 2)
    np.testing.assert_array_equal(x_fast, x_slow)
    np.testing.assert_array_equal(y_fast.astype(np.float64), y_slow.astype(np.float64))


CLASS_SPEC = DataSpec(source="csv", path=None, target="y")


@pytest.mark.parametrize("labels, message", [
    ([0, 1, 2, -1] * 10, r"class label -1 \(data row 4\) is negative"),
    ([0, 1, 255] * 10, r"class label 255 \(data row 3\) is out of range: the labels hold 3 classes, so they "
                       r"must be 0\.\.2 \(classes 2, 3, 4, 5, 6, \.\.\. never occur\)"),
    ([4] * 30, r"the labels hold a single class \(4\); a classification needs at least two"),
    (["cat"] * 30, r"the labels hold a single class \(cat\)"),
])
def test_class_labels_out_of_range_negative_or_single_are_refused(tmp_path, labels, message):
    path = _csv(tmp_path, "a,y\n" + "".join(f"{i},{label}\n" for i, label in enumerate(labels)))
    with pytest.raises(DataError, match=message):
        load_data(CLASS_SPEC, "classification", path, "y")


def test_whole_number_labels_0_to_k_minus_1_are_class_indices(tmp_path):
    path = _csv(tmp_path, "a,y\n" + "".join(f"{i},{i % 3}\n" for i in range(30)))
    splits = load_data(CLASS_SPEC, "classification", path, "y")
    assert splits.num_classes == 3 and splits.y_train.dtype == np.int64


def test_a_nan_in_an_image_array_is_refused(tmp_path):
    x = np.random.default_rng(0).random((20, 8, 8)).astype(np.float32)
    x[3, 2, 5] = np.nan
    path = tmp_path / "bad.npz"
    np.savez(path, x=x, y=np.arange(20) % 4)
    with pytest.raises(DataError, match=r"image 3 holds nan at \(channel, row, column\) \(0, 2, 5\)"):
        load_data(DataSpec(source="mnist"), "classification", path)


def test_values_near_the_float_limit_are_standardised_without_overflow(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    rows = "".join(f"{float(a) * 1e300!r},{float(b)!r},{float(a + b) * 1e300!r}\n" for a, b in x)
    path = _csv(tmp_path, "big,small,y\n" + rows)
    splits = load_data(DataSpec(source="csv", target="y"), "regression", path, "y")
    for a in (splits.x_train, splits.y_train, splits.x_test, splits.y_test):
        assert np.isfinite(a).all()
    assert splits.x_train.std(axis=0) == pytest.approx([1.0, 1.0], rel=1e-3)
    assert splits.y_train.std() == pytest.approx(1.0, rel=1e-3) and np.unique(splits.y_train).size > 10


def test_values_beyond_float32_without_standardising_are_refused(tmp_path):
    path = _csv(tmp_path, "a,y\n" + "".join(f"{i}e300,{i}\n" for i in range(1, 40)))
    with pytest.raises(DataError, match=r"inputs holds values beyond float32's range"):
        load_data(DataSpec(source="csv", target="y", standardize=False), "regression", path, "y")


def test_a_data_home_that_cannot_be_created_still_falls_back_to_digits(tmp_path, monkeypatch):
    """A read-only home: sklearn's get_data_home would try to create the folder and fail."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(blocker / "scikit_learn_data"))
    splits = load_data(DataSpec(source="mnist"), "classification")
    assert splits.description.startswith("digits 8x8") and splits.notice.startswith("MNIST not found")


def test_the_data_path_is_stored_absolute(tmp_path, monkeypatch):
    _csv(tmp_path, _numeric_rows())
    monkeypatch.chdir(tmp_path)
    splits = load_data(DataSpec(source="csv", target="y"), "regression", "d.csv", "y")
    assert splits.source["path"] == str(tmp_path / "d.csv")
