"""Case: one training epoch of the original project's tabular MLP on the diabetes training split
(231 rows, 8 batches of up to 32), Adam(lr=1e-3), MSE. The math is tiny: this measures per-batch
Python overhead. One run times several epochs and reports the time of one."""
from benchmarks.data import diabetes_train_split
from benchmarks.loops import npnn_epochs, torch_epochs

TITLE = "MLP epoch (diabetes 231 rows, batch 32, Adam)"
BATCH = 32
EPOCHS_PER_RUN, QUICK_EPOCHS_PER_RUN = 40, 5


def layers(nn):
    """Linear(10,128) ReLU Dropout(0.3) Linear(128,256) ReLU Dropout(0.3) Linear(256,1)."""
    return nn.Sequential(
        nn.Linear(10, 128), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(128, 256), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(256, 1),
    )


def npnn_setup():
    """(model, loss, optimizer, X, y) for npnn, seeded."""
    import npnn
    from npnn import nn, optim

    X, y = diabetes_train_split()
    npnn.manual_seed(0)
    model = layers(nn)
    return model, nn.MSELoss(), optim.Adam(model.parameters(), lr=1e-3), X, y


def npnn_runner(quick: bool):
    k = QUICK_EPOCHS_PER_RUN if quick else EPOCHS_PER_RUN
    epochs = npnn_epochs(*npnn_setup(), BATCH)
    return lambda: (k, epochs(k))


def torch_runner(quick: bool):
    import torch
    from torch import nn

    k = QUICK_EPOCHS_PER_RUN if quick else EPOCHS_PER_RUN
    X, y = diabetes_train_split()
    torch.manual_seed(0)
    model = layers(nn)
    epochs = torch_epochs(model, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=1e-3), X, y, BATCH)
    return lambda: (k, epochs(k))
