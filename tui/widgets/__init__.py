"""The trainer's widgets, one small module per view."""
from tui.widgets.confusion import ConfusionMatrix
from tui.widgets.digits import DigitsView
from tui.widgets.form import HyperparameterForm
from tui.widgets.inside import InsideView
from tui.widgets.predictions import PredictionsView
from tui.widgets.runs import RunsTable, RunsView
from tui.widgets.tables import MetricsTable, ModelSummary

__all__ = ["ConfusionMatrix", "DigitsView", "HyperparameterForm", "InsideView", "MetricsTable",
           "ModelSummary", "PredictionsView", "RunsTable", "RunsView"]
