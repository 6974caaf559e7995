"""Data that is not a regular file (issue 23 item 6): /dev/zero, a FIFO, a directory where a file belongs, a
symlink to a device. Each is refused at the door with exit 2 and one line naming the path and what it is, by
headless training, the app's --data, predict and the MNIST loaders; nothing is read from it (a FIFO with no
writer would block the read forever, /dev/zero would fill memory)."""
from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from presets.errors import DataError
from presets.files import regular_file
from tests.bundles import classifier, cnn  # noqa: F401  (module-scoped fixtures)
from tests.presets.conftest import fake_mnist, write_idx
from tests.tui.conftest import settle, wait_until
from tests.tui.test_app import SIZE, text_of
from tui.cli import main
from tui.screens.data_picker import DataPicker, csv_columns

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="POSIX files")


def special(tmp_path, kind: str, name: str):
    """A path named `name` in tmp_path that is a FIFO, a directory or a symlink to /dev/zero."""
    path = tmp_path / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to("/dev/zero")
    return path


WHAT = {"fifo": "a FIFO (named pipe)", "directory": "a directory", "device": "a character device"}


def refusal(path, what: str, kind: str) -> str:
    return f"{path}: expected {what}, a regular file; it is {WHAT[kind]}"


def one_error_line(capsys) -> str:
    out, err = capsys.readouterr()
    assert err.endswith("\n") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_headless_training_refuses_a_csv_that_is_not_a_regular_file(tmp_path, capsys, kind):
    path = special(tmp_path, kind, "rows.csv")
    assert main(["--headless", "--data", str(path), "--target", "y", "--out", str(tmp_path / "runs")]) == 2
    assert one_error_line(capsys) == f"npnn-tui: error: {refusal(path, 'a CSV file', kind)}\n"
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_dev_zero_itself_is_refused_as_csv_data(tmp_path, capsys):
    # a preset whose data is a CSV takes any --data path, suffix or not
    preset = tmp_path / "csv.toml"
    preset.write_text('task = "regression"\nmodel = [{ type = "Linear", out_features = "auto" }]\n'
                      '[data]\nsource = "csv"\npath = "rows.csv"\ntarget = "y"\n')
    assert main(["--headless", "--preset", str(preset), "--data", "/dev/zero", "--out", str(tmp_path / "runs")]) == 2
    assert one_error_line(capsys) == ("npnn-tui: error: /dev/zero: expected a CSV file, a regular file; "
                                      "it is a character device\n")


@pytest.mark.parametrize("kind, name, what", [("fifo", "digits.npz", "an .npz file"),
                                              ("device", "digits.npz", "an .npz file"),
                                              ("fifo", "train-images-idx3-ubyte", "an IDX file")])
def test_image_training_refuses_special_files(tmp_path, capsys, kind, name, what):
    path = special(tmp_path, kind, name)
    if name.endswith("ubyte"):  # its labels beside it, a regular file
        write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3, dtype=np.uint8))
    assert main(["--headless", "--preset", "mnist_cnn", "--data", str(path), "--out", str(tmp_path / "runs")]) == 2
    assert one_error_line(capsys) == f"npnn-tui: error: {path}: expected {what}, a regular file; it is {WHAT[kind]}\n"


def test_an_mnist_directory_reads_only_regular_files(tmp_path, capsys):
    images, labels = fake_mnist(20)
    folder = tmp_path / "mnist"
    folder.mkdir()
    write_idx(folder / "train-images-idx3-ubyte", images)
    write_idx(folder / "train-labels-idx1-ubyte", labels)
    os.mkfifo(folder / "t10k-images-idx3-ubyte")  # a test pair whose images file is a FIFO
    write_idx(folder / "t10k-labels-idx1-ubyte", labels)
    assert main(["--headless", "--preset", "mnist_cnn", "--data", str(folder), "--out", str(tmp_path / "runs")]) == 2
    assert one_error_line(capsys) == (f"npnn-tui: error: {folder / 't10k-images-idx3-ubyte'}: expected an IDX file, "
                                      "a regular file; it is a FIFO (named pipe)\n")


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_predict_refuses_table_input_that_is_not_a_regular_file(classifier, tmp_path, capsys, kind):
    path = special(tmp_path, kind, "new.csv")
    assert main(["predict", str(classifier[0]), str(path)]) == 2
    assert one_error_line(capsys) == f"npnn-tui: error: {refusal(path, 'a CSV file', kind)}\n"


@pytest.mark.parametrize("kind, name, what", [("fifo", "new.npz", "an .npz file"),
                                              ("device", "t10k-images-idx3-ubyte", "an IDX file")])
def test_predict_refuses_image_input_that_is_not_a_regular_file(cnn, tmp_path, capsys, kind, name, what):
    path = special(tmp_path, kind, name)
    assert main(["predict", str(cnn[0]), str(path)]) == 2
    assert one_error_line(capsys) == f"npnn-tui: error: {path}: expected {what}, a regular file; it is {WHAT[kind]}\n"


async def test_the_app_shows_the_refusal_for_data_given_with_data(app_for, tmp_path):
    path = special(tmp_path, "fifo", "rows.csv")
    app = app_for("--data", str(path), "--target", "y")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert f"{path}: expected a CSV file, a regular file; it is a FIFO (named pipe)" in text_of(app, "#data-source")


def test_regular_file_follows_a_symlink_to_a_regular_file_and_names_what_it_refuses(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("a,y\n1,2\n")
    (tmp_path / "link.csv").symlink_to(target)
    assert regular_file(tmp_path / "link.csv") == tmp_path / "link.csv"
    with pytest.raises(DataError, match="no such file or directory"):
        regular_file(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="cannot read a data file"):
        regular_file("nul\0byte.csv")


def test_the_data_picker_reads_no_header_from_a_fifo_or_a_directory(tmp_path):
    fifo, folder = special(tmp_path, "fifo", "rows.csv"), special(tmp_path, "directory", "folder.csv")
    columns = {}
    reader = threading.Thread(target=lambda: columns.update(fifo=csv_columns(fifo), folder=csv_columns(folder)),
                              daemon=True)
    reader.start()
    reader.join(20)
    if reader.is_alive():  # NOTE: a writer that opens and closes the FIFO ends the blocked read
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert columns == {"fifo": [], "folder": []}


async def test_a_fifo_chosen_in_the_data_picker_is_refused_in_the_data_note(app_for, tmp_path):
    fifo = special(tmp_path, "fifo", "rows.csv")
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, DataPicker)
        picker._choose(fifo)  # the app stays responsive: no header is read from it
        await pilot.pause()
        picker.action_use()
        refusal = f"{fifo}: expected a CSV file, a regular file; it is a FIFO (named pipe)"
        await wait_until(pilot, lambda: refusal in text_of(app, "#data-source"))
