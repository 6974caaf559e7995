"""Case: the MLP epoch through `npnn.training.fit` instead of the explicit loop, to show what the shared
fit loop (events, train/eval switching, bookkeeping) costs per epoch. The PyTorch column is the
explicit PyTorch loop of the MLP case: PyTorch has no fit()."""
from benchmarks import mlp

TITLE = "MLP epoch via npnn.training.fit"


def npnn_runner(quick: bool):
    from npnn.data import DataLoader
    from npnn.training import fit

    k = mlp.QUICK_EPOCHS_PER_RUN if quick else mlp.EPOCHS_PER_RUN
    model, loss_fn, optimizer, X, y = mlp.npnn_setup()
    loader = DataLoader(X, y, batch_size=mlp.BATCH, shuffle=True)

    def run():
        fit(model, loss_fn, optimizer, loader, epochs=k)
        return k, k * len(X)

    return run


torch_runner = mlp.torch_runner
