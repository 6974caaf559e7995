"""The inputs every case trains on, made the same way for both frameworks (NumPy arrays, fixed seeds).

The CNN cases train on one of three image kinds (NPNN_BENCH_DATA, set by `--data`):
- "digits" (default): MNIST-like without a download: scikit-learn's 8x8 digits upscaled to 20x20 and
  centred in 28x28 as MNIST's are, with MNIST's share of zero pixels (~81%);
- "random": uniform random pixels in [0, 1) (no zeros: slower for PyTorch, whose kernels skip little);
- a path: real MNIST (IDX files or an .npz), read by presets.mnist.
"""
import os

import numpy as np

CNN_SAMPLES = 4000
CNN_QUICK_SAMPLES = 640
MNIST_ZERO_SHARE = 0.81  # share of exactly-zero pixels in MNIST's training images
DATA_KINDS = ("digits", "random")


def data_kind() -> str:
    """The CNN image kind this process trains on: "digits", "random" or a path to real MNIST."""
    return os.environ.get("NPNN_BENCH_DATA", "digits")


def _upscale(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of (n, h, w) images to (n, size, size), pixel centres aligned."""
    n, h, w = images.shape
    ys, xs = (np.arange(size) + 0.5) * h / size - 0.5, (np.arange(size) + 0.5) * w / size - 0.5
    y0, x0 = np.clip(np.floor(ys).astype(int), 0, h - 2), np.clip(np.floor(xs).astype(int), 0, w - 2)
    fy, fx = np.clip(ys - y0, 0, 1)[:, None], np.clip(xs - x0, 0, 1)[None, :]
    top = images[:, y0][:, :, x0] * (1 - fx) + images[:, y0][:, :, x0 + 1] * fx
    bottom = images[:, y0 + 1][:, :, x0] * (1 - fx) + images[:, y0 + 1][:, :, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def mnist_like(n: int, seed: int = 0):
    """n MNIST-shaped digits from scikit-learn's 8x8 set: 20x20 in a 28x28 frame, shifted by up to 2
    pixels, the faintest pixels zeroed so that MNIST_ZERO_SHARE of all pixels are zero."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(digits.images), size=n)
    small = _upscale(digits.images.astype(np.float32) / 16.0, 20)[pick]
    images = np.zeros((n, 28, 28), dtype=np.float32)
    shifts = rng.integers(-2, 3, size=(n, 2))
    for dy in range(-2, 3):  # one copy per shift, not per image
        for dx in range(-2, 3):
            rows = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
            images[rows, 4 + dy:24 + dy, 4 + dx:24 + dx] = small[rows]
    cut = np.quantile(images, MNIST_ZERO_SHARE)
    images[images <= cut] = 0.0
    return images[:, None], digits.target[pick].astype(np.int64)


def _real_mnist(path: str, n: int):
    from presets.mnist import as_images, load_idx, load_npz

    x, y = (load_npz(path) if path.endswith(".npz") else load_idx(path))
    if len(x) < n:
        raise ValueError(f"--data {path}: {len(x)} images, the CNN case needs {n}")
    return as_images(x[:n], path), y[:n].astype(np.int64)


def cnn_data(quick: bool = False):
    """Float32 (n, 1, 28, 28) images in [0, 1] and integer labels 0..9, of the kind data_kind() names."""
    n = CNN_QUICK_SAMPLES if quick else CNN_SAMPLES
    kind = data_kind()
    if kind == "digits":
        return mnist_like(n)
    if kind == "random":
        rng = np.random.default_rng(0)
        images = rng.random((n, 1, 28, 28), dtype=np.float32)
        return images, rng.integers(0, 10, size=n).astype(np.int64)
    return _real_mnist(kind, n)


def diabetes_train_split():
    """scikit-learn's diabetes set split as the original example does (70/30, then 75/25): 231 rows.

    Features and target are standardised on the training rows, float32.
    """
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    X, y = load_diabetes(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=42)
    X_train, _, y_train, _ = train_test_split(X_train, y_train, test_size=0.25, random_state=42)
    X_train = (X_train - X_train.mean(axis=0)) / X_train.std(axis=0)
    y_train = (y_train - y_train.mean()) / y_train.std()
    return X_train.astype(np.float32), y_train.astype(np.float32).reshape(-1, 1)
