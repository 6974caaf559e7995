"""A verdict per layer and one headline for the model, from LayerStats and the thresholds in thresholds.py.

Checks in order, the first that fires decides: non-finite numbers, vanishing or exploding gradients,
update size off the ~1e-3 rule of thumb, dying ReLUs, saturated sigmoid/tanh units.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from npnn.diagnostics import thresholds as T
from npnn.diagnostics.stats import LayerStats

LEVELS = ("ok", "warn", "bad")  # in rising severity


@dataclass(frozen=True)
class Verdict:
    level: str        # "ok", "warn" or "bad"
    text: str         # a few words: "gradients vanishing"
    detail: str = ""  # the numbers behind it: "grad norm 3e-9, 1e-6 of its weights' norm"


def sci(value: float) -> str:
    """A number for a verdict: 3e-9, 0.25, 12.5, 4e+12 (one significant digit when tiny or huge)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    if 1e-2 <= abs(value) < 1e3:
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent):+d}" if int(exponent) > 0 else f"{mantissa}e{int(exponent)}"


def _finite(*values) -> bool:
    return all(v is None or math.isfinite(v) for v in values)


def verdict(s: LayerStats) -> Verdict:
    """What one layer's numbers say, in a few words and the numbers behind them."""
    if not _finite(s.weight_norm):
        return Verdict("bad", "weights non-finite", f"weight norm {s.weight_norm}")
    if not _finite(s.grad_norm):
        return Verdict("bad", "gradients non-finite", f"grad norm {s.grad_norm}")
    if not _finite(s.mean, s.std):
        return Verdict("bad", "outputs non-finite", f"mean {s.mean}, std {s.std}")
    if s.grad_norm is not None and s.weight_norm:
        ratio = s.grad_norm / s.weight_norm
        if ratio < T.VANISHING_GRAD_RATIO:
            return Verdict("bad", "gradients vanishing",
                           f"grad norm {sci(s.grad_norm)}, {sci(ratio)} of its weights' norm")
        if ratio > T.EXPLODING_GRAD_RATIO:
            return Verdict("bad", "gradients exploding",
                           f"grad norm {sci(s.grad_norm)}, {sci(ratio)}× its weights' norm")
    if s.update_ratio is not None and s.update_ratio > 0:
        target = sci(T.UPDATE_RATIO_TARGET)
        if s.update_ratio > T.UPDATE_RATIO_HIGH:
            return Verdict("bad", "updates too large", f"a step moves the weights {sci(s.update_ratio)} of their "
                           f"norm (rule of thumb {target}): lower the learning rate")
        if s.update_ratio < T.UPDATE_RATIO_LOW:
            return Verdict("warn", "updates tiny", f"a step moves the weights {sci(s.update_ratio)} of their "
                           f"norm (rule of thumb {target}): raise the learning rate")
    if s.dead is not None and s.dead >= T.DEAD_RELU_SHARE:
        return Verdict("bad", "ReLUs dying", f"{s.dead:.0%} of its units output 0 on every sample")
    if s.saturated is not None and s.saturated >= T.SATURATED_SHARE:
        return Verdict("bad", "saturated", f"{s.saturated:.0%} of its units sit where the slope is almost 0")
    return Verdict("ok", "healthy")


def headline(layers, verdicts=None) -> str:
    """One line for the model: the earliest layer with the worst verdict, or that all layers look healthy."""
    layers = tuple(layers)
    if not layers:
        return ""
    verdicts = tuple(verdicts) if verdicts is not None else tuple(verdict(s) for s in layers)
    worst = max(LEVELS.index(v.level) for v in verdicts)
    if worst == 0:
        return f"All {len(layers)} layers healthy"
    flagged = [i for i, v in enumerate(verdicts) if v.level != "ok"]
    first = next(i for i in flagged if LEVELS.index(verdicts[i].level) == worst)
    v = verdicts[first]
    more = len(flagged) - 1
    tail = f" · {more} more layer{'s' if more > 1 else ''} flagged" if more else ""
    return f"{layers[first].label}: {v.text} — {v.detail}{tail}"
