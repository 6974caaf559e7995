"""FitLoop, DataLoader and EarlyStopping state dicts: a run taken apart and resumed in fresh objects is
the uninterrupted run, bit for bit (Dropout, shuffling, an lr schedule and a hot edit included)."""
import numpy as np
import pytest

from npnn import nn, optim
from npnn.callbacks import EarlyStopping
from npnn.data import DataLoader
from npnn.events import EpochEnded
from npnn.optim.lr_scheduler import StepLR
from npnn.training import FitLoop

rng = np.random.default_rng(3)
X, Y = rng.standard_normal((90, 4)).astype(np.float32), rng.integers(0, 3, 90)
XV, YV = rng.standard_normal((30, 4)).astype(np.float32), rng.integers(0, 3, 30)
EPOCHS = 8


def make_loop(epochs=EPOCHS, callbacks=()):
    """A fresh run: its own generator for init, shuffles and dropout masks."""
    generator = np.random.default_rng(7)
    model = nn.Sequential(nn.Linear(4, 16, generator=np.random.default_rng(1)), nn.ReLU(),
                          nn.Dropout(0.3, generator=generator), nn.Linear(16, 3, generator=np.random.default_rng(2)))
    opt = optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader(X, Y, batch_size=16, shuffle=True, generator=generator)
    return FitLoop(model, nn.CrossEntropyLoss(), opt, loader, val_data=(XV, YV), epochs=epochs,
                   early_stopping=EarlyStopping(patience=50), scheduler=StepLR(opt, step_size=2, gamma=0.5),
                   metrics=("accuracy",), callbacks=callbacks, workers=1)


def drive(loop, until_epoch=None, until_batch=None, resumed_at=(0, 0)):
    """Train with a hot edit of lr asked for after epoch 3 batch 1 (once: not again by a loop resumed at or
    after that point, whose state holds it); stop early after (until_epoch, until_batch)."""
    while not loop.done:
        if (loop.epoch, loop.batch) == (3, 1) and resumed_at < (3, 1):
            loop.set_hyperparameter("lr", 0.02)
        if (loop.epoch, loop.batch) == (until_epoch, until_batch):
            return
        loop.step_batch()


def same(a, b):
    assert a.history.rows() == b.history.rows()
    assert a.history.changes == b.history.changes
    assert (a.history.best_epoch, a.history.best_value) == (b.history.best_epoch, b.history.best_value)
    for (k, va), (_, vb) in zip(a.model.state_dict().items(), b.model.state_dict().items()):
        assert np.array_equal(va, vb), k


@pytest.mark.parametrize("epoch, batch", [(4, 6), (3, 1), (5, 3)], ids=["between-epochs", "before-hot-edit", "mid-epoch"])
def test_resumed_loop_equals_uninterrupted(epoch, batch):
    whole = make_loop()
    drive(whole)
    first = make_loop()
    drive(first, epoch, batch)
    state = first.state_dict()
    assert (state["epoch"], state["batch"]) == (epoch, batch)
    second = make_loop()
    second.load_state_dict(state)
    drive(second, resumed_at=(epoch, batch))
    same(whole, second)
    assert second.history.epoch == list(range(1, EPOCHS + 1))
    assert [c.epoch for c in second.history.changes] == [3]


def test_state_at_epoch_end_event_and_stop_resume_exactly():
    states = {}
    whole = make_loop()
    drive(whole)
    first = make_loop(callbacks=(lambda e: isinstance(e, EpochEnded) and states.setdefault(e.epoch, first.state_dict()),))
    drive(first, 6, 2)
    first.stop()  # Esc: the state between the two batches, taken before the best weights came back
    for state in (states[4], first.state_dict()):
        second = make_loop()
        second.load_state_dict(state)
        drive(second, resumed_at=(state["epoch"], state["batch"]))
        same(whole, second)


def test_a_budget_already_spent_and_a_used_loop_are_refused():
    first = make_loop(epochs=4)
    drive(first, 4, 6)
    with pytest.raises(ValueError, match="trained 4 epoch.*epochs=4 leaves none"):
        make_loop(epochs=4).load_state_dict(first.state_dict())
    assert first.done
    with pytest.raises(RuntimeError, match="already trained"):
        first.load_state_dict(first.state_dict())
    longer = make_loop(epochs=6)
    longer.load_state_dict(first.state_dict())
    drive(longer)
    assert longer.history.epoch == [1, 2, 3, 4, 5, 6]


def test_dataloader_state_continues_the_epoch_and_the_generator():
    def batches(loader, n):
        out = []
        while len(out) < n:
            out.extend(yb.tolist() for _, yb in loader)
        return out
    a = DataLoader(X, Y, batch_size=16, generator=np.random.default_rng(0))
    b = DataLoader(X, Y, batch_size=16, generator=np.random.default_rng(0))
    expected = batches(a, 18)
    it = iter(b)
    head = [next(it)[1].tolist() for _ in range(4)]
    c = DataLoader(X, Y, batch_size=16, generator=np.random.default_rng(99))
    c.load_state_dict(b.state_dict())
    assert head + batches(c, 14)[:14] == expected[:18]
    with pytest.raises(ValueError, match="position 9 is outside 0..6"):
        c.load_state_dict({**b.state_dict(), "position": 9})


def test_early_stopping_state_round_trips():
    es = EarlyStopping(patience=2)
    model = nn.Linear(2, 1)
    es(1.0, model, 1)
    es(2.0, model, 2)
    other = EarlyStopping(patience=2)
    other.load_state_dict(es.state_dict())
    assert other(3.0, model, 3) is True and other.best_epoch == 1
    with pytest.raises(ValueError, match="lacks"):
        other.load_state_dict({"wait": 0})
