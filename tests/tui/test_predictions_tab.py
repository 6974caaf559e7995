"""The Predictions tab (F4) driven by Pilot: it names its run and follows the latest run of either kind."""
from __future__ import annotations

import io

import numpy as np
from rich.console import Console
from textual.widgets import Input, Select

from presets import ClassPredictions
from tests.bundles import CLASSIFIER_TOML, write_species_csv
from tests.tui.conftest import settle, train_to_the_end
from tests.tui.test_app import text_of
from tui.app import make_app
from tui.options import parse_options
from tui.widgets.predictions import EMPTY, digit_captions, misclassified_table, number
from tui.widgets.scatter import _tick

SIZE = (120, 40)


def shown(app) -> str:
    """Which views of the tab are visible: "classification", "regression" or "none"."""
    screen = app.screen
    if screen.query_one("#predictions-row").display:
        return "classification"
    return "regression" if screen.query_one("#regression").display else "none"


async def test_the_tab_names_the_run_directory_it_shows(tmp_path):
    app = make_app(parse_options(["--out", str(tmp_path / "runs"), "--epochs", "2"]), export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(app, "#predictions-title") == EMPTY and shown(app) == "none"
        await train_to_the_end(pilot)
        (run_dir,) = (tmp_path / "runs").iterdir()
        assert text_of(app, "#predictions-title") == f"{run_dir.name} · test split, best weights"


async def test_steady_screens_hide_the_time_in_the_run_name(app_for):
    app = app_for("--epochs", "2")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await train_to_the_end(pilot)
        assert text_of(app, "#predictions-title").startswith("tabular_mlp-YYYYMMDD-HHMMSS · test split")


async def test_a_run_of_the_other_kind_replaces_what_the_tab_shows(app_for):
    app = app_for("--epochs", "2")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await train_to_the_end(pilot)
        assert shown(app) == "regression" and text_of(app, "#residuals").startswith("Residuals")
        app.screen.query_one("#preset", Select).value = "mnist_cnn"
        await settle(pilot)
        app.screen.query_one("#epochs", Input).value = "1"
        await train_to_the_end(pilot, 2)
        assert shown(app) == "classification"
        assert text_of(app, "#predictions-title").startswith("mnist_cnn-")
        app.screen.query_one("#preset", Select).value = "tabular_mlp"
        await settle(pilot)
        app.screen.query_one("#epochs", Input).value = "1"
        await train_to_the_end(pilot, 3)
        assert shown(app) == "regression" and text_of(app, "#predictions-title").startswith("tabular_mlp-")


def crafted() -> ClassPredictions:
    """Three samples of classes "cat", "dog", "emu": two mistakes first, then a right one."""
    return ClassPredictions("test", "best", ["cat", "dog", "emu"], np.array([[3, 1, 0], [0, 2, 1], [0, 0, 4]]),
                            index=np.array([4, 1, 0]), true=np.array([0, 1, 2]),
                            top2=np.array([[1, 0], [2, 1], [2, 0]]),
                            top2_p=np.array([[0.7, 0.2], [0.55, 0.4], [0.9, 0.05]]), images=np.zeros((0, 0, 0)))


def test_misclassified_rows_list_true_predicted_and_second_class_with_probabilities():
    lines = [line.split() for line in plain_table(misclassified_table(crafted())).splitlines()[1:]]
    assert lines == [["4", "cat", "dog", "70%", "cat", "20%"], ["1", "dog", "emu", "55%", "dog", "40%"]]


def test_digit_captions_name_prediction_truth_and_the_top_two():
    assert digit_captions(crafted()) == [("pred dog · true cat", "dog 70% · cat 20%"),
                                         ("pred emu · true dog", "emu 55% · dog 40%"),
                                         ("pred emu · true emu", "emu 90% · cat 5%")]


def test_target_values_read_without_exponents_unless_huge_or_tiny():
    assert [number(v) for v in (51.2534, 0.0647, 200_000.4, 1234.5, 0.0, 4.9651e39, 1.5e-7)] == \
        ["51.25", "0.0647", "200,000", "1,234", "0", "4.965e+39", "1.500e-07"]
    assert number(3.8245, "+") == "+3.825" and number(-25_000.0, "+") == "-25,000"


def plain_table(table) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text().rstrip()


async def test_a_tabular_classification_shows_class_names_and_its_misclassified_rows(tmp_path):
    data = write_species_csv(tmp_path / "species.csv", n=150)
    preset = tmp_path / "species.toml"
    preset.write_text(CLASSIFIER_TOML.replace("epochs = 5", "epochs = 1"))
    app = make_app(parse_options(["--out", str(tmp_path / "runs"), "--preset", str(preset), "--data", str(data),
                                  "--target", "species"]), steady=True, export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await train_to_the_end(pilot)
        p = app.screen.runs.last[1].predictions
        confusion = text_of(app, "#confusion").splitlines()
        assert confusion[2].split() == ["true╲pred", "setosa", "versicolor", "virginica"]
        assert [line.split()[0] for line in confusion[3:]] == ["setosa", "versicolor", "virginica"]
        assert p.misclassified > 0  # one epoch is not enough here: there are mistakes to list
        rows = text_of(app, "#misclassified").splitlines()[1:]
        assert len(rows) == min(p.misclassified, len(p.index)) and all(row.split()[1] != row.split()[2] for row in rows)
        assert not app.screen.query_one("#digits").display


async def test_a_regression_shows_predicted_against_actual_in_the_targets_units(app_for):
    app = app_for("--epochs", "3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await train_to_the_end(pilot)
        await pilot.press("f4")  # NOTE: the scatter draws at its size, which it has once the tab is shown
        await pilot.pause()
        p = app.screen.runs.last[1].predictions
        scatter = text_of(app, "#scatter").splitlines()
        top = max(p.actual.max(), p.predicted.max())
        assert top > 300 and scatter[0].strip().startswith(_tick(top) + "┤")  # diabetes units, not z-scores
        assert f"{len(p.actual)} test rows" in scatter[-1]
        residuals = text_of(app, "#residuals")
        for name, value in (("mean", number(p.residual_mean, "+")), ("std", number(p.residual_std)),
                            ("MAE", number(p.mae))):
            assert f"{name} {value}" in " ".join(residuals.split())
