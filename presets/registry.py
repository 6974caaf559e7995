"""Find presets: the built-in TOML files beside this module, or any preset file the user names."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from presets.overrides import apply_overrides
from presets.schema import Preset, PresetError, read_preset_file

BUILTIN_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PresetInfo:
    name: str
    title: str
    description: str
    path: Path


def list_presets() -> list[PresetInfo]:
    """The built-in presets, sorted by name."""
    infos = []
    for path in sorted(BUILTIN_DIR.glob("*.toml")):
        preset = read_preset_file(path)
        infos.append(PresetInfo(preset.name, preset.title, preset.description, path))
    return infos


def resolve_path(name_or_path) -> Path:
    """A built-in preset's file by name, or the path given (a .toml file or anything with a separator)."""
    text = str(name_or_path)
    path = Path(text)
    if text.endswith(".toml") or path.exists() or "/" in text or "\\" in text:
        if not path.is_file():
            raise PresetError(f"{text}: no such preset file")
        return path
    builtin = BUILTIN_DIR / f"{text}.toml"
    if not builtin.is_file():
        names = ", ".join(p.stem for p in sorted(BUILTIN_DIR.glob("*.toml")))
        raise PresetError(f"unknown preset {text!r}: choose one of {names}, or give a path to a .toml file")
    return builtin


def load_preset(name_or_path, overrides: dict | None = None) -> Preset:
    """Load and validate a preset, then apply the overrides (keys: presets.OVERRIDE_KEYS; presets.overrides)."""
    return apply_overrides(read_preset_file(resolve_path(name_or_path)), overrides)
