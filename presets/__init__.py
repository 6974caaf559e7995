"""Presets: what to train (data, model, loss, optimizer, settings) and the UI-free Run that trains it."""
from presets.bundle import Bundle, load_run
from presets.errors import DataError, DownloadError, OutputError, PresetError, SaveError
from presets.overrides import parse_override
from presets.predictions import ClassPredictions, Predictions, RegressionPredictions, SequencePredictions
from presets.registry import PresetInfo, list_presets, load_preset
from presets.run import Run, RunResult
from presets.schema import DataSpec, Preset
from presets.settings import setting_names

__all__ = ["Bundle", "ClassPredictions", "DataError", "DataSpec", "DownloadError", "OutputError",
           "Predictions", "Preset", "PresetError", "PresetInfo", "RegressionPredictions", "Run", "RunResult",
           "SequencePredictions",
           "SaveError", "list_presets", "load_preset", "load_run", "parse_override",
           "setting_names"]
