"""The inputs every case trains on, made the same way for both frameworks (NumPy arrays, fixed seeds)."""
import numpy as np

CNN_SAMPLES = 4000
CNN_QUICK_SAMPLES = 640


def cnn_data(quick: bool = False):
    """Random 28x28 float32 images in [0, 1) and integer labels 0..9, as in the original CNN example."""
    n = CNN_QUICK_SAMPLES if quick else CNN_SAMPLES
    rng = np.random.default_rng(0)
    images = rng.random((n, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, size=n).astype(np.int64)
    return images, labels


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
