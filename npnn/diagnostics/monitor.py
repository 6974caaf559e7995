"""LayerMonitor: per-layer statistics gathered through module and tensor hooks on sampled batches.

While attached, one forward pre-hook on the model counts training batches; on every k-th it copies
the weights, hooks each layer's output and each parameter's gradient, and at the next forward (or
`flush()`, after the optimizer step) it has the step's update and sends an InsideSample. Unsampled
batches cost one hook call; `detach()` removes every handle, so nothing runs when nobody watches.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from time import perf_counter
from typing import Any

import numpy as np

from npnn.diagnostics.stats import (
    InsideSample,
    LayerStats,
    activation_kind,
    activation_stats,
    filter_images,
    first_conv,
    norm,
    update_ratio,
)
from npnn.tensor import is_grad_enabled

BUDGET = 0.02         # the share of training time sampling may take when k is chosen automatically
MIN_INTERVAL = 0.1    # seconds: no need to sample faster than a screen redraws
_SMOOTHING = 0.2      # weight of the newest batch time in its running mean


class LayerMonitor:
    """Statistics of each child of `model` (the rows of nn.summary) sent to `callback(InsideSample)`.

    `every`: sample every k-th training batch; None chooses k after each sample so the monitor's
    own time stays under `budget` of the batches' and samples come at most every `min_interval`
    seconds (a paused Step-mode run therefore samples every batch). `labels` default to the layers'
    `label()`. Attach, detach and flush from the thread that trains, between batches.
    """

    def __init__(self, model, callback: Callable[[InsideSample], None], *, labels=None, every: int | None = None,
                 budget: float = BUDGET, min_interval: float = MIN_INTERVAL):
        self.layers = list(model.children())
        if not self.layers:
            raise TypeError(f"LayerMonitor expects a model with child layers (e.g. Sequential), "
                            f"got {type(model).__name__} with none")
        self.labels = [layer.label() for layer in self.layers] if labels is None else [str(x) for x in labels]
        if len(self.labels) != len(self.layers):
            raise ValueError(f"LayerMonitor: {len(self.labels)} labels for {len(self.layers)} layers")
        if every is not None and (isinstance(every, bool) or not isinstance(every, int) or every < 1):
            raise ValueError(f"LayerMonitor: every must be a positive integer or None, got {every!r}")
        if not 0 < budget <= 1:
            raise ValueError(f"LayerMonitor: budget must be in (0, 1], got {budget!r}")
        self.model, self.callback, self.every = model, callback, every
        self.budget, self.min_interval = budget, min_interval
        self.kinds = [activation_kind(layer) for layer in self.layers]
        self.params = [list(layer.parameters()) for layer in self.layers]
        self.conv = first_conv(model)
        self.step = 0               # training batches seen while attached
        self.k = every or 1         # sample every k-th batch
        self._handles: list = []    # the model's pre-hook while attached
        self._sample: dict[str, Any] | None = None  # the sampled batch in flight
        self._countdown = 0
        self._last_batch: float | None = None
        self._batch_seconds: float | None = None

    @property
    def attached(self) -> bool:
        return bool(self._handles)

    def attach(self) -> LayerMonitor:
        if not self.attached:
            self._handles.append(self.model.register_forward_pre_hook(self._on_forward))
            self._countdown, self._last_batch = 0, None
        return self

    def detach(self) -> None:
        """Finish the sample in flight (its step has been taken when called between batches), remove every hook."""
        self.flush()
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def flush(self) -> None:
        """Send the sample of the last sampled batch now (call after its optimizer step)."""
        if self._sample is not None:
            self._complete(self._sample)

    # ---- hooks ------------------------------------------------------------------------------------
    def _on_forward(self, module, args) -> None:
        if self._sample is not None:
            self._complete(self._sample)  # NOTE: the optimizer step of the sampled batch happened before this forward
        if not (self.model.training and is_grad_enabled()):
            return                      # validation, evaluation or a saliency map: not a training batch
        now = perf_counter()
        if self._last_batch is not None:
            seconds = now - self._last_batch
            self._batch_seconds = seconds if self._batch_seconds is None else \
                (1 - _SMOOTHING) * self._batch_seconds + _SMOOTHING * seconds
        self._last_batch = now
        self.step += 1
        if self._countdown > 0:
            self._countdown -= 1
            return
        sample = self._begin()
        sample["cost"] += perf_counter() - now

    def _begin(self) -> dict[str, Any]:
        sample: dict[str, Any] = {"before": [[p.data.copy() for p in params] for params in self.params],
                  "outputs": [None] * len(self.layers), "grad_sq": [0.0] * len(self.layers),
                  "grads_seen": [0] * len(self.layers), "handles": [], "cost": 0.0}
        self._sample = sample
        for i, layer in enumerate(self.layers):
            sample["handles"].append(layer.register_forward_hook(self._output_hook(i, sample)))
            for p in self.params[i]:
                if p.requires_grad:
                    sample["handles"].append(p.register_hook(self._grad_hook(i, sample)))
        return sample

    def _output_hook(self, i: int, sample: dict[str, Any]):
        def hook(module, args, output):
            start = perf_counter()
            sample["outputs"][i] = activation_stats(output.data, self.kinds[i])
            sample["cost"] += perf_counter() - start
        return hook

    def _grad_hook(self, i: int, sample: dict[str, Any]):
        def hook(grad):
            start = perf_counter()
            flat = np.asarray(grad, dtype=np.float64).ravel()
            sample["grad_sq"][i] += float(np.dot(flat, flat))
            sample["grads_seen"][i] += 1
            sample["cost"] += perf_counter() - start
        return hook

    def _complete(self, sample: dict[str, Any]) -> None:
        start = perf_counter()
        self._sample = None
        for handle in sample["handles"]:
            handle.remove()
        rows = []
        for i, label in enumerate(self.labels):
            before, outputs = sample["before"][i], sample["outputs"][i] or {}
            params = self.params[i]
            row = dict(label=label, kind=self.kinds[i], num_parameters=sum(p.size for p in params), **outputs)
            if params:
                row["weight_norm"] = norm(before)
                row["update_ratio"] = update_ratio(before, [p.data for p in params])
                if sample["grads_seen"][i]:
                    row["grad_norm"] = math.sqrt(sample["grad_sq"][i])
            rows.append(LayerStats(**row))
        filters = None if self.conv is None else filter_images(self.conv.weight.data)
        self._choose_k(sample["cost"] + perf_counter() - start)
        self.callback(InsideSample(self.step, tuple(rows), filters))

    def _choose_k(self, cost: float) -> None:
        """Skip enough batches that sampling stays under `budget` of the time and `min_interval` apart."""
        if self.every is None and self._batch_seconds:
            batch = self._batch_seconds
            self.k = max(1, math.ceil(cost / (self.budget * batch)), math.ceil(self.min_interval / batch))
        self._countdown = self.k - 1
