"""Reading tables as users bring them (presets.table.read): delimiters, quoting, BOM, CRLF, blank lines,
missing markers, pandas' index column, bad headers; and arbitrary bytes end in a DataError or a table."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presets.errors import DataError
from presets.table import read as table_read
from presets.table.encode import MISSING_MARKERS
from presets.table.read import read_header, read_table


def _write(tmp_path, text: str, name: str = "t.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("delimiter, name", [(",", "t.csv"), (";", "t.csv"), ("\t", "t.tsv"), ("|", "t.txt"),
                                             ("\t", "t.csv"), (";", "t.txt")])
def test_the_delimiter_is_sniffed_whatever_the_suffix(tmp_path, delimiter, name):
    rows = [["a", "b c", "kind"], ["1.5", "2", "x"], ["3", "4e2", "y z"]]
    path = _write(tmp_path, "\n".join(delimiter.join(row) for row in rows) + "\n", name)
    table = read_table(path)
    assert table.names == ["a", "b c", "kind"] and table.delimiter == delimiter
    np.testing.assert_array_equal(table.columns["b c"], [2.0, 400.0])
    assert table.columns["kind"].tolist() == ["x", "y z"]


def test_quoted_fields_bom_crlf_and_blank_lines_keep_working(tmp_path):
    text = '\ufeff"name","note",value\r\n\r\n"Smith, J.","said ""hi""",1\r\n  \r\n"Ng","",2\r\n'
    table = read_table(_write(tmp_path, text))
    assert table.names == ["name", "note", "value"]
    assert table.columns["name"].tolist() == ["Smith, J.", "Ng"]
    assert table.columns["note"].tolist() == ['said "hi"', ""]
    assert table.lines.tolist() == [3, 5]  # the line each row is on, for messages


@pytest.mark.parametrize("marker", MISSING_MARKERS)
def test_each_missing_marker_is_a_gap_in_numbers_and_in_text(tmp_path, marker):
    text = f"n,t,k\n1,a,1\n{marker},{marker},2\n 3 , b ,3\n"
    table = read_table(_write(tmp_path, text))
    assert np.isnan(table.columns["n"][1]) and table.columns["n"][[0, 2]].tolist() == [1.0, 3.0]
    assert table.columns["t"].tolist() == ["a", "", "b"]  # stripped; a gap is ""


@pytest.mark.parametrize("header", ["", "Unnamed: 0"])
def test_a_pandas_index_column_is_dropped_with_a_note(tmp_path, header):
    text = f"{header},a,y\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in (3, 0, 1, 2))
    table = read_table(_write(tmp_path, text))
    assert table.names == ["a", "y"]
    assert any("row index as pandas writes one: left out" in note for note in table.notes)


def test_a_first_column_named_unnamed_that_is_not_an_index_is_kept(tmp_path):
    table = read_table(_write(tmp_path, "Unnamed: 0,y\n1.5,1\n1.5,0\n"))
    assert table.names == ["Unnamed: 0", "y"] and not table.notes


@pytest.mark.parametrize("text, message", [
    ("a,,y\n1,2,3\n", "column 2 of the header has no name; name it in the header row"),
    (",y\n1.5,1\n1.5,0\n", "column 1 of the header has no name and does not hold a row index; name it in the "
                         "header row"),
    ("a,b,a\n1,2,3\n", "column 'a' appears 2 times in the header (columns 1, 3); give each column its own name"),
    ("a,y\n", "expected a header row and data rows, found only the header"),
    ("\n\n", "expected a header row and data rows, found no non-empty line"),
    ("a,y\n1,2\n3\n", "line 3 has 1 fields, the header has 2 (comma-delimited)"),
    ("a;y\n1;2\n3;4;5\n", "line 3 has 3 fields, the header has 2 (semicolon-delimited)"),
    ("a,y\n1,inf\n", "line 2, column 'y': expected a finite number, got 'inf'"),
])
def test_bad_tables_are_refused_in_one_line_naming_the_place(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(DataError) as info:
        read_table(path)
    assert str(info.value) == f"{path}: {message}"


def test_a_file_that_is_not_utf8_is_named_as_such(tmp_path):
    path = _write(tmp_path, "name,y\nCafé,1\n", encoding="latin-1")
    with pytest.raises(DataError, match=r"not UTF-8 text \(byte \d+: invalid continuation byte\); save the table"):
        read_table(path)


def test_a_column_that_turns_to_text_after_the_first_chunk_is_read_again_as_text(tmp_path, monkeypatch):
    monkeypatch.setattr(table_read, "_CHUNK_ROWS", 4)
    text = "n,y\n" + "".join(f"{i},{i % 2}\n" for i in range(10)) + "ten,1\n"
    table = read_table(_write(tmp_path, text))
    assert table.is_text("n") and table.columns["n"].tolist() == [*map(str, range(10)), "ten"]
    assert not table.is_text("y")


def test_a_preview_reads_the_first_rows_only(tmp_path):
    path = _write(tmp_path, "a,y\n" + "".join(f"{i},{i}\n" for i in range(50)))
    assert len(read_table(path, max_rows=7)) == 7 and len(read_table(path)) == 50


def test_read_header_strips_the_names_and_names_the_delimiter(tmp_path):
    assert read_header(_write(tmp_path, "a | b |price\n1|2|3\n")) == (["a", "b", "price"], "|")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=300),
                      st.text(alphabet=st.sampled_from(list('ab1.,;|\t"\n\r -?\x00\ufeffé')), max_size=200)
                      .map(lambda text: text.encode("utf-8"))))
def test_arbitrary_bytes_end_in_a_data_error_or_a_valid_table(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        table = read_table(path)
    except DataError as error:
        assert str(error).startswith(str(path)) and "\n" not in str(error)
        return
    assert len(table) > 0 and all(len(column) == len(table) for column in table.columns.values())
    assert len(set(table.names)) == len(table.names)
    for name in table.names:
        values = table.columns[name]
        assert values.dtype == object or not np.isinf(values).any()
