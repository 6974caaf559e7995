"""The verdict on a run and the next step to try, read from its per-epoch history.

`advise(history_numbers)` answers at the end of a run (and on demand while it trains) with one verdict
and one next step, in the order a teacher would check: diverged, stuck, overfitting, still improving,
underfitting, settled. Every threshold is one constant below; docs/advice.md lists them (a test keeps
it current).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

# Every threshold of the verdicts, in one place (docs/advice.md is generated from this table)
THRESHOLDS = {
    "stuck_change": (0.02, "the train loss moved less than this share of its first value: stuck"),
    "overfit_rise": (0.10, "the val loss ended this share above its best ..."),
    "overfit_train_fall": (0.05, "... while the train loss fell at least this share since the best epoch"),
    "falling_window": (3, "epochs over which 'still falling' is judged"),
    "falling_share": (0.01, "the val loss fell at least this share over that window: still falling"),
    "underfit_share": (0.5, "best val loss above this share of the baseline (predicting the mean / class "
                            "frequencies) ..."),
    "underfit_gap": (0.15, "... with train and val loss within this share of each other: underfitting"),
    "min_epochs": (3, "fewer epochs than this: too early to judge trends"),
}


def threshold(name: str):
    return THRESHOLDS[name][0]


@dataclass(frozen=True)
class Advice:
    """`kind` is a stable key (diverged, stuck, overfitting, still_improving, underfitting, settled,
    too_early); `verdict` says what happened with its numbers; `next_step` says what to try."""
    kind: str
    verdict: str
    next_step: str

    def line(self) -> str:
        return f"{self.verdict} → {self.next_step}"

    @property
    def trains_longer(self) -> bool:
        """The next step is more epochs of this same run: front ends offer to continue it from its checkpoint."""
        return self.kind == "still_improving"


def _share(old: float, new: float) -> float:
    """How much `new` is below `old`, as a share of |old| (negative: it rose)."""
    return (old - new) / abs(old) if old else 0.0


def _finite(values) -> list[tuple[int, float]]:
    return [(i, v) for i, v in enumerate(values) if v is not None and math.isfinite(v)]


def advise(train_loss: list[float], val_loss: list[float | None], *, stop_reason: str | None = None,
           best_epoch: int | None = None, lr: float | None = None, baseline: float | None = None,
           divergence: dict | None = None, regularised: bool = False) -> Advice:
    """The verdict for a run with these per-epoch losses (epoch k at index k-1).

    `stop_reason` as History's (None while running); `baseline`: the loss of a model that predicts the
    training mean (regression) or class frequencies (classification), None when unknown; `lr`: the
    learning rate, used to suggest a new one; `regularised`: the model already has Dropout or weight
    decay (the overfitting advice then says to raise it rather than add it).
    """
    if stop_reason == "diverged" or divergence:
        where = f" at epoch {divergence['epoch']}, batch {divergence['batch']}" if divergence else ""
        return Advice("diverged", f"the loss became non-finite{where}",
                      "lower the learning rate" + (f" (try {lr / 10:.3g})" if lr else ""))
    train = _finite(train_loss)
    monitored = _finite(val_loss) or train
    if len(train) < threshold("min_epochs"):
        return Advice("too_early", f"{len(train)} epoch{'s' if len(train) != 1 else ''} so far",
                      "train a few more epochs before judging")
    first, last = train[0][1], train[-1][1]
    if abs(_share(first, last)) < threshold("stuck_change") and \
            abs(_share(monitored[0][1], min(v for _, v in monitored))) < threshold("stuck_change"):
        return Advice("stuck", f"the loss barely moved ({first:.4g} → {last:.4g} in {len(train)} epochs)",
                      "raise the learning rate" + (f" (try {lr * 10:.3g})" if lr else ""))
    best_index, best_value = min(monitored, key=lambda item: item[1])
    best_number = best_epoch if best_epoch is not None else best_index + 1
    end_value = monitored[-1][1]
    if val_loss and _finite(val_loss) and best_index < monitored[-1][0]:
        rise = -_share(best_value, end_value)
        train_at_best = dict(train).get(best_index, first)
        fall = _share(train_at_best, last)
        if rise >= threshold("overfit_rise") and fall >= threshold("overfit_train_fall"):
            return Advice("overfitting",
                          f"overfitting since epoch {best_number}: val loss up {rise:.0%} while train loss fell "
                          f"{fall:.0%}; best weights (epoch {best_number}) kept",
                          "raise dropout or weight decay" if regularised else "add dropout or weight decay")
    window = int(threshold("falling_window"))
    if len(monitored) > window and stop_reason in (None, "completed"):
        before = monitored[-1 - window][1]
        if end_value <= best_value and _share(before, end_value) >= threshold("falling_share"):
            which = "validation" if _finite(val_loss) else "training"
            return Advice("still_improving",
                          f"{which} loss still falling at the last epoch ({before:.4g} → {end_value:.4g} over "
                          f"{window} epochs)", "train longer")
    if baseline and baseline > 0 and best_value > threshold("underfit_share") * baseline:
        train_best = min(v for _, v in train)
        if abs(_share(best_value, train_best)) <= threshold("underfit_gap"):
            return Advice("underfitting",
                          f"train and val loss both high ({train_best:.4g} and {best_value:.4g}; predicting the "
                          f"average scores {baseline:.4g})", "a bigger model (wider or deeper layers)")
    return Advice("settled", f"the loss settled: best {best_value:.4g} at epoch {best_number}",
                  "compare the test metric; try a sweep for more")


def markdown() -> str:
    """docs/advice.md: each verdict's thresholds."""
    lines = ["# Run verdicts", "", "Generated by `python -m presets.advice` from `presets/advice.py`.",
             "At the end of every run (and on demand while it trains) the app and headless runs print one",
             "verdict and a next step. Checked in this order: diverged, too early, stuck, overfitting, still",
             "improving, underfitting, settled.", "", "| threshold | value | meaning |", "|---|---:|---|"]
    lines += [f"| `{name}` | {value:g} | {meaning} |" for name, (value, meaning) in THRESHOLDS.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
