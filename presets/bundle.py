"""A run directory as a bundle: what prediction on new raw data needs, as plain JSON beside model.npz.

bundle.json holds the task, the resolved layer specs, the input shape and the preprocessing the
training data went through (feature means/stds, target mean/std, feature and target names, class
names; a sequence run's vocab and prompt_length). `load_run(run_dir)` rebuilds the model from it and
predicts on raw rows or images, or completes a sequence run's prompts (`Bundle.complete`).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

import npnn
from presets.bundle_schema import FORMAT, VERSION, validate_bundle, weights_path
from presets.documents import DocumentError, read_json
from presets.errors import DataError, PresetError
from presets.mnist import as_images
from presets.models import build_model
from presets.sequence.data import decode, encode
from presets.sequence.generate import continue_ids
from presets.table.inputs import CellError, encoded_names, table_inputs

BUNDLE_FILE = "bundle.json"
WEIGHTS_FILE = "model.npz"
_BATCH = 1024
TEXT_LENGTH = 200  # characters a text model writes after a prompt when no length is asked for


def prompt_rule(prompt_length: int) -> tuple[str, str]:
    """The regular expression a whole prompt of a run with `prompt_length` matches, and the rule in words:
    two zero-padded operands, "+" and "=" ("007+045=") when the length fits that form."""
    digits, odd = divmod(prompt_length - 2, 2)
    if digits < 1 or odd:
        plural = "s" * (prompt_length != 1)
        return f"(?s:.{{{prompt_length}}})", f"a prompt of this model is {prompt_length} character{plural}"
    example = f"{7 % 10 ** digits:0{digits}d}+{45 % 10 ** digits:0{digits}d}="
    return (f"[0-9]{{{digits}}}\\+[0-9]{{{digits}}}=", f"an addition prompt is {prompt_length} characters: two "
            f"{digits}-digit operands zero-padded, like {example}")


def bundle_dict(task: str, specs: list, preprocessing: dict) -> dict:
    """The contents of bundle.json for a run of `task` with resolved layer `specs`."""
    return {"format": FORMAT, "version": VERSION, "task": task, "weights": WEIGHTS_FILE, "model": specs,
            **preprocessing}


def _softmax(outputs: np.ndarray) -> np.ndarray:
    shifted = outputs.astype(np.float64) - outputs.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class Bundle:
    """A trained model with its preprocessing: `predict` takes raw inputs, answers in the target's units."""

    def __init__(self, run_dir: Path, spec: dict, model) -> None:
        self.run_dir, self.spec, self.model = run_dir, spec, model
        self.task: str = spec["task"]
        self.input_shape: tuple[int, ...] = tuple(spec["input_shape"])
        self.feature_names: list[str] | None = spec.get("feature_names")
        self.target_name: str | None = spec.get("target_name")
        self.class_names: list | None = spec.get("class_names")
        self.vocab: str = spec.get("vocab") or ""  # NOTE: a sequence run's characters; "" for the others
        self.prompt_length: int | None = spec.get("prompt_length")

    @property
    def is_image(self) -> bool:
        return len(self.input_shape) == 3

    @property
    def is_sequence(self) -> bool:
        return self.task == "sequence"

    def _tokens(self, X) -> np.ndarray:
        """Token ids (N, T) as they are, or strings of one length encoded by the vocabulary."""
        x = np.asarray(X)
        if x.dtype.kind in "US" or (x.dtype == object and x.size and isinstance(x.flat[0], str)):
            texts = [str(text) for text in np.ravel(x)]
            if len({len(text) for text in texts}) > 1:
                raise DataError(f"strings of one length make a batch of token ids; got lengths "
                                f"{sorted({len(text) for text in texts})} (complete() takes prompts of any length)")
            x = np.stack([encode(text, self.vocab, f"input {i + 1}") for i, text in enumerate(texts)])
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.dtype.kind not in "iu" or not 1 <= x.shape[1] <= self.input_shape[0]:
            raise DataError(f"a sequence model takes token ids (n, t) with 1 <= t <= {self.input_shape[0]}, or "
                            f"strings of one length; got an array of shape {x.shape}, dtype {x.dtype}")
        if x.size and (x.min() < 0 or x.max() >= len(self.vocab)):
            raise DataError(f"token ids must be 0..{len(self.vocab) - 1} (the vocabulary {self.vocab!r}), got "
                            f"{int(x.min() if x.min() < 0 else x.max())}")
        return x.astype(np.int64)

    def _table(self, X) -> np.ndarray:
        x = table_inputs(self.spec, X)  # NOTE: raw columns (text, gaps) through the fitted column plan
        mean, std = self.spec.get("feature_mean"), self.spec.get("feature_std")
        if mean is not None and std is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                scaled = ((x - np.asarray(mean)) / np.asarray(std)).astype(np.float32)
            if not np.isfinite(scaled).all():  # NOTE: a finite 1e308 overflows here, and every answer is nan
                row, column = (int(i) for i in np.argwhere(~np.isfinite(scaled))[0])
                raise CellError(row, encoded_names(self.spec)[column], f"{x[row, column]:g} is too far from the "
                                f"training data (mean {mean[column]:.4g}, std {std[column]:.4g}) to be standardised "
                                "within float32's range")
            return scaled
        return x.astype(np.float32)

    def _images(self, X) -> np.ndarray:
        x = np.asarray(X)
        shape, pixels = self.input_shape, int(np.prod(self.input_shape))
        if x.shape in (shape, shape[1:]) or (x.ndim == 1 and x.size == pixels):
            x = x[None]  # one image
        expected = "x".join(map(str, shape[1:]))
        if x.ndim == 4 and x.shape[1:] == (*shape[1:], shape[0]) != shape:
            raise DataError(f"images of shape (n, H, W, C) = {x.shape} are channels-last; the model takes them "
                            f"channels-first, (n, C, H, W) = (n, {', '.join(map(str, shape))}): pass "
                            "x.transpose(0, 3, 1, 2)")
        if x.ndim == 2 and x.shape[1] != pixels:
            raise DataError(f"wrong image size: expected {expected} images ({pixels} pixels per row), got "
                            f"{x.shape[1]} pixels per row")
        if x.ndim == 3 and x.shape[1:] != shape[1:]:
            raise DataError(f"wrong image size: expected {expected} images, got {'x'.join(map(str, x.shape[1:]))}")
        if x.ndim == 4 and x.shape[1:] != shape:
            raise DataError(f"wrong image size: expected images of shape {shape}, got {x.shape[1:]}")
        if x.ndim in (2, 3) and shape[0] != 1:
            raise DataError(f"the model takes images with {shape[0]} channels, (n, {', '.join(map(str, shape))}); "
                            f"got images without a channel axis, shape {x.shape}")
        return as_images(x.reshape(len(x), *shape) if x.ndim == 2 else x)

    def prepare(self, X) -> np.ndarray:
        """Raw rows (array, list of rows, or a mapping/DataFrame of columns) or images, as the model's input."""
        if self.is_sequence:
            return self._tokens(X)
        return self._images(X) if self.is_image else self._table(X)

    def outputs(self, X) -> np.ndarray:
        """The model's raw outputs (logits or standardised predictions) for raw inputs."""
        x = self.prepare(X)
        empty = (0, *x.shape[1:], len(self.vocab)) if self.is_sequence else (0, self.model_outputs)
        with npnn.no_grad(), np.errstate(over="ignore", invalid="ignore"):
            return np.concatenate([self.model(npnn.Tensor(x[i:i + _BATCH])).data for i in range(0, len(x), _BATCH)]
                                  or [np.zeros(empty, dtype=np.float32)])

    @property
    def model_outputs(self) -> int:
        return len(self.class_names) if self.class_names else len(self.spec.get("target_mean") or [1])

    def predict(self, X) -> np.ndarray:
        """Regression: predictions in the target's units ((n,) for one target); classification: class labels;
        sequence: each prompt's greedy completion (`complete`)."""
        if self.is_sequence:
            return np.asarray(self.complete(X), dtype=str)
        outputs = self.outputs(X)
        if self.task == "classification":
            return np.asarray(self.class_names)[outputs.argmax(axis=1)]
        y = outputs.astype(np.float64)
        if self.spec.get("target_mean") is not None:
            y = y * np.asarray(self.spec["target_std"]) + np.asarray(self.spec["target_mean"])
        return y[:, 0] if y.shape[1] == 1 else y

    def predict_proba(self, X) -> np.ndarray:
        """Per-class probabilities (n, classes), columns in the order of `class_names`."""
        if self.task != "classification":
            raise ValueError(f"predict_proba needs a classification run; {self.run_dir} is a {self.task}")
        return _softmax(self.outputs(X))

    def default_length(self, prompt: str) -> int:
        """New characters written after `prompt` when none are asked for: the rest of an addition example
        (input_shape[0] + 1 characters in all), else TEXT_LENGTH."""
        if self.prompt_length is None:
            return TEXT_LENGTH
        return self.input_shape[0] + 1 - len(prompt)

    def check_prompt(self, prompt: str, where: str, new_tokens: int | None = None, whole: bool = False) -> int:
        """How many characters to write after `prompt` (`new_tokens`, or `default_length`); DataError naming
        `where` for an empty prompt, a character outside the vocabulary, an addition prompt that leaves
        no answer to write or, with `whole` (a user's prompt), one that is not a whole addition prompt."""
        count = self.default_length(prompt) if new_tokens is None else new_tokens
        if not prompt:
            raise DataError(f"{where} is empty: the model continues a prompt of at least one character")
        encode(prompt, self.vocab, where)
        if whole and self.prompt_length is not None:
            pattern, rule = prompt_rule(self.prompt_length)
            if not re.fullmatch(pattern, prompt):
                raise DataError(f"{where} {prompt!r} ({len(prompt)} characters) is not a prompt this model "
                                f"answers: {rule}")
        if count < 1:
            raise DataError(f"{where} {prompt!r} has {len(prompt)} characters: this model's examples are "
                            f"{self.input_shape[0] + 1} (a prompt of {self.prompt_length}, then the answer), so "
                            "none is left to write; ask for a length")
        return count

    def continue_ids(self, ids, new_tokens: int, temperature: float = 0.0,
                     generator: np.random.Generator | None = None) -> np.ndarray:
        """Token ids (N, T0) extended by `new_tokens` each (presets.sequence.generate.continue_ids); the model
        reads at most the last input_shape[0] tokens."""
        return continue_ids(self.model, ids, new_tokens, self.input_shape[0], temperature, generator)

    def complete(self, prompts, new_tokens: int | None = None, temperature: float = 0.0,
                 generator: np.random.Generator | None = None, whole: bool = False) -> list[str]:
        """The characters the model writes after each prompt (a string or a list of them): greedily at
        temperature 0 (the most likely character), else sampled with `generator`. `new_tokens` defaults to
        `default_length`. DataError for an empty prompt, a character outside the vocabulary, or an addition
        prompt that leaves no answer to write (with `whole`, one that is not a whole addition prompt)."""
        if not self.is_sequence:
            raise ValueError(f"complete needs a sequence run; {self.run_dir} is a {self.task}")
        if not (isinstance(temperature, (int, float)) and 0 <= temperature < float("inf")):
            raise ValueError(f"temperature must be a finite number >= 0 (0: the most likely character), got "
                             f"{temperature!r}")
        prompts = [prompts] if isinstance(prompts, str) else list(prompts)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, prompt in enumerate(prompts):
            count = self.check_prompt(prompt, "prompt" if len(prompts) == 1 else f"prompt {i + 1}", new_tokens, whole)
            groups.setdefault((len(prompt), count), []).append(i)
        completions = [""] * len(prompts)
        for (length, count), rows in groups.items():  # NOTE: prompts of one length continue as one batch
            for start in range(0, len(rows), _BATCH):
                chunk = rows[start:start + _BATCH]
                ids = np.stack([encode(prompts[i], self.vocab) for i in chunk])
                self._check_finite(ids, chunk)
                for i, row in zip(chunk, self.continue_ids(ids, count, temperature, generator)):
                    completions[i] = decode(row[length:], self.vocab)
        return completions

    def _check_finite(self, ids: np.ndarray, rows: list[int]) -> None:
        """The next-token logits must be numbers: NaN or inf would be written as the first character."""
        finite = np.isfinite(self.outputs(ids[:, -self.input_shape[0]:])[:, -1]).all(axis=1)
        if not finite.all():
            raise DataError(f"the model's logits for prompt {rows[int(np.argmin(finite))] + 1} are not finite numbers: "
                            "its weights hold NaN or inf (did the run diverge?)")

    def __repr__(self) -> str:
        return f"Bundle({str(self.run_dir)!r}, task={self.task!r}, input_shape={self.input_shape})"


