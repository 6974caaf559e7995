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

    def add_run(self, number: int, preset, epochs_run: int, best_val: float | None,
                test: dict, end: str, run_dir) -> None:
        """Add run `number` of `preset` (a presets.Preset, overrides applied) with how it ended."""
        self.add_row(
            str(number), preset.name, preset.optimizer, fmt(preset.lr), fmt(preset.dropout),
            str(preset.patience), str(epochs_run), fmt(best_val),
            fmt(test.get("mse")), fmt(test.get("mae")),
            fmt(test.get("accuracy")) if "accuracy" in test else "—", end, str(run_dir or "—"),
            key=str(number))
