"""Case: one training epoch of the original project's CNN on 4,000 random 28x28 images, batch 64,
Adam(lr=1e-3), cross-entropy — forward, backward and step."""
from benchmarks.data import cnn_data
from benchmarks.loops import npnn_epochs, torch_epochs

TITLE = "CNN epoch (4,000 28x28, batch 64, Adam)"
BATCH = 64


def _layers(nn):
    """The original architecture, built from either framework's `nn` namespace."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Linear(32, 10),
    )


def npnn_runner(quick: bool):
    """Returns run(): one epoch, returning (units, samples) = (1, images)."""
    import npnn
    from npnn import nn, optim

    images, labels = cnn_data(quick)
    npnn.manual_seed(0)
    model = _layers(nn)
    epochs = npnn_epochs(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
                         images, labels, BATCH)
    return lambda: (1, epochs(1))


def torch_runner(quick: bool):
    import torch
    from torch import nn

    images, labels = cnn_data(quick)
    torch.manual_seed(0)
    model = _layers(nn)
    epochs = torch_epochs(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-3),
                          images, labels, BATCH)
    return lambda: (1, epochs(1))
