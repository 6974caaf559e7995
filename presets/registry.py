"""Find presets: the built-in TOML files beside this module, the user's own folder, or any file the user names.

A user preset (saved from the app's model editor) is named by its path, as `--preset PATH` is: a built-in's
name always means the built-in, so two presets with one name can never be confused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from npnn._atomic import write_atomic
from presets.overrides import apply_overrides
from presets.schema import Preset, PresetError, preset_from_dict, read_preset_file

BUILTIN_DIR = Path(__file__).resolve().parent
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class PresetInfo:
    name: str
    title: str
    description: str
    path: Path
    builtin: bool = True

    @property
    def choice(self) -> str:
        """What `--preset` (and the app's picker) takes for it: a built-in's name, a user preset's path."""
        return self.name if self.builtin else str(self.path)


def builtin_names() -> list[str]:
    return [path.stem for path in sorted(BUILTIN_DIR.glob("*.toml"))]


def list_presets(user_dir=None, skipped: list | None = None) -> list[PresetInfo]:
    """The built-in presets sorted by name, then the user's `*.toml` files in `user_dir` (when it exists),
    sorted by file name. A user file that is not a valid preset is left out, its message added to `skipped`."""
    infos = []
    for path in sorted(BUILTIN_DIR.glob("*.toml")):
        preset = read_preset_file(path)
        infos.append(PresetInfo(preset.name, preset.title, preset.description, path))
    folder = Path(user_dir) if user_dir is not None else None
    if folder is None or not folder.is_dir() or folder.resolve() == BUILTIN_DIR:
        return infos
    for path in sorted(folder.glob("*.toml")):
        try:
            preset = read_preset_file(path)
        except PresetError as error:
            if skipped is not None:
                skipped.append(str(error))
            continue
        infos.append(PresetInfo(preset.name, preset.title, preset.description, path, builtin=False))
    return infos


def save_preset(preset: Preset, folder, replacing: Path | None = None) -> Path:
    """Write `preset` (its model, settings and data spec) as `<folder>/<preset.name>.toml`, which
    list_presets(folder) then lists; return the path.

    Refused with PresetError: a name that is not a plain file name, a built-in's name, or a file that
    exists already unless it is `replacing` (the user preset being edited). OSError when writing fails.
    """
    name = preset.name
    if not _FILE_NAME.fullmatch(name) or name.lower().endswith(".toml"):
        raise PresetError(f"preset name {name!r} must be letters, digits, '_', '-' or '.' (it names the file "
                          f"{name}.toml), without .toml")
    if name in builtin_names():
        raise PresetError(f"{name!r} is a built-in preset's name; choose another")
    path = Path(folder) / f"{name}.toml"
    if path.exists() and (replacing is None or path.resolve() != Path(replacing).resolve()):
        raise PresetError(f"{path} exists; choose another name")
    config = preset.to_dict()
    preset_from_dict(config, str(path), name)  # NOTE: what is written must read back as a valid preset
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, tomli_w.dumps(config))
    return path


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
        names = ", ".join(builtin_names())
        raise PresetError(f"unknown preset {text!r}: choose one of {names}, or give a path to a .toml file")
    return builtin


def load_preset(name_or_path, overrides: dict | None = None) -> Preset:
    """Load and validate a preset, then apply the overrides (keys: presets.setting_names(); presets.overrides)."""
    return apply_overrides(read_preset_file(resolve_path(name_or_path)), overrides)
