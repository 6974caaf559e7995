"""The Predictions tab: which run it shows, then its confusion matrix and samples, or predicted vs actual."""
from __future__ import annotations

import re
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from presets import ClassPredictions, Predictions, RegressionPredictions
from tui.widgets.confusion import ConfusionMatrix, short
from tui.widgets.digits import DigitsView

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
    return f"{p.misclassified:,} of {total:,} test {what} wrong · the most confident mistakes first:"


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
        yield Static("", id="residuals", markup=False)

    def on_mount(self) -> None:
        self._kind(None)

    def _kind(self, predictions: Predictions | None) -> None:
        """Show only the views of this kind of predictions (none before the first run)."""
        self.query_one("#predictions-row").display = isinstance(predictions, ClassPredictions)
        self.query_one("#residuals").display = isinstance(predictions, RegressionPredictions)

    def show(self, run_name: str, predictions: Predictions) -> None:
        """Replace whatever is shown by the predictions of run `run_name`."""
        self._kind(predictions)
        self.query_one("#predictions-title", Static).update(
            f"{run_name} · {predictions.split} split, {predictions.weights} weights")
        if isinstance(predictions, ClassPredictions):
            self._show_classes(predictions)
        else:
            self.query_one("#residuals", Static).update(
                f"residuals (actual − predicted) on {len(predictions.actual)} test rows: "
                f"mean {predictions.residual_mean:+.4g} · std {predictions.residual_std:.4g} · "
                f"MAE {predictions.mae:.4g} ({predictions.target_name})")

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