def read_bundle(run_dir) -> tuple[Path, dict]:
    """The run directory's path and its bundle.json, validated (presets.bundle_schema); ValueError when it is
    not a run directory with a valid bundle."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ValueError(f"{run_dir}: not a run directory (no such directory)")
    path = run_dir / BUNDLE_FILE
    if not path.is_file():
        hint = " (it was saved before runs held a bundle)" if (run_dir / "metrics.json").is_file() else ""
        raise ValueError(f"{run_dir}: not a run directory with a bundle: no {BUNDLE_FILE}{hint}")
    try:
        raw = read_json(path, "bundle")
    except DocumentError as error:
        raise PresetError(str(error)) from None
    return run_dir, validate_bundle(raw, str(path))


def own_file(run_dir, path) -> str | None:
    """The real path of `path` when it is, or leads through symlinks to, a file inside `run_dir` (an output
    there would replace the run's weights or bundle); else None."""
    real, run = os.path.realpath(path), os.path.realpath(run_dir)
    return real if os.path.isfile(real) and os.path.commonpath([real, run]) == run else None


def load_run(run_dir) -> Bundle:
    """The trained model of a run directory with its preprocessing, ready for `.predict(X)`."""
    run_dir, spec = read_bundle(run_dir)
    where = str(run_dir / BUNDLE_FILE)
    weights = weights_path(run_dir, spec["weights"], where)
    try:
        state = npnn.load(weights)  # NOTE: a damaged or foreign file is a ValueError naming it, never its bytes
    except OSError as error:
        raise ValueError(f"{weights}: cannot read the bundle's weights ({error.strerror or error})") from None
    model = build_model(spec["model"])
    try:
        model.load_state_dict(state)
    except (KeyError, ValueError) as error:
        raise ValueError(f"{weights}: does not fit the bundle's model ({error})") from None
    model.eval()
    _check_outputs(model, spec, where)
    return Bundle(run_dir, spec, model)


def _check_outputs(model, spec: dict, where: str) -> None:
    """One zero input through the model: its layers must chain from input_shape and end in one output per
    class (classification) or per target_mean (regression), or predictions would be wrong or fail later.
    A sequence model takes token ids: zeros and the last token's id, and gives (T, len(vocab)) logits."""
    vocab = spec.get("vocab")
    if vocab is None:
        x = np.zeros((1, *spec["input_shape"]), dtype=np.float32)
    else:
        x = np.zeros((2, *spec["input_shape"]), dtype=np.int64)
        x[1] = len(vocab) - 1  # NOTE: an Embedding smaller than the vocabulary fails on the last token only
    with npnn.no_grad(), np.errstate(all="ignore"):
        try:
            shape = model(npnn.Tensor(x)).shape[1:]
        except (ValueError, TypeError, IndexError) as error:
            raise PresetError(f"{where}: the model does not take input_shape {spec['input_shape']} "
                              f"{'of token ids ' if vocab else ''}({error})") from None
    if vocab is not None:
        logits = (spec["input_shape"][0], len(vocab))
        if tuple(shape) != logits:
            raise PresetError(f"{where}: the model gives outputs of shape {tuple(shape)} per input; the bundle "
                              f"needs {logits} (one logit per vocab character at each of input_shape's positions)")
        return
    names, means = spec["class_names"], spec["target_mean"]
    expected = len(names) if names is not None else len(means) if means is not None else None
    if len(shape) != 1 or (expected is not None and shape[0] != expected):
        needs = (f"{expected} (one per class_names)" if names is not None else
                 f"{expected} (one per target_mean)" if means is not None else "one vector per input")
        raise PresetError(f"{where}: the model gives outputs of shape {shape} per input; the bundle needs {needs}")
