"""Per-layer statistics as plain numbers: parameter norms, update size and activation health.

Pure functions on arrays (float64 sums, so an exploding layer reads 1e+30, not inf), and the frozen
records the LayerMonitor sends. A "unit" is a feature (axis 1 of a (N, F) output, the last axis of a
(N, T, D) sequence) or a channel (axis 1 of a (N, C, H, W) output): it is dead or saturated across the
whole sampled batch (and every position).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from npnn import nn
from npnn.diagnostics.sequence import SequenceProbe
from npnn.diagnostics.thresholds import SATURATED_SAMPLE_SHARE, SATURATION_MARGIN

KINDS = ((nn.ReLU, "relu"), (nn.Sigmoid, "sigmoid"), (nn.Tanh, "tanh"))


@dataclass(frozen=True)
class LayerStats:
    """One layer of the model summary on one sampled batch; None where a number does not apply.

    `update_ratio` is ||Δθ|| / ||θ|| of the optimizer step that followed the batch (0: skipped step);
    `dead` the share of a ReLU's units that output 0 on every sample; `saturated` the share of a
    sigmoid/tanh layer's units saturated on most of the batch (thresholds.py says how much)."""
    label: str
    kind: str | None = None            # "relu", "sigmoid", "tanh" or None
    num_parameters: int = 0
    weight_norm: float | None = None
    grad_norm: float | None = None
    update_ratio: float | None = None
    mean: float | None = None
    std: float | None = None
    dead: float | None = None
    saturated: float | None = None


@dataclass(frozen=True)
class Saliency:
    """|d score of the predicted class / d input| of test sample `index`, scaled to [0, 1]."""
    index: int
    image: np.ndarray      # (H, W) the input, first channel
    map: np.ndarray        # (H, W) in [0, 1]
    predicted: int


@dataclass(frozen=True)
class InsideSample:
    """Every layer's statistics on sampled batch number `step` (training batches the monitor saw), with the
    first convolution's filters (out_channels, H, W) and a saliency map when the model has them, and a
    sequence model's attention maps and hidden-state norms on a prompt (npnn.diagnostics.sequence)."""
    step: int
    layers: tuple[LayerStats, ...]
    filters: np.ndarray | None = None
    saliency: Saliency | None = None
    sequence: SequenceProbe | None = None


def activation_kind(module) -> str | None:
    """"relu", "sigmoid" or "tanh" for those activation layers, else None."""
    for cls, kind in KINDS:
        if isinstance(module, cls):
            return kind
    return None


def norm(arrays) -> float:
    """The Euclidean norm of several arrays taken as one vector (float64: no overflow to inf)."""
    total = 0.0
    for a in arrays:
        flat = np.asarray(a, dtype=np.float64).ravel()
        total += float(np.dot(flat, flat))
    return math.sqrt(total)


def update_ratio(before, after) -> float:
    """||after - before|| / ||before|| over parameter arrays taken as one vector (inf if before is 0)."""
    change = norm(np.subtract(a, b, dtype=np.float64) for a, b in zip(after, before))
    size = norm(before)
    return change / size if size > 0 else (0.0 if change == 0 else math.inf)


def _units(output: np.ndarray) -> np.ndarray:
    """The output as (units, values per unit): a feature or channel axis moved first (the last of a (N, T, D)
    sequence, else axis 1); a (N,) output is one unit.

    NOTE: a 3-D output is a sequence's (batch, time, features), as npnn's batch-first recurrent, attention
    and embedding layers give it (npnn has no Conv1d, whose (N, C, L) would have its channels on axis 1)."""
    if output.ndim < 2:
        return output.reshape(1, -1)
    axis = -1 if output.ndim == 3 else 1
    return np.moveaxis(output, axis, 0).reshape(output.shape[axis], -1)


def dead_share(output: np.ndarray) -> float:
    """Share of units whose value is 0 for every sample (and position) of the batch."""
    units = _units(output)
    return float((~units.any(axis=1)).mean())


def saturated_share(output: np.ndarray, kind: str) -> float:
    """Share of units saturated on at least SATURATED_SAMPLE_SHARE of their values: a sigmoid within
    SATURATION_MARGIN of 0 or 1, a tanh within twice that of -1 or 1 (the slope there is below ~0.01-0.04)."""
    units = _units(output)
    if kind == "sigmoid":
        flat = (units < SATURATION_MARGIN) | (units > 1 - SATURATION_MARGIN)
    elif kind == "tanh":
        flat = np.abs(units) > 1 - 2 * SATURATION_MARGIN
    else:
        raise ValueError(f"saturated_share: kind must be 'sigmoid' or 'tanh', got {kind!r}")
    return float((flat.mean(axis=1) >= SATURATED_SAMPLE_SHARE).mean())


def activation_stats(output: np.ndarray, kind: str | None) -> dict:
    """mean and std of a layer's output, and its dead (ReLU) or saturated (sigmoid, tanh) share."""
    output = np.asarray(output)
    stats = {"mean": float(output.mean(dtype=np.float64)), "std": float(output.std(dtype=np.float64))}
    if kind == "relu":
        stats["dead"] = dead_share(output)
    elif kind in ("sigmoid", "tanh"):
        stats["saturated"] = saturated_share(output, kind)
    return stats


def first_conv(model):
    """The first Conv2d of the model (in modules() order), or None."""
    return next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)


def filter_images(weight: np.ndarray) -> np.ndarray:
    """A conv weight (out, in, kh, kw) as out images (kh, kw): the mean over input channels."""
    return np.asarray(weight, dtype=np.float64).mean(axis=1)
