"""Token data for the `sequence` task: generated sums (data.source = "addition") and the characters of a
text file (data.source = "text", the built-in text when no file is given).

Each example is a row of token ids; the input is the row without its last token, the target the row
without its first (the next token at every position), IGNORE where a position is not scored (the
prompt of a sum), as PyTorch's CrossEntropyLoss(ignore_index=-100) skips it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from presets.errors import DataError

IGNORE = -100
BUILTIN_TEXT = Path(__file__).with_name("builtin.txt")
ADDITION_DIGITS = 3  # each operand has this many digits, zero-padded: "007+045="
ADDITION_VOCAB = "0123456789+="
DEFAULT_BLOCK_SIZE = 64
ADDITION_DEFAULT_COUNT = 50_000  # sums drawn when data.limit is not set


@dataclass(frozen=True)
class TokenData:
    """Examples as (inputs, targets) int64 pairs per split, and how to read and write them."""
    splits: tuple  # ((x_train, y_train), (x_val, y_val), (x_test, y_test))
    vocab: str     # token i is the character vocab[i]
    description: str
    source: dict
    prompt_length: int | None = None  # addition: the characters of "123+456=" (the rest is the answer)


def encode(text: str, vocab: str, where: str = "text") -> np.ndarray:
    """Token ids of `text`; a character outside `vocab` is a DataError naming it and its place."""
    index = {char: i for i, char in enumerate(vocab)}
    for position, char in enumerate(text):
        if char not in index:
            raise DataError(f"{where}: character {char!r} at position {position} is not in the vocabulary "
                            f"({vocab!r})")
    return np.fromiter((index[char] for char in text), dtype=np.int64, count=len(text))


def whole_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The examples whole (prompt and answer, or a window and its next character): the targets are the inputs
    shifted by one, so the inputs plus the targets' last token."""
    return np.concatenate([x, y[:, -1:]], axis=1)


def decode(ids, vocab: str) -> str:
    return "".join(vocab[int(i)] for i in ids)


def addition_text(a: int, b: int) -> str:
    """One example as the model reads and writes it: "123+456=0579" (operands 3 digits, the sum 4)."""
    return f"{a:0{ADDITION_DIGITS}d}+{b:0{ADDITION_DIGITS}d}={a + b:0{ADDITION_DIGITS + 1}d}"


ADDITION_PROMPT = 2 * ADDITION_DIGITS + 2  # "123+456="


def addition(count: int, test_size: float, val_size: float, seed: int) -> TokenData:
    """`count` distinct sums a+b (0 <= a, b < 1000) drawn with `seed`, split so that no held-out sum is
    trained on; only the answer's digits are scored."""
    limit = 10 ** (2 * ADDITION_DIGITS)
    if count > limit:
        raise DataError(f"data.limit: addition has {limit:,} distinct sums, got {count:,}")
    pairs = np.random.default_rng(seed).choice(limit, size=count, replace=False)
    a, b = np.divmod(pairs, 10 ** ADDITION_DIGITS)
    digits = np.array([[int(c) for c in f"{x:0{ADDITION_DIGITS}d}"] for x in range(10 ** ADDITION_DIGITS)])
    sums = np.array([[int(c) for c in f"{x:0{ADDITION_DIGITS + 1}d}"] for x in range(2 * 10 ** ADDITION_DIGITS)])
    plus, equals = ADDITION_VOCAB.index("+"), ADDITION_VOCAB.index("=")
    rows = np.concatenate([digits[a], np.full((count, 1), plus), digits[b], np.full((count, 1), equals),
                           sums[a + b]], axis=1).astype(np.int64)
    x, y = rows[:, :-1], rows[:, 1:].copy()
    y[:, :ADDITION_PROMPT - 1] = IGNORE
    splits = _split_rows(x, y, test_size, val_size, f"addition ({count:,} sums)")
    return TokenData(splits, ADDITION_VOCAB, f"addition ({count:,} sums of two {ADDITION_DIGITS}-digit numbers, "
                     "generated)", {"source": "addition"}, ADDITION_PROMPT)


def _split_rows(x, y, test_size: float, val_size: float, where: str) -> tuple:
    n_test = int(np.ceil(test_size * len(x)))
    n_val = int(np.ceil(val_size * (len(x) - n_test)))
    n_train = len(x) - n_test - n_val
    if n_train < 1 or n_val < 1 or n_test < 1:
        raise DataError(f"{where}: {len(x)} examples are too few to split into train, validation and test")
    cuts = (slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, None))
    return tuple((x[cut], y[cut]) for cut in cuts)


def read_text(path: Path) -> str:
    """A text file's characters (UTF-8); DataError for a missing, unreadable, binary or empty file."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # NOTE: a byte-order mark is not a character of the text
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text (byte {error.start}: {error.object[error.start:error.start + 1]!r})"
                        ) from None
    except OSError as error:
        raise DataError(f"{path}: cannot read it ({error.strerror or error})") from None
    if "\x00" in text:
        raise DataError(f"{path}: holds NUL characters; a text file was expected")
    return text


def text(path: str | Path | None, block_size: int, test_size: float, val_size: float,
         limit: int | None = None) -> TokenData:
    """Windows of `block_size` + 1 characters of the text (its first `limit` characters when given): the
    first part trains (windows overlapping by three quarters, so there are more of them), the next
    validates and the last tests (one window after another), so held-out windows are text the model never
    read. The windows are read-only views of one array of ids: a large text is held once, not per window."""
    given = path is not None
    path = Path(path) if path is not None else BUILTIN_TEXT
    content = read_text(path)
    if limit is not None and limit < len(content):
        content = content[:limit]
    vocab = "".join(sorted(set(content)))
    ids = encode(content, vocab, str(path))
    n_test = int(test_size * len(ids))
    n_val = int(val_size * (len(ids) - n_test))
    parts = ids[:len(ids) - n_test - n_val], ids[len(ids) - n_test - n_val:len(ids) - n_test], ids[len(ids) - n_test:]
    name = (path.name if given else "the built-in text") + (f", first {limit:,} characters" if limit else "")
    if min(len(part) for part in parts) < block_size + 1:
        raise DataError(f"{path}: {len(ids):,} characters are too few for train, validation and test windows of "
                        f"data.block_size + 1 = {block_size + 1} characters each; use a smaller block_size or a "
                        "longer text")
    strides = (max(1, block_size // 4), block_size, block_size)
    splits = tuple(_windows(part, block_size + 1, stride) for part, stride in zip(parts, strides))
    source = {"source": "text", "block_size": block_size} | ({"path": str(path.resolve())} if given else {})
    return TokenData(splits, vocab, f"{name} ({len(ids):,} characters, {len(vocab)} distinct)", source)


def _windows(ids: np.ndarray, width: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.lib.stride_tricks.sliding_window_view(ids, width)[::stride]
    return rows[:, :-1], rows[:, 1:]
