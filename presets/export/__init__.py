"""Exports of a trained bundle: ONNX (presets.export.onnx), PyTorch (.pytorch) and plain NumPy (.numpy).

Each takes a presets.bundle.Bundle and writes files that run without npnn. The ONNX export needs the
optional `onnx` package; the others write text and arrays only. What each layer becomes in each format
is its catalog entry's (presets.catalog.register_layer), written in onnx_layers, numpy_layers and
pytorch_layers here.
"""
from __future__ import annotations


class MissingExtra(ImportError):
    """An optional package an export needs is not installed; the message says what to install."""


def check_running_stats(i: int, spec: dict, format: str) -> None:
    """A BatchNorm without running statistics normalises each batch by itself even when predicting."""
    if not spec["track_running_stats"]:
        raise ValueError(f"model[{i}] ({spec['type']}): track_running_stats = false normalises by each batch's "
                         f"own statistics when predicting; the {format} export needs the running ones "
                         "(track_running_stats = true)")
