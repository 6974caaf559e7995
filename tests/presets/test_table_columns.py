"""Column preprocessing decided from the training split alone (presets.table.columns / encode / load), as
training, Bundle.predict and `npnn-tui predict` apply it."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presets.datasets import load_data
from presets.errors import DataError
from presets.schema import DataSpec
from presets.table.columns import fit_columns
from presets.table.encode import encode
from presets.table.read import read_table
from tui.cli import main


def _write(tmp_path, lines: list[str], name: str = "t.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_plan_sees_only_the_training_rows(tmp_path):
    rows = ["n,t"] + [f"{i},{'a' if i < 3 else 'b'}" for i in range(6)] + ["", "100,zzz", "NA,"]
    table = read_table(_write(tmp_path, rows))
    plan = fit_columns(table, ["n", "t"], np.arange(6))  # the first six rows train
    number, category = plan.columns
    assert number == {"name": "n", "kind": "number", "fill": 2.5, "indicator": False}  # median of 0..5
    assert category == {"name": "t", "kind": "category", "categories": ["a", "b"]}
    encoded = encode(plan.columns, table.columns)
    # 100 stays 100; the gap takes the training median; zzz and the text gap (unseen in training) → last slot
    np.testing.assert_array_equal(encoded[6:], [[100, 0, 0, 1], [2.5, 0, 0, 1]])


def test_a_constant_text_column_is_left_out_but_two_values_are_categories(tmp_path):
    table = read_table(_write(tmp_path, ["t,u,y", "a,a,1", "a,b,2", "a,,3"]))
    plan = fit_columns(table, ["t", "u"], np.arange(3))
    assert [c["name"] for c in plan.columns] == ["u"] and plan.columns[0]["categories"] == ["", "a", "b"]
    assert plan.notes[0] == {"name": "t", "kind": "left out", "why": "the same value ('a') in every training row"}


def test_many_valued_text_dates_and_constants_are_left_out_naming_why(tmp_path):
    lines = ["id,day,same,gappy,x,y"] + [f"u{i},2021-03-{i % 28 + 1:02d},5,,{i},{i % 2}" for i in range(60)]
    table = read_table(_write(tmp_path, lines))
    plan = fit_columns(table, ["id", "day", "same", "gappy", "x"], np.arange(60))
    why = {note["name"]: note["why"] for note in plan.notes if note["kind"] == "left out"}
    assert why["id"].startswith("60 distinct text values in the training rows (more than 50: names or ids?")
    assert why["day"].startswith("dates (like '2021-03-01'): npnn does not split dates into parts")
    assert why["same"] == "the same value (5) in every training row"
    assert why["gappy"] == "no value in the training rows"
    assert [c["name"] for c in plan.columns] == ["x"]
    assert [c["name"] for c in fit_columns(table, ["id", "x"], np.arange(60), max_categories=60).columns] == ["id", "x"]


def test_gaps_get_the_training_median_and_a_was_missing_input(tmp_path):
    table = read_table(_write(tmp_path, ["a,y", "1,0", "?,1", "3,0", "10,1", "N/A,0"]))
    plan = fit_columns(table, ["a"], np.arange(5))
    assert plan.columns == [{"name": "a", "kind": "number", "fill": 3.0, "indicator": True}] and plan.width == 2
    np.testing.assert_array_equal(encode(plan.columns, table.columns), [[1, 0], [3, 1], [3, 0], [10, 0], [3, 1]])
    assert "2 missing filled with the median 3, plus a was-missing input" in plan.notes[0]["why"]


def test_rows_without_a_target_are_left_out_and_counted(tmp_path):
    lines = ["a,colour,y"] + [f"{i},{'red' if i % 3 else 'blue'},{'' if i % 10 == 0 else i * 2}" for i in range(60)]
    splits = load_data(DataSpec(source="csv"), "regression", _write(tmp_path, lines), "y")
    p = splits.preprocessing
    assert p["rows_left_out"] == 6 and "6 row(s) with no 'y' left out" in p["table_notes"]
    assert len(splits.x_train) + len(splits.x_val) + len(splits.x_test) == 54
    assert p["feature_names"] == ["a", "colour"] and splits.x_train.shape[1] == 1 + 3  # a, blue/red/unseen


def test_max_categories_and_column_choices_come_from_the_data_spec(tmp_path):
    lines = ["a,b,c,y"] + [f"{i},k{i % 4},{i % 5},{i % 2}" for i in range(40)]
    path = _write(tmp_path, lines)
    spec = DataSpec(source="csv", columns=("a", "b"), max_categories=3)
    splits = load_data(spec, "classification", path, "y")
    assert splits.preprocessing["feature_names"] == ["a"]  # b has 4 values > 3: left out
    assert splits.preprocessing["column_notes"][1]["kind"] == "left out"
    splits = load_data(DataSpec(source="csv", drop=("a",)), "classification", path, "y")
    assert splits.preprocessing["feature_names"] == ["b", "c"]
    with pytest.raises(DataError, match=r"data.drop \(--drop\) names 'nope', not a column of the file"):
        load_data(DataSpec(source="csv", drop=("nope",)), "classification", path, "y")
    with pytest.raises(DataError, match=r"data.columns names the target 'y'"):
        load_data(DataSpec(source="csv", columns=("a", "y")), "classification", path, "y")


def test_a_regression_on_a_text_target_is_refused_naming_the_line(tmp_path):
    path = _write(tmp_path, ["a,y", "1,low", "2,high"])
    with pytest.raises(DataError, match=r"the target of a regression must be numbers, got 'low' in column 'y' "
                                        r"\(line 2\)"):
        load_data(DataSpec(source="csv"), "regression", path, "y")


def _run(tmp_path, *argv):
    return main(["--headless", "--epochs", "1", "--out", str(tmp_path / "runs"), *argv])


def test_two_feature_columns_with_one_name_are_refused_by_training_and_predict_alike(tmp_path, capsys):
    good = _write(tmp_path, ["a,b,y"] + [f"{i},{i % 3},{i * 0.5}" for i in range(40)], "good.csv")
    twice = _write(tmp_path, ["a,b,a,y"] + [f"{i},{i % 3},{i},{i * 0.5}" for i in range(40)], "twice.csv")
    assert _run(tmp_path, "--data", str(twice), "--target", "y") == 2
    err = capsys.readouterr().err
    assert err == (f"npnn-tui: error: {twice}: column 'a' appears 2 times in the header (columns 1, 3); give "
                   "each column its own name\n")
    assert _run(tmp_path, "--data", str(good), "--target", "y") == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    capsys.readouterr()
    assert main(["predict", str(run_dir), str(twice)]) == 2
    assert capsys.readouterr().err.endswith("column 'a' appears 2 times in the header (columns 1, 3); give each "
                                            "column its own name\n")


def test_a_header_only_table_exits_2_in_one_line(tmp_path, capsys):
    path = _write(tmp_path, ["a,b,y"])
    assert _run(tmp_path, "--data", str(path), "--target", "y") == 2
    assert capsys.readouterr().err == (f"npnn-tui: error: {path}: expected a header row and data rows, found only "
                                       "the header\n")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("ab1.,;\t\"\n -?xé")), max_size=240),
       task=st.sampled_from(["regression", "classification"]))
def test_the_csv_loader_ends_arbitrary_tables_in_a_data_error_or_valid_splits(tmp_path, text, task):
    path = tmp_path / "fuzz.csv"
    path.write_text(text, encoding="utf-8")
    try:
        target = read_table(path).names[-1]
        splits = load_data(DataSpec(source="csv", test_size=0.2, val_size=0.2), task, path, target)
    except DataError as error:
        assert "\n" not in str(error)
        return
    assert splits.x_train.dtype == np.float32 and np.isfinite(splits.x_train).all()
    assert splits.x_train.shape[1] == splits.preprocessing["input_shape"][0]


def test_training_inputs_are_what_predict_makes_of_the_same_raw_rows(tmp_path):
    """The training split's encoding (one-hot standardised from counts) equals Bundle's (encode, then the
    stored mean/std) on the raw rows: what the model learnt on is what predict gives it."""
    from presets.table.inputs import table_inputs
    rng = np.random.default_rng(3)
    lines = ["n,c,y"] + [f"{'NA' if i % 7 == 0 else round(rng.normal(), 4)},{['a', 'b', 'c', ''][i % 4]},{i % 2}"
                         for i in range(90)]
    path = _write(tmp_path, lines)
    splits = load_data(DataSpec(source="csv", test_size=0.2, val_size=0.2, split_seed=1), "classification", path, "y")
    p = splits.preprocessing
    table = read_table(path)
    everything = (table_inputs(p, dict(table.columns)) - np.asarray(p["feature_mean"])) / np.asarray(p["feature_std"])
    rows = {tuple(np.round(row, 4)) for row in everything.astype(np.float32)}
    assert all(tuple(np.round(row, 4)) in rows for row in splits.x_train)
    assert splits.x_train.shape[1] == 2 + 4 + 1  # n and was-missing, '', a, b, c, unseen


def test_predict_takes_raw_rows_in_any_order_with_extra_columns_gaps_and_unseen_values(tmp_path, capsys):
    """`npnn-tui predict`, Bundle.predict and the ONNX model agree on raw rows with text, gaps and markers."""
    from presets import load_run
    rng = np.random.default_rng(5)
    lines = ["size,colour,y"] + [f"{rng.uniform(1, 9):.3f},{['red', 'blue', 'NA'][i % 3]},{i % 2}" for i in range(80)]
    assert _run(tmp_path, "--preset", "wine_mlp", "--data", str(_write(tmp_path, lines)), "--target", "y") == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    new = _write(tmp_path, ["note,colour,size", "x,red,2.5", "y,green,?", "z,,7", "w,N/A,null"], "new.csv")
    capsys.readouterr()
    assert main(["predict", str(run_dir), str(new)]) == 0
    printed = [row.split(",")[0] for row in capsys.readouterr().out.splitlines()[1:]]
    bundle = load_run(run_dir)
    raw = {"size": [2.5, None, 7.0, float("nan")], "colour": ["red", "green", "", "N/A"]}
    labels = bundle.predict(raw)
    assert printed == [str(label) for label in labels] and labels.dtype == np.int64
    onnxruntime = pytest.importorskip("onnxruntime")
    from presets.export.onnx import onnx_model
    session = onnxruntime.InferenceSession(onnx_model(bundle).SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {"size": np.array([[2.5], [np.nan], [7.0], [np.nan]]),
             "colour": np.array([["red"], ["green"], [""], ["NA"]], dtype=object)}
    label, probabilities = session.run(None, feeds)
    assert label.dtype == np.int64 and label.tolist() == labels.tolist()  # integer classes stay integers
    np.testing.assert_allclose(probabilities, bundle.predict_proba(raw), rtol=1e-5, atol=1e-6)
    missing = _write(tmp_path, ["colour,note", "red,x"], "missing.csv")
    assert main(["predict", str(run_dir), str(missing)]) == 2
    assert "missing column(s) 'size'; the model was trained on size, colour" in capsys.readouterr().err


@pytest.mark.parametrize("edit, message", [
    (lambda b: b["columns"][0].update(kind="date"), 'columns[0].kind must be "number" or "category", got \'date\''),
    (lambda b: b["columns"][0].update(fill="x"), "columns[0].fill must be a finite number or null, got 'x'"),
    (lambda b: b["columns"][1].update(categories=[]), "columns[1].categories must be a non-empty list of distinct"),
    (lambda b: b["columns"][1].update(categories=["a", "a"]), "columns[1].categories must be a non-empty list"),
    (lambda b: b.update(columns="size"), "columns must be a non-empty list of column tables, got 'size'"),
    (lambda b: b.update(input_shape=[3]), "input_shape must be [5] (the inputs the columns make), got [3]"),
    (lambda b: b["feature_std"].__setitem__(0, 0), "feature_std[0] must be"),
    (lambda b: b["columns"][1].update(name="size"), "columns[1].name must be a name no other column has, got 'size'"),
    (lambda b: b["columns"][0].update(indicator="yes"), "columns[0].indicator must be true or false, got 'yes'"),
    (lambda b: b.update(rows_left_out=-1), "rows_left_out must be an integer >= 0, got -1"),
])
def test_an_edited_bundle_table_section_is_refused_naming_the_key(tmp_path, capsys, edit, message):
    import json
    lines = ["size,colour,y"] + [f"{i % 9 if i % 5 else 'NA'},{['a', 'b'][i % 2]},{i * 0.5}" for i in range(60)]
    assert _run(tmp_path, "--data", str(_write(tmp_path, lines)), "--target", "y") == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    path = run_dir / "bundle.json"
    bundle = json.loads(path.read_text())
    edit(bundle)
    path.write_text(json.dumps(bundle))
    capsys.readouterr()
    assert main(["predict", str(run_dir), str(tmp_path / "t.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"npnn-tui: error: {path}: ") and message in err and err.count("\n") == 1
