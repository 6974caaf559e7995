"""The explicit training loop each epoch case runs, written once per framework so both do the same work:
shuffle, gather a batch, zero the grads, forward, loss, backward, optimizer step."""


def npnn_epochs(model, loss_fn, optimizer, X, y, batch_size: int):
    """A runner for `epochs(k)`: k epochs over (X, y) with npnn's DataLoader (shuffled, seeded)."""
    import npnn
    from npnn.data import DataLoader

    loader = DataLoader(X, y, batch_size=batch_size, shuffle=True)

    def epochs(k: int) -> int:
        model.train()
        for _ in range(k):
            for xb, yb in loader:
                optimizer.zero_grad()
                loss = loss_fn(model(npnn.Tensor(xb)), npnn.Tensor(yb))
                loss.backward()
                optimizer.step()
        return k * len(X)

    return epochs


def torch_epochs(model, loss_fn, optimizer, X, y, batch_size: int):
    """The same loop in PyTorch. NOTE: batches come from a randperm and tensor indexing, PyTorch's
    fastest idiom for in-memory data; torch.utils.data.DataLoader collates sample by sample and
    would make PyTorch look slower than it is."""
    import torch

    X, y = torch.from_numpy(X), torch.from_numpy(y)
    n = len(X)

    def epochs(k: int) -> int:
        model.train()
        for _ in range(k):
            order = torch.randperm(n)
            for start in range(0, n, batch_size):
                index = order[start:start + batch_size]
                optimizer.zero_grad()
                loss = loss_fn(model(X[index]), y[index])
                loss.backward()
                optimizer.step()
        return k * n

    return epochs
