"""The Predictions tab: which run it shows, then its confusion matrix and samples, predicted vs actual, or a
sequence model's completions of test prompts (the wrong ones first)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from presets import ClassPredictions, Predictions, RegressionPredictions, SequencePredictions
from tui.state import printable
from tui.widgets.chart import sparkline
from tui.widgets.confusion import ConfusionMatrix, short
from tui.widgets.digits import DigitsView
from tui.widgets.scatter import ScatterPlot

COMPLETIONS = 12  # a sequence model's completions listed: the wrong ones first
HISTOGRAM_BINS = 20  # the histogram's one line fits the residuals panel at 80 columns
EMPTY = "No predictions yet: train a run (F5) and its test-split predictions appear here."
# NOTE: the time a run directory's name carries (presets.rundir.make_run_dir); steady screens hide it
_STAMP = re.compile(r"\d{8}-\d{6}")


def run_label(run_dir, steady: bool) -> str:
    """The run directory's name; with its start time as YYYYMMDD-HHMMSS when screens must repeat (steady)."""
    name = Path(run_dir).name
    return _STAMP.sub("YYYYMMDD-HHMMSS", name) if steady else name


def samples_heading(p: ClassPredictions, what: str) -> str:
    total = int(p.confusion.sum())
    if not p.misclassified:
        return f"All {total:,} test {what} are classified right."
    return f"{p.misclassified:,} of {total:,} test {what} wrong · most confident first:"


def digit_captions(p: ClassPredictions) -> list[tuple[str, str]]:
    """Per image "pred 5 · true 7" and the top-2 probabilities "5 41% · 7 22%"."""
    names = p.class_names
    return [(f"pred {short(names[top[0]])} · true {short(names[true])}",
             f"{short(names[top[0]])} {probs[0]:.0%} · {short(names[top[1]])} {probs[1]:.0%}")
            for top, probs, true in zip(p.top2, p.top2_p, p.true)]


def misclassified_table(p: ClassPredictions) -> Table:
    """The misclassified tabular rows among the samples: true class, prediction and runner-up with probabilities."""
    table = Table(box=None, padding=(0, 1), show_edge=False)
    for name in ("test row", "true", "predicted", "p", "second", "p"):
        table.add_column(name, justify="right" if name in ("test row", "p") else "left", header_style="bold")
    names = p.class_names
    for row, true, top, probs in zip(p.index, p.true, p.top2, p.top2_p):
        if top[0] != true:
            table.add_row(str(row), names[true], Text(names[top[0]], style="red"), f"{probs[0]:.0%}",
                          names[top[1]], f"{probs[1]:.0%}")
    return table


def number(value: float, sign: str = "") -> str:
    """A target's value with four significant digits, without an exponent from 1e-4 to 1e9 (51.25, 0.0647,
    200,000), with one beyond (a diverged model's 4.965e+39)."""
    magnitude = abs(value)
    if magnitude >= 1e9 or 0 < magnitude < 1e-4:
        return f"{value:{sign}.3e}"
    return f"{value:{sign},.0f}" if magnitude >= 1000 else f"{value:{sign}.4g}"


def residuals_text(p: RegressionPredictions) -> Text:
    """The residuals' mean, spread and MAE in the target's units, and their histogram as one sparkline."""
    r = p.residuals
    text = Text("Residuals", style="bold")
    text.append(f" (actual − predicted) of {p.target_name!r}, in its units, on {r.size} test rows\n\n")
    for name, value in (("mean", number(p.residual_mean, "+")), ("std", number(p.residual_std)),
                        ("MAE", number(p.mae))):
        text.append(f"  {name:<5}", style="bold")
        text.append(f"{value}\n")
    if r.size:
        counts, edges = np.histogram(r, bins=HISTOGRAM_BINS)
        text.append("\n  ")
        text.append(sparkline(counts.tolist(), HISTOGRAM_BINS), style="cyan")
        text.append(f"\n  histogram {number(edges[0], '+')} … {number(edges[-1], '+')}", style="dim")
    return text


def completions_text(p: SequencePredictions) -> Text:
    """How many test prompts the model completes right, then COMPLETIONS of them, wrong ones first, each
    as prompt + the model's completion, with the true one beside a wrong answer."""
    right = p.right
    text = Text(f"{int(right.sum()):,} of {len(right):,} test prompts completed exactly (greedy, the most likely "
                "token each step)\n\n", style="bold")
    order = sorted(range(len(right)), key=lambda i: (bool(right[i]), i))[:COMPLETIONS]
    for i in order:
        text.append("  ✓ " if right[i] else "  ✗ ", style="green" if right[i] else "red")
        text.append(printable(p.prompts[i]), style="dim")
        text.append(printable(p.predicted[i]), style="green" if right[i] else "red")
        if not right[i]:
            text.append(f"   expected {p.expected[i]!r}", style="dim")
        text.append("\n")
    return text


class PredictionsView(VerticalScroll):
    """A title naming the run, split and weights; below it the views of a classification or a regression."""

    def compose(self) -> ComposeResult:
        yield Static(EMPTY, id="predictions-title", markup=False)
        with Horizontal(id="predictions-row"):
            yield ConfusionMatrix("", id="confusion")
            with Vertical(id="samples"):
                yield Static("", id="samples-title", markup=False)
                yield DigitsView(id="digits")
                yield Static("", id="misclassified")
        with Horizontal(id="regression"):
            yield ScatterPlot(id="scatter")
            yield Static("", id="residuals")
        yield Static("", id="completions")

    def on_mount(self) -> None:
        self._kind(None)

    def _kind(self, predictions: Predictions | None) -> None:
        """Show only the views of this kind of predictions (none before the first run)."""
        self.query_one("#predictions-row").display = isinstance(predictions, ClassPredictions)
        self.query_one("#regression").display = isinstance(predictions, RegressionPredictions)
        self.query_one("#completions").display = isinstance(predictions, SequencePredictions)

    def show(self, run_name: str, predictions: Predictions) -> None:
        """Replace whatever is shown by the predictions of run `run_name`."""
        self._kind(predictions)
        self.query_one("#predictions-title", Static).update(
            f"{run_name} · {predictions.split} split, {predictions.weights} weights")
        if isinstance(predictions, ClassPredictions):
            self._show_classes(predictions)
        elif isinstance(predictions, SequencePredictions):
            self.query_one("#completions", Static).update(completions_text(predictions))
        else:
            self._show_regression(predictions)

    def _show_regression(self, p: RegressionPredictions) -> None:
        title = f"{p.target_name!r}: predicted (y) vs actual (x)"
        self.query_one(ScatterPlot).show(p.actual, p.predicted, title=title)
        self.query_one("#residuals", Static).update(residuals_text(p))

    def _show_classes(self, p: ClassPredictions) -> None:
        self.query_one(ConfusionMatrix).show(p.confusion, p.class_names)
        images = p.images.size > 0
        digits, table = self.query_one(DigitsView), self.query_one("#misclassified", Static)
        digits.display, table.display = images, not images and p.misclassified > 0
        self.query_one("#samples-title", Static).update(samples_heading(p, "images" if images else "rows"))
        if images:
            digits.show(p.images, digit_captions(p), p.predicted == p.true)
        else:
            table.update(misclassified_table(p))
