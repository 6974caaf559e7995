"""The original project's image example, written against npnn: a small CNN classifying digits.

Uses the 8x8 digits that ship with scikit-learn (about 15 s); with --mnist it fetches MNIST from
OpenML as the original did (cached by scikit-learn after the first download) and trains on its
first 5,000 images. Run: python examples/mnist_cnn.py [--mnist]
"""
import sys

import numpy as np
from sklearn.model_selection import train_test_split

import npnn
from npnn import DataLoader, EarlyStopping, Tensor
from npnn.metrics import accuracy, confusion_matrix
from npnn.nn import Conv2d, CrossEntropyLoss, Flatten, Linear, MaxPool2d, ReLU, Sequential
from npnn.optim import Adam

npnn.manual_seed(0)

if "--mnist" in sys.argv:
    from sklearn.datasets import fetch_openml
    mnist = fetch_openml("mnist_784", version=1, as_frame=False, parser="liac-arff")
    X = mnist.data.astype(np.float32).reshape(-1, 1, 28, 28)[:5000] / 255.0
    y = mnist.target.astype(np.int64)[:5000]
else:
    from sklearn.datasets import load_digits
    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=0.2, random_state=42)

side = X.shape[-1] // 4  # two 2x2 poolings: 28 → 7, 8 → 2
model = Sequential(
    Conv2d(1, 8, 3, padding=1), ReLU(), MaxPool2d(2),
    Conv2d(8, 16, 3, padding=1), ReLU(), MaxPool2d(2),
    Flatten(), Linear(16 * side * side, 32), ReLU(), Linear(32, 10),
)
loss_fn = CrossEntropyLoss()
optimizer = Adam(model.parameters(), lr=0.001)
train_loader = DataLoader(X_train, y_train, batch_size=64)
early_stopper = EarlyStopping(patience=3, restore_best_weights=True)


def logits(X):
    model.eval()
    with npnn.no_grad():
        return model(Tensor(X)).data


print(f"{len(X_train)} training images of {X.shape[-2]}x{X.shape[-1]}; "
      f"test accuracy before training: {accuracy(logits(X_test), y_test):.3f}")
for epoch in range(1, 31):
    model.train()
    total = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(Tensor(xb)), Tensor(yb))
        loss.backward()
        optimizer.step()
        total += loss.item() * len(xb)
    val_out = logits(X_val)
    val_loss = loss_fn(Tensor(val_out), Tensor(y_val)).item()
    print(f"Epoch {epoch:2d}: train loss {total / len(X_train):.4f}  val loss {val_loss:.4f}  "
          f"val accuracy {accuracy(val_out, y_val):.3f}")
    if early_stopper(val_loss, model, epoch):
        print(f"Early stopping on epoch {epoch} (best epoch {early_stopper.best_epoch} restored)")
        break
else:
    early_stopper.restore(model)

test_out = logits(X_test)
print(f"\nTest accuracy: {accuracy(test_out, y_test):.3f}")
print("Confusion matrix (rows: true digit, columns: predicted):")
print(confusion_matrix(y_test, test_out.argmax(axis=1), num_classes=10))
