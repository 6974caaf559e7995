"""Presets: what to train (data, model, loss, optimizer, settings) and the UI-free Run that trains it."""
from presets.errors import DataError, PresetError
from presets.registry import PresetInfo, list_presets, load_preset
from presets.run import Predictions, Run, RunResult
from presets.schema import OVERRIDE_KEYS, DataSpec, Preset, parse_override

__all__ = ["OVERRIDE_KEYS", "DataError", "DataSpec", "Predictions", "Preset", "PresetError", "PresetInfo",
           "Run", "RunResult", "list_presets", "load_preset", "parse_override"]
