"""What the Inside tab knows about a run: each layer's numbers over the run, folded from InsideSamples.

Plain Python like tui.state: the message handler only calls `add`; the view redraws from it on the
screen's timer, only while the tab is visible.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from npnn.diagnostics import InsideSample, headline, verdict

HISTORY = 240  # samples kept for the sparklines
SERIES = ("weight_norm", "grad_norm", "log_update", "mean", "std", "health")


def log_update(ratio: float | None) -> float | None:
    """log10 of an update ratio; None when unknown, NaN for a skipped step (no change)."""
    if ratio is None:
        return None
    return math.log10(ratio) if ratio > 0 else math.nan


def health(stats) -> float | None:
    """A ReLU's dead share or a sigmoid/tanh's saturated share."""
    return stats.dead if stats.dead is not None else stats.saturated


@dataclass
class InsideState:
    """The latest sample, its verdicts and headline, and every number's recent history per layer."""
    latest: InsideSample | None = None
    verdicts: tuple = ()
    headline: str = ""
    series: list = field(default_factory=list)   # per layer: {name: deque of floats}
    filters: np.ndarray | None = None
    saliency: object = None                      # npnn.diagnostics.stats.Saliency
    sequence: object = None                      # npnn.diagnostics.sequence.SequenceProbe: attention, norms
    selected: int = 0                            # the test image picked for the saliency map
    samples: int = 0
    ended: bool = False                          # the run ended: its last sample stays, marked as the end
    version: int = 0

    def end(self) -> None:
        """The run ended: what was sampled last stays on show as the end of the run."""
        self.ended = True
        self.version += 1

    def add(self, sample: InsideSample) -> None:
        if len(self.series) != len(sample.layers):
            self.series = [{name: deque(maxlen=HISTORY) for name in SERIES} for _ in sample.layers]
        for stats, series in zip(sample.layers, self.series):
            values = dict(weight_norm=stats.weight_norm, grad_norm=stats.grad_norm,
                          log_update=log_update(stats.update_ratio), mean=stats.mean, std=stats.std,
                          health=health(stats))
            for name, value in values.items():
                if value is not None:
                    series[name].append(value)
        self.latest, self.samples = sample, self.samples + 1
        self.verdicts = tuple(verdict(s) for s in sample.layers)
        self.headline = headline(sample.layers, self.verdicts)
        if sample.filters is not None:
            self.filters = sample.filters
        if sample.saliency is not None:
            self.saliency = sample.saliency
        if sample.sequence is not None:
            self.sequence = sample.sequence
        self.version += 1

    def show_images(self, filters, saliency, sequence=None) -> None:
        """The final model's filters and a saliency map (after a run, or for a newly picked digit), and a
        sequence model's attention maps and norms (after a run; None keeps the last)."""
        self.filters, self.saliency = filters, saliency
        self.sequence = sequence if sequence is not None else self.sequence
        self.version += 1

