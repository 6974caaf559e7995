"""The original project's tabular example, written against npnn: an MLP regressor on the diabetes data.

An explicit training loop with DataLoader, EarlyStopping and no_grad evaluation; about 5 s on a laptop.
Run: python examples/regression.py
"""
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split

import npnn
from npnn import DataLoader, EarlyStopping, Tensor
from npnn.metrics import mae, mse
from npnn.nn import Dropout, Linear, MSELoss, ReLU, Sequential
from npnn.optim import Adam

npnn.manual_seed(0)

# The original split, then X and y standardised with the training part's statistics only.
X, y = load_diabetes(return_X_y=True)
y = y.reshape(-1, 1)
X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.3, random_state=42)
X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.25, random_state=42)
x_mean, x_std, y_mean, y_std = X_train.mean(0), X_train.std(0), y_train.mean(0), y_train.std(0)
X_train, X_val, X_test = ((a - x_mean) / x_std for a in (X_train, X_val, X_test))
y_train, y_val, y_test = ((a - y_mean) / y_std for a in (y_train, y_val, y_test))
X_train, X_val, X_test, y_train, y_val, y_test = (a.astype(np.float32) for a in
                                                  (X_train, X_val, X_test, y_train, y_val, y_test))

model = Sequential(
    Linear(X.shape[1], 128),
    ReLU(),
    Dropout(p=0.3),
    Linear(128, 256),
    ReLU(),
    Dropout(p=0.3),
    Linear(256, 1),
)
loss_fn = MSELoss()
optimizer = Adam(model.parameters(), lr=1e-4)
early_stopper = EarlyStopping(patience=30, min_delta=0.001, restore_best_weights=True)
train_loader = DataLoader(X_train, y_train, batch_size=32, shuffle=True)


def predict(X):
    model.eval()
    with npnn.no_grad():
        return model(Tensor(X)).data


print("MSE and MAE before train:")
print(f"MSE: {mse(predict(X_test), y_test):.3f}")
print(f"MAE: {mae(predict(X_test), y_test):.3f}\n")

for epoch in range(300):
    model.train()
    total, batches = 0.0, 0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(Tensor(xb)), Tensor(yb))
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    if epoch % 20 == 0:
        print(f"Epoch {epoch:4d}: Avg Loss = {total / batches:.3f} (batches: {batches}, total: {total:.3f})")
    val_loss = mse(predict(X_val), y_val)
    if early_stopper(val_loss, model, epoch):  # restores the best weights when it stops
        print(f"Early stopping on epoch: {epoch} (best epoch {early_stopper.best_epoch} restored)")
        break
else:
    early_stopper.restore(model)

print("\nMSE and MAE after train:")
print(f"MSE: {mse(predict(X_test), y_test):.3f}")
print(f"MAE: {mae(predict(X_test), y_test):.3f}")

ridge = Ridge().fit(X_train, y_train.ravel())
print(f"\nFor comparison, scikit-learn Ridge: MSE {mse(ridge.predict(X_test), y_test):.3f}")
