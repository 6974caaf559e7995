"""MonitorSwitch: a fit-loop callback that attaches or detaches a LayerMonitor when another thread asks.

A UI thread must not add hooks while the training thread runs a forward pass, so `watch()` only
records the request; the switch applies it on the training thread when the loop next reports an
event (between batches, at least every batch_event_interval). Samples are delivered there too, with
a saliency map of the chosen test image for image models, attention maps and hidden-state norms on fixed
prompts for sequence models. With nobody watching, no hook is attached.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from time import perf_counter
from typing import Any

import numpy as np

from npnn.diagnostics.monitor import LayerMonitor
from npnn.diagnostics.saliency import saliency
from npnn.diagnostics.sequence import SequenceProbe, sequence_probe
from npnn.diagnostics.stats import InsideSample, Saliency
from npnn.events import Failed, Finished

SALIENCY_SECONDS = 0.5  # a new saliency map or sequence probe at most this often (one forward, and backward)
_UNCHANGED = object()


class MonitorSwitch:
    """`bind(model, labels, inputs)` once the model exists; `watch(callback)` from any thread starts
    sending InsideSample to `callback` from the next batch, `watch(None)` stops it; `select(i)` picks
    the test image (of `inputs` (N, C, H, W)) whose saliency map rides along with the samples; integer
    `inputs` (N, T) are a sequence model's prompts, probed (attention, hidden-state norms) along with them."""

    def __init__(self, **monitor_options) -> None:
        """`monitor_options`: LayerMonitor's budget and min_interval."""
        self._lock = threading.Lock()
        self._request: Any = _UNCHANGED  # a pending (callback, every) or _UNCHANGED
        self._options = monitor_options
        self._model: Any = None
        self._labels: Any = None
        self._images: np.ndarray | None = None
        self._prompts: np.ndarray | None = None
        self._vocab: Any = None
        self._monitor: LayerMonitor | None = None
        self._callback: Callable | None = None
        self._queue: list = []
        self._index, self._saliency_at, self._probed_at = 0, -SALIENCY_SECONDS, -SALIENCY_SECONDS
        self._shown: int | None = None

    def bind(self, model, labels=None, inputs: np.ndarray | None = None, vocab=None) -> None:
        """`vocab[i]` names token i of a sequence model's prompts."""
        self._model, self._labels, self._vocab = model, labels, vocab
        given = np.asarray(inputs) if inputs is not None and len(inputs) > 0 else None
        self._images = given if given is not None and given.ndim == 4 else None
        self._prompts = given if given is not None and given.ndim == 2 and given.dtype.kind in "iu" else None

    def probe(self) -> SequenceProbe | None:
        """The bound sequence model's attention maps and hidden-state norms on its prompts now (None for other
        models); from the training thread, or any thread once the model no longer trains."""
        if self._prompts is None or self._model is None:
            return None
        self._probed_at = perf_counter()
        return sequence_probe(self._model, self._prompts, self._labels, self._vocab)

    def watch(self, callback: Callable[[InsideSample], None] | None, every: int | None = None) -> None:
        """Any thread: deliver samples to `callback` from the next batch on (None: detach every hook);
        `every` as LayerMonitor's (None: k chosen to bound the cost)."""
        with self._lock:
            self._request = (callback, every)

    def select(self, index: int) -> None:
        """Any thread: the test image whose saliency map the next samples carry."""
        self._index = int(index)

    @property
    def attached(self) -> bool:
        return self._monitor is not None and self._monitor.attached

    def __call__(self, event) -> None:
        """The training thread, between batches: apply a pending watch(), deliver samples, detach at the end."""
        with self._lock:
            request, self._request = self._request, _UNCHANGED
        if request is not _UNCHANGED:
            self._switch(*request)
        if self._monitor is not None:
            self._monitor.flush()
            self._deliver()
        if isinstance(event, (Finished, Failed)):
            self._switch(None)

    def _switch(self, callback, every: int | None = None) -> None:
        if self._monitor is not None:
            self._monitor.detach()
            self._deliver()
            self._monitor = None
        self._callback = callback
        if callback is not None and self._model is not None:
            self._monitor = LayerMonitor(self._model, self._queue.append, labels=self._labels,
                                         every=every, **self._options).attach()

    def _deliver(self) -> None:
        if not self._queue:
            return
        samples = self._queue[:]
        self._queue.clear()  # NOTE: in place: the monitor appends to this very list
        if self._images is not None and (self._index != self._shown
                                         or perf_counter() - self._saliency_at >= SALIENCY_SECONDS):
            samples[-1] = replace(samples[-1], saliency=self._saliency())
        if self._prompts is not None and perf_counter() - self._probed_at >= SALIENCY_SECONDS:
            samples[-1] = replace(samples[-1], sequence=self.probe())
        assert self._callback is not None  # NOTE: samples come only from a monitor that has one
        for sample in samples:
            self._callback(sample)

    def _saliency(self) -> Saliency:
        assert self._images is not None  # NOTE: _deliver asks only when there are images
        index = self._index % len(self._images)
        image = self._images[index]
        heat, predicted = saliency(self._model, image)
        self._shown, self._saliency_at = self._index, perf_counter()
        return Saliency(index, np.asarray(image[0], dtype=np.float64), heat, predicted)
