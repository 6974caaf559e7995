"""Text from a sequence model: prompts completed one token at a time, greedily (temperature 0: the most
likely token, as the exact-match score assumes) or by sampling from the softmax at a temperature."""
from __future__ import annotations

import numpy as np

import npnn
from npnn import Tensor
from presets.sequence.data import decode, encode


def continue_ids(model, prompts: np.ndarray, new_tokens: int, block_size: int, temperature: float = 0.0,
                 generator: np.random.Generator | None = None) -> np.ndarray:
    """`prompts` (N, T0) token ids extended by `new_tokens` each; the model reads at most the last
    `block_size` tokens (the context it was trained on). The model's train/eval mode is put back."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0: the most likely token), got {temperature!r}")
    if temperature > 0 and generator is None:
        raise ValueError("sampling at a temperature needs a generator (np.random.default_rng(seed))")
    ids = np.asarray(prompts, dtype=np.int64)
    was_training = model.training
    model.eval()
    try:
        with npnn.no_grad(), np.errstate(over="ignore", invalid="ignore"):
            for _ in range(new_tokens):
                logits = model(Tensor(ids[:, -block_size:])).data[:, -1].astype(np.float64)
                ids = np.concatenate([ids, _pick(logits, temperature, generator)[:, None]], axis=1)
    finally:
        model.train(was_training)
    return ids


def _pick(logits: np.ndarray, temperature: float, generator) -> np.ndarray:
    if temperature == 0:
        return logits.argmax(axis=1)
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    # NOTE: one uniform draw per row against the cumulative probabilities (inverse-CDF sampling)
    cumulative = probs.cumsum(axis=1)
    draws = generator.random(len(probs))[:, None] * cumulative[:, -1:]
    return np.minimum((cumulative < draws).sum(axis=1), probs.shape[1] - 1)


def complete(model, prompt: str, vocab: str, new_tokens: int, block_size: int, temperature: float = 0.0,
             generator: np.random.Generator | None = None) -> str:
    """The characters the model writes after `prompt` (DataError for a character outside `vocab`)."""
    ids = encode(prompt, vocab, "prompt")[None]
    return decode(continue_ids(model, ids, new_tokens, block_size, temperature, generator)[0, ids.shape[1]:], vocab)
