"""Live samples of a sequence run: at the end of an epoch the model answers fixed held-out prompts (data
with answers: the sums) or writes a line after a fixed start of the validation text (a text).

The prompts are chosen once from the held-out splits, the same for every run of the same data; drawing
runs on the training thread, between epochs, within a share of the training time.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from time import perf_counter

import numpy as np

from npnn.events import EpochEnded, Finished
from presets.events import Answer, SamplesDrawn
from presets.sequence.data import decode, whole_rows
from presets.sequence.generate import continue_ids

BUDGET = 0.05        # the share of the training time (the epochs' own seconds) drawing samples may take
ANSWERED = 6         # held-out prompts the model answers (sums)
TEXT_PROMPT = 16     # characters of the validation text a generated line continues
TEXT_LENGTH = 80     # characters of a generated line
TEMPERATURE = 0.8    # a generated line's sampling temperature (0 would repeat the likeliest text)


@dataclass(frozen=True)
class SamplePrompts:
    """A run's fixed prompts: `rows` (k, T) token ids, held-out examples in full (prompt and answer) when
    `prompt_length` is set, else (1, TEXT_PROMPT) the start of the validation text; `block_size` the
    context the model was trained on."""
    rows: np.ndarray
    vocab: str
    block_size: int
    prompt_length: int | None

    @property
    def probe(self) -> np.ndarray:
        """What the Inside tab feeds the model (attention maps, hidden-state norms): the prompts as the model
        reads them (a sum without its last digit, which it never reads)."""
        return self.rows[:, :self.block_size]


def sample_prompts(splits) -> SamplePrompts:
    """The prompts of a sequence task's splits (presets.datasets.Splits): ANSWERED test examples spread over
    the test split (sums), or TEXT_PROMPT characters of the validation text from its first line's start
    (else its first word's)."""
    vocab, prompt_length = splits.preprocessing["vocab"], splits.preprocessing.get("prompt_length")
    block_size = splits.x_train.shape[1]
    if prompt_length:
        x, y = splits.x_test, splits.y_test
        picks = np.unique(np.linspace(0, len(x) - 1, ANSWERED).round().astype(np.int64))
        rows = whole_rows(x[picks], y[picks])
    else:
        rows = _text_start(splits.x_val.ravel(), vocab)[None]
    return SamplePrompts(np.ascontiguousarray(rows, dtype=np.int64), vocab, block_size, prompt_length)


def _text_start(text: np.ndarray, vocab: str) -> np.ndarray:
    """TEXT_PROMPT tokens of `text` (the validation windows, which follow one another) from the first start of
    a line, else of a word, so the prompt does not begin mid-word."""
    for boundary in ("\n", " "):
        if boundary in vocab:
            after = np.flatnonzero((text[:-1] == vocab.index(boundary)) & (text[1:] != vocab.index(boundary))) + 1
            after = after[after <= len(text) - TEXT_PROMPT]
            if len(after):
                return text[after[0]:after[0] + TEXT_PROMPT]
    return text[:TEXT_PROMPT]


def draw(prompts: SamplePrompts, model, epoch: int, seed: int) -> SamplesDrawn:
    """The model's greedy answers to the held-out prompts, or a line sampled at TEMPERATURE with a generator
    of its own seeded by (`seed`, `epoch`): the run's seed fixes every line, and drawing one takes nothing
    from the training generator (a run trains the same with or without samples)."""
    rows, block = prompts.rows, prompts.block_size
    if prompts.prompt_length:
        start = prompts.prompt_length
        written = continue_ids(model, rows[:, :start], rows.shape[1] - start, block)
        answers = tuple(Answer(decode(row[:start], prompts.vocab), decode(row[start:], prompts.vocab),
                               decode(out[start:], prompts.vocab)) for row, out in zip(rows, written))
        return SamplesDrawn(epoch, answers=answers)
    generator = np.random.default_rng([seed, epoch])
    written = continue_ids(model, rows, TEXT_LENGTH, block, TEMPERATURE, generator)
    return SamplesDrawn(epoch, prompt=decode(rows[0], prompts.vocab),
                        text=decode(written[0, rows.shape[1]:], prompts.vocab))


class LiveSamples:
    """A fit-loop callback: after an epoch's EpochEnded, that epoch's SamplesDrawn to `emit` when the draws so
    far and one more (as long as the last) stay within BUDGET of the training time: the first epoch's always,
    then every epoch unless epochs take milliseconds; none for an epoch whose loss is not finite (a diverged
    model writes noise). After Finished, those of the best weights the run keeps, unless the last samples
    were of them (training is over: they take none of its time)."""

    def __init__(self, prompts: SamplePrompts, model, seed: int, emit: Callable) -> None:
        self.prompts, self.model, self.seed, self.emit = prompts, model, seed, emit
        self.trained = self.spent = 0.0  # seconds of training, seconds of drawing samples
        self.cost = 0.0                  # seconds the last draw took
        self.last: int | None = None     # the epoch of the last samples sent

    def __call__(self, event) -> None:
        if isinstance(event, EpochEnded):
            self.trained += event.seconds
            if self.spent + self.cost <= BUDGET * self.trained and math.isfinite(event.train_loss):
                self._draw(event.epoch, best=False)
        elif isinstance(event, Finished) and event.history.best_epoch not in (None, self.last):
            self._draw(event.history.best_epoch, best=True)

    def _draw(self, epoch: int, best: bool) -> None:
        start = perf_counter()
        samples = draw(self.prompts, self.model, epoch, self.seed)
        self.cost = perf_counter() - start
        self.spent += self.cost
        self.last = epoch
        self.emit(replace(samples, best=best))
