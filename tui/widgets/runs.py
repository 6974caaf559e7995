"""The table of every run of the session, so settings can be compared."""
from __future__ import annotations

from textual.widgets import DataTable

from tui.state import fmt

COLUMNS = ("#", "preset", "optimizer", "lr", "dropout", "patience", "epochs run", "best val loss",
           "test MSE", "test MAE", "test acc", "end", "run dir")


class RunsTable(DataTable):
    """One row per finished, stopped or failed run; rows are only ever added."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns(*COLUMNS)

    def add_run(self, number: int, config: dict, epochs_run: int, best_val: float | None,
                test: dict, end: str, run_dir: str | None) -> None:
        self.add_row(
            str(number), config.get("name", "?"), config.get("optimizer", "?"), fmt(config.get("lr")),
            fmt(config.get("dropout")), str(config.get("patience", "?")), str(epochs_run), fmt(best_val),
            fmt(test.get("mse")), fmt(test.get("mae")),
            fmt(test.get("accuracy")) if "accuracy" in test else "—", end, run_dir or "—",
            key=str(number))
