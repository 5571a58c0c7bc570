"""The CSV loader: a corpus of malformed files, good files with exact values, limits and `Dataset.select`."""

import io
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.data import (
    CLASSIFICATION,
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_FEATURES,
    MAX_ROWS,
    REGRESSION,
    DataError,
    Dataset,
    load_csv,
)

_RANDOM_BYTES = np.random.default_rng(7).integers(0, 256, 2000, dtype=np.uint8).tobytes() + b"\x00"

# (id, file content, words the error message must contain); even positions are loaded from a path,
# odd ones from io.BytesIO.
_MALFORMED_FILES = [
    ("empty", b"", ["empty", "0 bytes"]),
    ("whitespace_only", b"  \n\t\r\n   \n", ["only whitespace"]),
    ("bom_only", b"\xef\xbb\xbf", ["only whitespace"]),
    ("byte_order_mark_after_a_blank_line", b"\r\n\xef\xbb\xbf", ["no header row"]),
    ("header_only", b"a,b,c\n", ["no data rows"]),
    ("only_blank_rows", b"x,y\n,\n\n,\n", ["no data rows"]),
    ("one_data_row", b"x,y\n1,2\n", ["1 complete data row", "at least 2"]),
    ("png_image", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", ["PNG image", "not a CSV"]),
    ("random_bytes_with_nul", _RANDOM_BYTES, ["binary data"]),
    ("xlsx_workbook", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", ["Excel workbook"]),
    ("pdf_document", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", ["PDF document"]),
    ("undecodable_utf16", b"\xff\xfex\x00,", ["UTF-16"]),
    ("c1_control_bytes", b"x,y\n1,2\n3,\x81\x90\n", ["binary data", "line 3"]),
    ("duplicate_header", b"x,y,x\n1,2,3\n4,5,6\n", ["Duplicate column name 'x'", "columns 1 and 3"]),
    ("duplicate_after_strip", b"a, a ,b\n1,2,3\n4,5,6\n", ["Duplicate column name 'a'"]),
    ("no_numeric_columns", b"name,city\nAnn,Oslo\nBob,Rome\n", ["two numeric columns", "found none"]),
    ("one_numeric_column", b"name,score\nAnn,1\nBob,2\n", ["found only 'score'"]),
    ("stray_text_in_numbers", b"x,y\n1,2\n3,abc\n5,6\n7,8\n", ["Column 'y'", "line 3", "'abc'"]),
    ("quoted_decimal_comma_in_comma_file", b'x,y\n1.5,2\n"2,5",3\n4.5,6\n', ["'2,5'", "decimal mark"]),
    ("unquoted_decimal_comma_in_comma_file", b"x,y\n1.5,2\n2,5,3\n", ["Line 3 has 3 values", "header has 2"]),
    ("decimal_point_in_decimal_comma_file", b"x;y\n1,5;2\n2.5;3\n3,5;4\n4,5;5\n", ["'2.5'", "decimal mark"]),
    ("too_few_complete_rows", b"x,y\n1,\n,2\n3,4\n", ["after dropping 2", "missing values"]),
    ("constant_columns", b"x,c,y\n1,5,1\n1,5,2\n1,5,3\n", ["constant", "'x', 'c'"]),
    ("infinite_value", b"x,y\n1,2\ninf,3\n4,5\n", ["infinite value 'inf'", "line 3", "Column 'x'"]),
    ("overflowing_value", b"x,y\n1,2\n3,-1e400\n4,5\n", ["infinite value '-1e400'"]),
    ("ragged_rows", b"a,b\n1,2\n3,4,5\n6,7\n", ["Line 3 has 3 values"]),
    ("unclosed_quote", b'a,b\n1,2\n3,4\n5,"6\n7,8\n', ["never closed", "line 4"]),
    ("formula_cell", b"x,y\n1,2\n=1+2,3\n4,5\n6,7\n", ["'=1+2'", "formulas are not evaluated"]),
    ("at_formula_cell", b"x,y\n1,2\n@SUM(A1),3\n4,5\n6,7\n", ["'@SUM(A1)'", "formulas"]),
    ("line_numbers_count_leading_blank_lines", b"\n\n x,y\n1,2\n3,abc\n5,6\n7,8\n", ["line 5", "'abc'"]),
    ("script_header_named_verbatim", b"<script>alert(1)</script>,y\n1,2\nx,3\n4,5\n6,7\n",
     ["Column '<script>alert(1)</script>'", "line 3"]),
]

_MALFORMED = [
    pytest.param(raw, words, "path" if position % 2 == 0 else "stream", id=case_id)
    for position, (case_id, raw, words) in enumerate(_MALFORMED_FILES)
]


def _load(raw: bytes, via: str, tmp_path):
    if via == "path":
        path = tmp_path / "data.csv"
        path.write_bytes(raw)
        return load_csv(path)
    return load_csv(io.BytesIO(raw))


def _load_error(raw: bytes, via: str = "stream", tmp_path=None) -> str:
    with pytest.raises(DataError) as caught:
        _load(raw, via, tmp_path)
    return str(caught.value)


def test_the_corpus_is_big_and_split_between_paths_and_streams():
    vias = [param.values[2] for param in _MALFORMED]
    assert len(vias) >= 20 and vias.count("path") >= 10 and vias.count("stream") >= 10


@pytest.mark.parametrize(("raw", "words", "via"), _MALFORMED)
def test_a_malformed_file_raises_a_data_error_that_says_why(raw, words, via, tmp_path):
    message = _load_error(raw, via, tmp_path)
    for word in words:
        assert word in message
    assert "Traceback" not in message and "C error" not in message and "tokenizing" not in message


# (id, content, feature names, target name, X, y, task)
_GOOD_FILES = [
    ("simple_comma", b"x1,x2,y\n1,2,3\n4,5,6\n", ("x1", "x2"), "y", [[1, 2], [4, 5]], [3, 6], REGRESSION),
    ("semicolon_decimal_comma", b"a;b;label\n1,5;-2,25;0\n3,0;4,5;1\n", ("a", "b"), "label",
     [[1.5, -2.25], [3.0, 4.5]], [0, 1], CLASSIFICATION),
    ("tab_separated", b"a\tb\tc\n1.5\t2\t-3e2\n4\t5\t6\n", ("a", "b"), "c", [[1.5, 2], [4, 5]], [-300, 6],
     REGRESSION),
    ("utf8_bom", b"\xef\xbb\xbfx,y\n1,2\n3,4\n", ("x",), "y", [[1], [3]], [2, 4], REGRESSION),
    ("latin1_header", "température;débit\n1;2\n3;5\n".encode("latin-1"), ("température",), "débit",
     [[1], [3]], [2, 5], REGRESSION),
    ("utf16_tab_excel_unicode_text", "a\tb\r\n1,5\t2\r\n3\t4\r\n".encode("utf-16"), ("a",), "b",
     [[1.5], [3]], [2, 4], REGRESSION),
    ("pandas_index_column", b",x,y\n0,1,2\n1,3,5\n2,4,4\n", ("column_1", "x"), "y",
     [[0, 1], [1, 3], [2, 4]], [2, 5, 4], REGRESSION),
    ("quoted_fields_and_text_column", b'"name","x","y"\n"Smith, J","1","2"\n"Doe, A","3.5","4"\n', ("x",), "y",
     [[1], [3.5]], [2, 4], REGRESSION),
    ("windows_line_endings", b"x,y\r\n1,2\r\n3,4\r\n", ("x",), "y", [[1], [3]], [2, 4], REGRESSION),
    ("missing_values_dropped", b"x,y\n1,2\n,3\n4,5\nNA,6\n7,?\n8,9\n", ("x",), "y", [[1], [4], [8]], [2, 5, 9],
     REGRESSION),
    ("constant_column_not_a_feature", b"x,c,y\n1,7,2\n2,7,3\n3,7,5\n", ("x",), "y", [[1], [2], [3]], [2, 3, 5],
     REGRESSION),
    ("constant_last_column_not_the_target", b"x,y,c\n1,2,7\n3,5,7\n", ("x",), "y", [[1], [3]], [2, 5], REGRESSION),
    ("script_and_number_headers", b"<script>alert(1)</script>,  2 ,y\n1,2,3\n4,5,7\n",
     ("<script>alert(1)</script>", "2"), "y", [[1, 2], [4, 5]], [3, 7], REGRESSION),
    ("formula_column_is_text", b"x,f,y\n1,=1+2,3\n2,@SUM(A1),5\n3,=A1,4\n", ("x",), "y", [[1], [2], [3]],
     [3, 5, 4], REGRESSION),
    ("blank_lines_around_and_inside", b"\n\nx,y\n1,2\n\n3,4\n\n\n", ("x",), "y", [[1], [3]], [2, 4], REGRESSION),
    ("pipe_separated", b"x|y\n1|2\n3|4\n", ("x",), "y", [[1], [3]], [2, 4], REGRESSION),
    ("classification_written_as_floats", b"x,y\n1,0.0\n2,1.0\n3,1\n", ("x",), "y", [[1], [2], [3]], [0, 1, 1],
     CLASSIFICATION),
    ("zeros_ones_and_twos_are_regression", b"x,y\n1,0\n2,1\n3,2\n", ("x",), "y", [[1], [2], [3]], [0, 1, 2],
     REGRESSION),
]


@pytest.mark.parametrize(("raw", "features", "target", "X", "y", "task"),
                         [pytest.param(*case[1:], id=case[0]) for case in _GOOD_FILES])
def test_a_good_file_loads_with_exact_values(raw, features, target, X, y, task):
    data = load_csv(io.BytesIO(raw))
    assert data.feature_names == features and data.target_name == target and data.task == task
    np.testing.assert_array_equal(data.X, np.array(X, dtype=np.float64))
    np.testing.assert_array_equal(data.y, np.array(y, dtype=np.float64))
    assert data.X.dtype == np.float64 and data.y.dtype == np.float64
    assert data.X.flags.c_contiguous and data.X.shape == (data.n, data.p) and data.y.shape == (data.n,)


def test_the_name_is_the_file_name_for_a_path_and_a_placeholder_for_a_nameless_stream(tmp_path):
    path = tmp_path / "houses.csv"
    path.write_bytes(b"x,y\n1,2\n3,4\n")
    assert load_csv(path).name == "houses.csv"
    assert load_csv(str(path)).name == "houses.csv"
    assert load_csv(io.BytesIO(b"x,y\n1,2\n3,4\n")).name == "uploaded CSV"


class _UploadedFile(io.BytesIO):
    """Like Streamlit's UploadedFile: a BytesIO with the file's name."""

    name = "folder/uploads/prices.csv"


def test_an_uploaded_file_is_read_from_the_start_and_named_by_its_file_name():
    upload = _UploadedFile(b"x,y\n1,2\n3,4\n")
    upload.read()
    data = load_csv(upload)
    assert data.name == "prices.csv"
    np.testing.assert_array_equal(data.y, [2.0, 4.0])


def test_a_text_mode_stream_is_a_programming_error():
    with pytest.raises(TypeError, match="binary"):
        load_csv(io.StringIO("x,y\n1,2\n3,4\n"))


def test_a_missing_path_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="Cannot open 'absent.csv'"):
        load_csv(tmp_path / "absent.csv")


def test_the_table_keeps_every_numeric_column_and_drops_text_and_incomplete_rows():
    data = load_csv(io.BytesIO(b"id,name,c,x,y\n1,Ann,7,0.5,1\n2,Bob,7,,2\n3,Cy,7,1.5,4\n4,Di,7,2.5,3\n"))
    assert list(data.table.columns) == ["id", "c", "x", "y"]
    assert (data.table.dtypes == np.float64).all()
    np.testing.assert_array_equal(data.table.to_numpy(), [[1, 7, 0.5, 1], [3, 7, 1.5, 4], [4, 7, 2.5, 3]])
    assert data.feature_names == ("id", "x")
    assert "Dropped 1 rows with missing values" in data.description
    assert "Ignored non-numeric columns: 'name'" in data.description


def test_the_description_names_the_dialect_and_warns_about_a_numeric_header():
    assert "semicolon-separated, decimal comma" in load_csv(io.BytesIO(b"a;b\n1,5;2\n3;4,25\n")).description
    assert "header row is all numbers" in load_csv(io.BytesIO(b"1,2\n3,4\n5,6\n")).description
    assert "header row" not in load_csv(io.BytesIO(b"x,2\n3,4\n5,6\n")).description


def test_a_million_row_file_fails_on_the_row_limit_quickly():
    raw = b"1,2\n" * 10**6
    start = time.perf_counter()
    message = _load_error(raw)
    assert time.perf_counter() - start < 2.0
    assert "200,000" in message and "rows" in message


def test_exactly_max_rows_data_rows_load_and_one_more_does_not():
    rows = "".join(f"{i},{i % 7}\n" for i in range(MAX_ROWS))
    assert load_csv(io.BytesIO(f"x,y\n{rows}".encode())).n == MAX_ROWS
    assert "200,000" in _load_error(f"x,y\n{rows}1,2\n".encode())


class _RecordingStream(io.BytesIO):
    """A BytesIO that records how many bytes each read asked for."""

    def __init__(self, raw: bytes):
        super().__init__(raw)
        self.requests = []

    def read(self, size=-1):
        self.requests.append(size)
        return super().read(size)


def test_a_stream_above_max_bytes_fails_on_size_without_reading_more():
    stream = _RecordingStream(b"1" * (MAX_BYTES + 1) + b"more that must not be read")
    with pytest.raises(DataError, match="20 MB limit"):
        load_csv(stream)
    assert stream.requests and all(0 <= size <= MAX_BYTES + 1 for size in stream.requests)


def test_a_path_above_max_bytes_fails_on_size(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x,y\n" + b"1" * MAX_BYTES)
    with pytest.raises(DataError, match="20 MB limit"):
        load_csv(path)


def test_a_file_of_exactly_max_bytes_passes_the_size_check():
    assert "only whitespace" in _load_error(b" " * MAX_BYTES)


def test_a_ten_thousand_column_header_fails_on_the_column_limit():
    header = ",".join(f"c{i}" for i in range(10_000))
    message = _load_error(f"{header}\n{header}\n".encode())
    assert "10,000 columns" in message and "limit is 200" in message


def test_max_columns_load_with_the_first_max_features_selected_and_one_more_does_not():
    def file_with(columns):
        header = ",".join(f"c{i}" for i in range(columns))
        rows = "\n".join(",".join(str(row * (i + 1)) for i in range(columns)) for row in range(3))
        return f"{header}\n{rows}\n".encode()

    data = load_csv(io.BytesIO(file_with(MAX_COLUMNS)))
    assert data.table.shape == (3, MAX_COLUMNS)
    assert data.feature_names == tuple(f"c{i}" for i in range(MAX_FEATURES))
    assert data.target_name == f"c{MAX_COLUMNS - 1}"
    assert f"limit is {MAX_COLUMNS}" in _load_error(file_with(MAX_COLUMNS + 1))


@pytest.fixture
def three_columns() -> Dataset:
    return load_csv(io.BytesIO(b"x1,x2,c,y\n1,10,5,0\n2,20,5,1\n4,30,5,1\n"))


def test_select_repicks_features_and_target_from_the_table(three_columns):
    picked = three_columns.select(["y", "x2"], "x1")
    assert picked.feature_names == ("y", "x2") and picked.target_name == "x1" and picked.task == REGRESSION
    np.testing.assert_array_equal(picked.X, [[0, 10], [1, 20], [1, 30]])
    np.testing.assert_array_equal(picked.y, [1, 2, 4])
    assert picked.X.flags.c_contiguous
    assert picked.name == three_columns.name and picked.description == three_columns.description
    assert picked.table is three_columns.table


def test_select_detects_classification_and_accepts_one_feature_name_as_a_string(three_columns):
    picked = three_columns.select("x1", "y")
    assert picked.feature_names == ("x1",) and picked.task == CLASSIFICATION


@pytest.mark.parametrize(("features", "target", "words"), [
    ([], "y", "at least one feature"),
    (["x1", "y"], "y", "'y' cannot be both"),
    (["x1", "x1"], "y", "'x1' is picked twice"),
    (["zz"], "y", "no numeric column named 'zz'"),
    (["x1"], "zz", "no numeric column named 'zz'"),
    (["x1", "c"], "y", "Feature column 'c' is constant"),
    (["x1"], "c", "Target column 'c' is constant"),
])
def test_select_rejects_an_unusable_choice(three_columns, features, target, words):
    with pytest.raises(DataError, match=words):
        three_columns.select(features, target)


def test_select_limits_the_number_of_features():
    columns = MAX_FEATURES + 2
    header = ",".join(f"c{i}" for i in range(columns))
    rows = "\n".join(",".join(str(row * (i + 1)) for i in range(columns)) for row in range(3))
    data = load_csv(io.BytesIO(f"{header}\n{rows}\n".encode()))
    assert data.p == MAX_FEATURES
    with pytest.raises(DataError, match=f"at most {MAX_FEATURES}"):
        data.select([f"c{i}" for i in range(MAX_FEATURES + 1)], f"c{columns - 1}")


def test_select_needs_a_table():
    data = Dataset("toy", np.zeros((2, 1)), np.array([0.0, 1.0]), ("x",), "y", CLASSIFICATION)
    with pytest.raises(DataError, match="CSV"):
        data.select(["x"], "y")


@pytest.mark.parametrize(("separator", "decimal"), [(",", "."), (";", ","), ("\t", ".")])
def test_numbers_written_by_pandas_round_trip_exactly(separator, decimal):
    values = np.random.default_rng(3).normal(scale=1e3, size=(50, 4))
    frame = pd.DataFrame(values, columns=["a", "b", "c", "target"])
    data = load_csv(io.BytesIO(frame.to_csv(index=False, sep=separator, decimal=decimal).encode()))
    np.testing.assert_array_equal(data.X, values[:, :3])
    np.testing.assert_array_equal(data.y, values[:, 3])


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_load_or_raise_a_data_error(raw):
    try:
        load_csv(io.BytesIO(raw))
    except DataError as error:
        assert str(error)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=',;|\t\n\r" 0123456789.-eEinfaNA?=@é\ufeff', max_size=120))
def test_csv_like_text_loads_or_raises_a_data_error(text):
    try:
        data = load_csv(io.BytesIO(text.encode()))
    except DataError as error:
        assert str(error)
    else:
        assert data.n >= 2 and np.isfinite(data.X).all() and np.isfinite(data.y).all()
