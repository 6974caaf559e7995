"""Images as training and predict take them: flat rows (n, H*W) in both, channels-last refused saying so,
pixels outside 0..255 / 0..1 (16-bit, standardised) refused in both, and predict flags images scaled unlike
the training images (the range is recorded in bundle.json)."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from tests.bundles import cnn  # noqa: F401  (module-scoped fixture)
from tests.presets.conftest import fake_mnist
from tui.cli import main


def _predict(run_dir, tmp_path, x, capsys) -> tuple[int, str, str]:
    np.savez(tmp_path / "new.npz", x=x)
    code = main(["predict", str(run_dir), str(tmp_path / "new.npz")])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _train(tmp_path, x, y, capsys) -> tuple[int, str]:
    np.savez(tmp_path / "train.npz", x=x, y=y)
    code = main(["--headless", "--preset", "mnist_cnn", "--epochs", "1", "--data", str(tmp_path / "train.npz"),
                 "--out", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code != 2 or not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    return code, err


def test_flat_images_are_predicted_as_the_same_images_square(cnn, tmp_path, capsys):
    images, _ = fake_mnist(6, seed=4)
    code, square, _ = _predict(cnn[0], tmp_path, images, capsys)
    assert code == 0
    code, flat, err = _predict(cnn[0], tmp_path, images.reshape(6, 784), capsys)
    assert code == 0, err
    assert flat == square and len(list(csv.reader(io.StringIO(flat)))) == 7


def test_channels_last_images_get_a_message_that_says_so(cnn, tmp_path, capsys):
    images, _ = fake_mnist(4, seed=4)
    code, out, err = _predict(cnn[0], tmp_path, images[..., None], capsys)
    assert code == 2 and out == ""
    assert err == (f"npnn-tui: error: {tmp_path / 'new.npz'}: images of shape (n, H, W, C) = (4, 28, 28, 1) are "
                   "channels-last; the model takes them channels-first, (n, C, H, W) = (n, 1, 28, 28): pass "
                   "x.transpose(0, 3, 1, 2)\n")


def test_training_on_channels_last_images_says_so_not_in_channels(tmp_path, capsys):
    x = np.random.default_rng(0).integers(0, 255, size=(40, 8, 8, 3)).astype(np.uint8)
    code, err = _train(tmp_path, x, np.arange(40) % 4, capsys)
    assert code == 2 and "look channels-last (n, H, W, C); npnn takes them channels-first" in err
    assert "in_channels" not in err and err.count("\n") == 1


@pytest.mark.parametrize("kind, expected", [
    ("uint16", "image 2 holds 65535 at (channel, row, column) (0, 3, 4) (uint16); pixels must be 8-bit values 0..255"),
    ("standardised", "image 1 holds -2.5 at (channel, row, column) (0, 0, 0); pixels must be 0..255 (or 0..1): "
                     "these look standardised"),
])
def test_pixels_outside_the_range_npnn_scales_from_are_refused_in_training_and_predict(kind, expected, cnn,
                                                                                       tmp_path, capsys):
    images, labels = fake_mnist(20, seed=5)
    if kind == "uint16":
        x = images.astype(np.uint16)
        x[2, 3, 4] = 65535
    else:
        x = (images - images.mean()) / images.std()
        x[1, 0, 0] = -2.5
        x = np.maximum(x, -2.5)
    code, out, err = _predict(cnn[0], tmp_path, x, capsys)
    assert code == 2 and out == "" and expected in err and err.count("\n") == 1
    code, err = _train(tmp_path, x, labels, capsys)
    assert code == 2 and expected in err and err.count("\n") == 1


def test_the_training_range_is_recorded_and_predict_flags_images_scaled_otherwise(cnn, tmp_path, capsys):
    run_dir, _ = cnn
    assert json.loads((run_dir / "bundle.json").read_text())["pixel_range"] == [0.0, 1.0]
    images, _ = fake_mnist(5, seed=6)
    code, out, err = _predict(run_dir, tmp_path, images // 16, capsys)  # 0..15: a different scale
    assert code == 0 and len(out.splitlines()) == 6
    assert err == ("npnn-tui: warning: the images' pixels span 0..0.0588 once scaled, the training images' 0..1: "
                   "were they scaled differently (npnn divides integers and pixels above 1 by 255)? The "
                   "predictions may be wrong\n")
    code, out, err = _predict(run_dir, tmp_path, images / 255.0, capsys)  # the same images as floats 0..1
    assert code == 0 and err == ""


def test_training_on_an_images_file_with_fewer_labels_than_images_exits_2(tmp_path, capsys):
    images, labels = fake_mnist(30, seed=7)
    code, err = _train(tmp_path, images, labels[:25], capsys)
    assert code == 2 and err == (f"npnn-tui: error: {tmp_path / 'train.npz'}: expected one label per image, got x "
                                 "(30, 28, 28) and y (25,)\n")
