"""The Predictions tab: which run it shows, then its confusion matrix and samples, or predicted vs actual."""
from __future__ import annotations

import re
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from presets import ClassPredictions, Predictions, RegressionPredictions
from tui.widgets.confusion import ConfusionMatrix
from tui.widgets.digits import DigitsView

EMPTY = "No predictions yet: train a run (F5) and its test-split predictions appear here."
# NOTE: the time a run directory's name carries (presets.rundir.make_run_dir); steady screens hide it
_STAMP = re.compile(r"\d{8}-\d{6}")


def run_label(run_dir, steady: bool) -> str:
    """The run directory's name; with its start time as YYYYMMDD-HHMMSS when screens must repeat (steady)."""
    name = Path(run_dir).name
    return _STAMP.sub("YYYYMMDD-HHMMSS", name) if steady else name


class PredictionsView(VerticalScroll):
    """A title naming the run, split and weights; below it the views of a classification or a regression."""

    def compose(self) -> ComposeResult:
        yield Static(EMPTY, id="predictions-title", markup=False)
        with Horizontal(id="predictions-row"):
            yield ConfusionMatrix("", id="confusion")
            with Vertical(id="samples"):
                yield DigitsView(id="digits")
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
        self.query_one("#predictions-title", Static).update(f"{run_name} · {predictions.split} split, {predictions.weights} weights")
        if isinstance(predictions, ClassPredictions):
            self.query_one(ConfusionMatrix).show(predictions.confusion)
            self.query_one(DigitsView).show(predictions.images, predictions.predicted, predictions.true)
        else:
            self.query_one("#residuals", Static).update(
                f"residuals (actual − predicted) on {len(predictions.actual)} test rows: "
                f"mean {predictions.residual_mean:+.4g} · std {predictions.residual_std:.4g} · "
                f"MAE {predictions.mae:.4g} ({predictions.target_name})")
