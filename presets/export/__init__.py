"""Exports of a trained bundle: ONNX (presets.export.onnx), PyTorch (.pytorch) and plain NumPy (.numpy).

Each takes a presets.bundle.Bundle and writes files that run without npnn. The ONNX export needs the
optional `onnx` package; the others write text and arrays only.
"""
from __future__ import annotations

from presets.catalog import LAYERS


class MissingExtra(ImportError):
    """An optional package an export needs is not installed; the message says what to install."""


def full_specs(specs: list) -> list[dict]:
    """Layer specs with every option spelled out (the registry's defaults filled in)."""
    out = []
    for spec in specs:
        entry = LAYERS[spec["type"]]
        full = {"type": spec["type"]}
        for option in entry.options:
            full[option.name] = spec.get(option.name, option.default)
        out.append(full)
    return out


def check_running_stats(i: int, spec: dict, format: str) -> None:
    """A BatchNorm without running statistics normalises each batch by itself even when predicting."""
    if not spec["track_running_stats"]:
        raise ValueError(f"model[{i}] ({spec['type']}): track_running_stats = false normalises by each batch's "
                         f"own statistics when predicting; the {format} export needs the running ones "
                         "(track_running_stats = true)")
