"""Preset files at the parsers' limits: deep nesting, integers beyond 64 bits, huge and binary files are a
PresetError naming the file and the key, never RecursionError / OverflowError / MemoryError."""
from __future__ import annotations

from pathlib import Path

import pytest

from presets import PresetError, load_preset, parse_override
from presets.documents import MAX_BYTES, MAX_DEPTH
from presets.option import MAX_INT
from presets.schema import read_preset_file

HUGE = "1" + "0" * 400
GOOD = """task = "regression"
model = [{ type = "Linear", in_features = "auto", out_features = 8 }, { type = "ReLU" },
         { type = "Linear", in_features = "auto", out_features = "auto" }]
[data]
source = "diabetes"
[training]
epochs = 3
"""


def preset(tmp_path, text: str, name: str = "p.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("old, new, key", [
    ("epochs = 3", f"epochs = {HUGE}", "training.epochs"),
    ("out_features = 8", f"out_features = {HUGE}", "model[0].out_features"),
    ("epochs = 3", f"epochs = -{HUGE}", "training.epochs"),
    ("epochs = 3", f"epochs = 3\nlr = {HUGE}", "training.lr"),
    ('source = "diabetes"', f'source = "diabetes"\nlimit = {HUGE}', "data.limit"),
    ("[training]", f"[[changes]]\nepoch = {HUGE}\nbatch = 1\nname = \"lr\"\nvalue = 0.1\n[training]",
     "changes[0].epoch"),
])
def test_an_integer_of_400_digits_anywhere_names_the_file_and_key(tmp_path, old, new, key):
    path = preset(tmp_path, GOOD.replace(old, new))
    with pytest.raises(PresetError) as error:
        load_preset(str(path))
    assert str(error.value) == f"{path}: {key} is an integer of 401 digits (at most {MAX_INT})"


def test_an_integer_just_beyond_64_bits_is_refused_and_one_within_is_checked_as_usual(tmp_path):
    with pytest.raises(PresetError, match=r"training\.epochs is an integer of 19 digits"):
        load_preset(str(preset(tmp_path, GOOD.replace("epochs = 3", f"epochs = {MAX_INT + 1}"))))
    assert load_preset(str(preset(tmp_path, GOOD.replace("epochs = 3", f"epochs = {MAX_INT}")))).epochs == MAX_INT


@pytest.mark.parametrize("depth", [MAX_DEPTH, 300, 5000])
def test_an_array_nested_thousands_deep_is_refused_by_depth(tmp_path, depth):
    path = preset(tmp_path, GOOD.replace("epochs = 3", f"epochs = {'[' * depth}{']' * depth}"))
    with pytest.raises(PresetError, match=rf"^{path}: .*nest.* {MAX_DEPTH} levels"):
        load_preset(str(path))


def test_nesting_within_the_limit_reaches_the_schema(tmp_path):
    depth = MAX_DEPTH - 1  # NOTE: [training] is the first level
    path = preset(tmp_path, GOOD.replace("epochs = 3", f"epochs = {'[' * depth}{']' * depth}"))
    with pytest.raises(PresetError, match=r"training\.epochs must be an integer >= 1, got \[\[\["):
        load_preset(str(path))


def test_a_huge_or_endless_file_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "big.toml"
    path.write_bytes(b"# " + b"x" * MAX_BYTES + b"\n")
    with pytest.raises(PresetError, match="larger than 16 MiB, too large for a preset file"):
        load_preset(str(path))
    with pytest.raises(PresetError, match="/dev/zero: larger than 16 MiB"):
        read_preset_file(Path("/dev/zero"))


@pytest.mark.parametrize("key, text", [("epochs", HUGE), ("batch_size", f"-{HUGE}"), ("lr", HUGE),
                                       ("epochs", "9" * 5000)])
def test_a_huge_number_typed_as_an_override_is_refused(key, text):
    with pytest.raises(PresetError, match=rf"^{key} must be .*, got "):
        parse_override(key, text)
