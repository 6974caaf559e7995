"""A sequence run as a bundle: bundle.json's vocab and prompt_length checked as every key is, prompts completed
greedily or by sampling, and each wrong prompt a DataError naming what is wrong."""
from __future__ import annotations

import json

import numpy as np
import pytest

from presets import DataError, PresetError, load_run
from presets.sequence.generate import complete
from tests.bundles import addition, char_lm  # noqa: F401  (module-scoped fixtures)
from tests.presets.test_bundle_schema import _set, edited_run


def test_an_addition_bundle_holds_its_vocabulary_and_completes_the_answer_greedily(addition):
    raw = json.loads((addition / "bundle.json").read_text())
    assert raw["task"] == "sequence" and raw["vocab"] == "0123456789+=" and raw["prompt_length"] == 8
    bundle = load_run(addition)
    assert bundle.is_sequence and bundle.input_shape == (11,)
    answers = bundle.complete(["123+456=", "999+999=", "1"])
    # NOTE: the answer is the rest of an example ("0579": 12 characters in all); a short prompt gets the rest
    assert [len(a) for a in answers] == [4, 4, 11]
    assert answers[0] == complete(bundle.model, "123+456=", bundle.vocab, 4, 11)
    assert bundle.predict(["123+456="]).tolist() == answers[:1]
    assert bundle.outputs(["123+456=", "000+000="]).shape == (2, 8, 12)


def test_a_text_model_writes_200_characters_by_default_and_samples_reproducibly(char_lm):
    bundle = load_run(char_lm)
    assert bundle.prompt_length is None
    first = bundle.vocab[5]
    assert len(bundle.complete(first)[0]) == 200
    sampled = [bundle.complete([first, first], 30, 1.0, np.random.default_rng(7)) for _ in range(2)]
    assert sampled[0] == sampled[1] and all(len(text) == 30 and set(text) <= set(bundle.vocab)
                                            for text in sampled[0])
    assert len(bundle.complete(first * 20, 3)[0]) == 3  # NOTE: a prompt longer than the context: its last 8 read


@pytest.mark.parametrize("prompts, expected", [
    (["12x+4="], r"prompt: character 'x' at position 2 is not in the vocabulary \('0123456789\+='\)"),
    (["1+2=", ""], "prompt 2 is empty"),
    (["123+456=05790"], "prompt '123\\+456=05790' has 13 characters: this model's examples are 12"),
])
def test_a_wrong_prompt_is_a_data_error_naming_it(addition, prompts, expected):
    with pytest.raises(DataError, match=expected):
        load_run(addition).complete(prompts)


@pytest.mark.parametrize("temperature", [-1.0, float("nan"), float("inf")])
def test_a_temperature_below_zero_or_not_finite_is_refused(addition, temperature):
    with pytest.raises(ValueError, match="temperature must be a finite number >= 0"):
        load_run(addition).complete("1+", 2, temperature, np.random.default_rng(0))


EDITS = [
    ("vocab-twice", _set(["vocab"], "0123456789+=0"), "vocab holds '0' twice; each character must be unique"),
    ("vocab-empty", _set(["vocab"], ""), "vocab must be a non-empty string of the characters the model reads"),
    ("vocab-number", _set(["vocab"], 12), "vocab must be a non-empty string of the characters the model reads "
                                          "(token i is vocab[i]), got 12"),
    ("vocab-missing", _set(["vocab"], None), "vocab must be a non-empty string"),
    ("vocab-short", _set(["vocab"], "0123456789+"), "outputs of shape (11, 12) per input; the bundle needs (11, 11)"),
    ("vocab-long", _set(["vocab"], "0123456789+=-"), "does not take input_shape [11] of token ids (Embedding(12, "),
    ("prompt-zero", _set(["prompt_length"], 0), "prompt_length must be an integer >= 1 and <= 11, got 0"),
    ("prompt-long", _set(["prompt_length"], 12), "prompt_length must be an integer >= 1 and <= 11, got 12"),
    ("prompt-text", _set(["prompt_length"], "8"), "prompt_length must be an integer >= 1 and <= 11, got '8'"),
    ("classes", _set(["class_names"], ["a", "b"]), "class_names must be null for a sequence model"),
    ("images", _set(["input_shape"], [1, 11, 1]), "input_shape must be [tokens] for a sequence model"),
    ("steps", _set(["input_shape"], [12]), "does not take input_shape [12] of token ids"),
]


@pytest.mark.parametrize("edit, expected", [case[1:] for case in EDITS], ids=[case[0] for case in EDITS])
def test_a_hand_edited_sequence_bundle_is_refused_naming_the_key(addition, tmp_path, edit, expected):
    run = edited_run(addition, tmp_path, edit)
    with pytest.raises(PresetError) as error:
        load_run(run)
    message = str(error.value)
    assert message.startswith(str(run / "bundle.json")) and expected in message and len(message.splitlines()) == 1


def test_a_table_bundle_refuses_a_vocabulary(addition, tmp_path):
    run = edited_run(addition, tmp_path, _set(["task"], "regression"))
    with pytest.raises(PresetError, match="vocab must be null for a regression, got '0123456789"):
        load_run(run)


def test_weights_that_give_nan_logits_are_refused_before_anything_is_written(addition, tmp_path):
    run = edited_run(addition, tmp_path, lambda b: b)
    weights = dict(np.load(run / "model.npz"))
    weights["4.bias"] = np.full_like(weights["4.bias"], np.nan)
    np.savez(run / "model.npz", **weights)
    with pytest.raises(DataError, match="the model's logits for prompt 1 are not finite numbers: its weights hold"):
        load_run(run).complete(["12+", "123+456="])


@pytest.mark.parametrize("inputs, expected", [
    (["12", "123"], r"strings of one length make a batch of token ids; got lengths \[2, 3\]"),
    (["1" * 12], r"token ids \(n, t\) with 1 <= t <= 11, or strings of one length; got an array of shape \(1, 12\)"),
    ([[0, 12]], r"token ids must be 0..11 \(the vocabulary '0123456789\+='\), got 12"),
])
def test_the_networks_inputs_are_checked(addition, inputs, expected):
    with pytest.raises(DataError, match=expected):
        load_run(addition).outputs(inputs)
