"""The sequence task's loss and scores: next-token cross-entropy over scored positions, token accuracy,
exact match (every scored token of a row right: a whole sum) and accuracy at each scored position.

Scores read the model's outputs under teacher forcing (the true tokens as input), so exact match is also
what greedy generation gets: a row is all right under teacher forcing exactly when generating it token by
token reproduces it.
"""
from __future__ import annotations

import numpy as np

from npnn import Tensor, nn
from presets.sequence.data import IGNORE


class TokenCrossEntropy(nn.Module):
    """CrossEntropyLoss over every scored position: input (N, T, V) scores, target (N, T) token ids with
    IGNORE where not scored; the mean over scored positions (PyTorch: CrossEntropyLoss()(input.flatten(0, 1),
    target.flatten()))."""

    def __init__(self):
        super().__init__()
        self.loss = nn.CrossEntropyLoss(ignore_index=IGNORE)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self.loss(input.reshape(-1, input.shape[-1]), target.reshape(-1))


def _right(outputs: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scored = np.asarray(y) != IGNORE
    return (np.asarray(outputs).argmax(axis=-1) == y) & scored, scored


def token_accuracy(outputs, y) -> float:
    """The share of scored tokens predicted right (the most likely next token is the true one)."""
    right, scored = _right(outputs, y)
    return float(right.sum() / max(int(scored.sum()), 1))


def exact_match(outputs, y) -> float:
    """The share of rows whose scored tokens are all right (a sum answered in full)."""
    right, scored = _right(outputs, y)
    return float((right | ~scored).all(axis=1).mean()) if len(right) else 0.0


def position_accuracy(outputs, y) -> list[float]:
    """Token accuracy at each position that is scored in some row (an answer's first digit, second, ...)."""
    right, scored = _right(outputs, y)
    columns = scored.any(axis=0)
    return [float(r / s) for r, s in zip(right.sum(axis=0)[columns], scored.sum(axis=0)[columns])]


def has_answers(y) -> bool:
    """The rows hold prompts and answers (some positions are not scored, as a sum's "123+456="), so exact
    match and per-position accuracy mean something; a text's windows score every position."""
    return bool((np.asarray(y) == IGNORE).any())


def scores(outputs, y) -> dict:
    """The scores a sequence run reports before and after training (run.evaluate adds loss and perplexity):
    token accuracy, and for answers exact match and the accuracy at each answer position."""
    if not has_answers(y):
        return {"accuracy": token_accuracy(outputs, y)}
    return {"accuracy": token_accuracy(outputs, y), "exact_match": exact_match(outputs, y),
            "position_accuracy": position_accuracy(outputs, y)}


def fit_metrics(y_val) -> dict:
    """The validation scores the fit loop reports each epoch, with the definitions of `scores`."""
    if not has_answers(y_val):
        return {"accuracy": token_accuracy}
    return {"accuracy": token_accuracy, "exact_match": exact_match}


UNIGRAM_ROWS = 100_000  # rows the baseline's token frequencies are counted on (a large text has millions)


def unigram_loss(y_train) -> float | None:
    """The loss of always predicting each token's training frequency (the bar a model must clear)."""
    targets = np.asarray(y_train[:UNIGRAM_ROWS])
    targets = targets[targets != IGNORE]
    if targets.size == 0:
        return None
    prior = np.bincount(targets) / targets.size
    return float(-np.log(prior[targets]).mean())
