"""Presets: what to train (data, model, loss, optimizer, settings) and the UI-free Run that trains it."""
from presets.bundle import Bundle, load_run
from presets.errors import DataError, OutputError, PresetError, SaveError
from presets.registry import PresetInfo, list_presets, load_preset
from presets.run import Predictions, Run, RunResult
from presets.overrides import parse_override
from presets.schema import OVERRIDE_KEYS, DataSpec, Preset

__all__ = ["OVERRIDE_KEYS", "Bundle", "DataError", "DataSpec", "OutputError", "Predictions", "Preset", "PresetError",
           "PresetInfo", "Run", "RunResult", "SaveError", "list_presets", "load_preset", "load_run",
           "parse_override"]
