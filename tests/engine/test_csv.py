"""A user's CSV: good files load, every bad file gets one clear `data:` message."""

from __future__ import annotations

import io
import random
import tracemalloc
import warnings

import pytest
import torch

from engine.data import check_data, make_dataset
from engine.data import table as csv_table

GOOD = "x1,x2,label\n" + "\n".join(f"{i % 7},{(i * 3) % 5},{'cat' if i % 2 else 'dog'}" for i in range(40)) + "\n"


def problems_of(tmp_path, content: str | bytes, target: str = "label", **fields) -> list[str]:
    path = tmp_path / "data.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    _, _, problems = check_data({"dataset": "csv", "path": str(path), "target": target, **fields})
    return [str(p) for p in problems]


def test_good_csv_with_text_labels(tmp_path):
    path = tmp_path / "good.csv"
    path.write_text(GOOD)
    config, info, problems = check_data({"dataset": "csv", "path": str(path), "target": "label"})
    assert problems == []
    assert info.task == "classification" and info.class_names == ("cat", "dog")
    assert info.sample_shape == (2,) and info.features == ("x1", "x2")
    dataset = make_dataset(config)
    assert len(dataset.x_train) == 20 and dataset.y_train.dtype == torch.long
    # standardized with the training rows' statistics
    assert torch.allclose(dataset.x_train.mean(0), torch.zeros(2), atol=1e-5)


def test_numeric_target_is_regression_unless_few_whole_numbers(tmp_path):
    path = tmp_path / "values.csv"
    path.write_text("a,y\n" + "\n".join(f"{i},{i * 0.37}" for i in range(30)))
    _, info, _ = check_data({"dataset": "csv", "path": str(path), "target": "y"})
    assert info.task == "regression" and info.n_classes is None
    path.write_text("a,y\n" + "\n".join(f"{i},{i % 3}" for i in range(30)))
    _, info, _ = check_data({"dataset": "csv", "path": str(path), "target": "y"})
    assert info.task == "classification" and info.n_classes == 3
    _, info, _ = check_data({"dataset": "csv", "path": str(path), "target": "y", "task": "regression"})
    assert info.task == "regression"


def test_missing_file(tmp_path):
    _, _, problems = check_data({"dataset": "csv", "path": str(tmp_path / "nope.csv"), "target": "y"})
    assert [str(p) for p in problems] == [f"data: the CSV file {tmp_path / 'nope.csv'} does not exist"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "is not a text CSV file"),
        ("", "is empty; it needs a header row and data rows"),
        ("x1,x2,label\n", "has a header but no data rows"),
        ("x1,x2,label\n1,2,a\n3,oops,b\n", "column 'x2' is not a number ('oops') in row 2 (line 3 of the file)"),
        ("x1,x2,label\n1,2,a\n3,,b\n", "column 'x2' is missing in row 2 (line 3 of the file)"),
        ("x1,x2,label\n1,2,a\nNaN,1,b\n", "column 'x1' is missing in row 2"),
        ("x1,x2,label\n1,2,a\n3,4,\n", "the target column 'label' is empty in row 2"),
        ("x1,x2,label\n1,2,a\n3,4,a\n", "the target column 'label' has only one class ('a')"),
        ("x1,x2,y\n1,2,a\n3,4,b\n", "has no column 'label' (its columns: x1, x2, y)"),
        ("label\na\nb\n", "has only the target column"),
        ("x,x,label\n1,2,a\n3,4,b\n", "repeats a column name"),
        ('x1,x2,label\n1,2,a\n"3,4,b\n', "is not a valid CSV file"),
        ("x1,x2,label\n1,2,a,9\n3,4,b\n", "has a row with more values than its header has columns"),
    ],
)
def test_bad_csv_files(tmp_path, content, expected):
    lines = problems_of(tmp_path, content)
    assert len(lines) == 1 and lines[0].startswith("data: ") and expected in lines[0], lines


def test_size_limits_are_configurable(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_table, "MAX_ROWS", 10)
    csv_table._tables.clear()  # tables are kept by content; the limits are set once per server
    (line,) = problems_of(tmp_path, GOOD)
    assert "has more than 10 rows, over the limit" in line
    monkeypatch.setattr(csv_table, "MAX_COLUMNS", 2)
    (line,) = problems_of(tmp_path, "a,b,label\n1,2,x\n")
    assert "has 3 columns, over the limit of 2" in line


def test_a_changed_file_is_read_again(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(GOOD)
    check_data({"dataset": "csv", "path": str(path), "target": "label"})
    path.write_text("x1,label\n1,a\n2,a\n")
    _, _, problems = check_data({"dataset": "csv", "path": str(path), "target": "label"})
    assert "only one class" in str(problems[0])


ROWS = "".join(f"{i},{i % 2}\n" for i in range(20))
ROWS_OF_3 = "".join(f"{i},{i * 3 % 7},{i % 2}\n" for i in range(20))


def problems_of_text(text: str, target: str = "target", **fields) -> list[str]:
    _, _, problems = check_data({"dataset": "csv", "text": text, "target": target, **fields})
    return [str(p) for p in problems]


def test_a_header_name_past_the_csv_modules_field_limit_is_a_data_problem():
    # 200,000 characters: past Python's csv field limit (131,072); the header was read with the
    # csv module, whose error escaped every guard (the page crashed, the command line said "internal error")
    (line,) = problems_of_text("a" * 200_000 + ",target\n" + ROWS)
    assert line == (
        "data: the CSV's header has a column name of more than 500 characters (column 1), over the limit of 500"
    )
    (line,) = problems_of_text("x," + "b" * 501 + ",target\n" + ROWS)
    assert "a column name of 501 characters (column 2)" in line


def test_a_header_of_many_repeated_names_is_refused_by_its_count():
    # pandas would rename the repeats first, in quadratic time (60,000: half a minute); the count
    # in the message is the bounded header reader's, which refuses the header before pandas
    text = ",".join(["x"] * 60_000) + "\n" + ",".join(["1"] * 60_000) + "\n"
    assert problems_of_text(text, target="x") == ["data: the CSV has 60,000 columns, over the limit of 200"]
    (line,) = problems_of_text("x1,x2,x1,target\n" + ROWS)
    assert "repeats a column name in its header ('x1', columns 1 and 3)" in line


def with_peak(call, *args):
    """What `call(*args)` returns, and the most memory Python held for it at once (bytes)."""
    tracemalloc.start()
    try:
        return call(*args), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_upload_of_many_columns_is_refused_before_a_frame_is_built():
    import pandas  # noqa: F401  imported first: its import is not the check's memory

    columns = 100_000
    content = (",".join(f"column{i}" for i in range(columns)) + "\n" + ",".join(["1"] * columns) + "\n").encode()
    problems, peak = with_peak(csv_table.check_upload, content)
    assert problems == ["the file has 100,000 columns, over the limit of 200"]
    # the text read once; a frame of 100,000 columns took 76 times the file (1,000,000: 2.3 GB)
    assert peak < 4 * len(content), peak


def test_reading_the_header_keeps_nothing_per_character():
    # a plain regular-expression repeat keeps about 100 bytes a step to go back to (4 MB: 400 MB)
    content = ("\n" * 2_000_000 + '"' + '""' * 1_000_000 + '",target\n' + ROWS).encode()
    columns, peak = with_peak(csv_table.columns_of, content)
    assert columns == []  # a name of 1,000,000 quotes is too long
    assert peak < 4 * len(content), peak


def test_a_first_row_wider_than_the_header_is_refused_by_its_count():
    # pandas makes a column of each value of the first row before it warns (1,000,000: out of memory)
    (line,) = problems_of_text("a,target\n" + ",".join(["1"] * 50_000) + "\n" + ROWS)
    assert "has a row with more values than its header has columns (row 1 has 50,000, the header 2)" in line
    (line,) = problems_of_text('a,target\n"1",' + ",".join(['"1"'] * 50_000) + "\n" + ROWS)
    assert "(row 1 has more than 2, the header 2)" in line


@pytest.mark.parametrize(
    ("text", "features"),
    [
        ("\n\n  \nx1,x2,target\n" + ROWS_OF_3, ("x1", "x2")),  # blank lines before the header
        ('x1, "x,2",target\n' + ROWS_OF_3, ("x1", "x,2")),  # a quoted name after a space
        ("x1,target\r" + ROWS.replace("\n", "\r"), ("x1",)),  # lines ended by \r alone
        ("x1,target\r\n" + ROWS.replace("\n", "\r\n"), ("x1",)),
        ('"x ""1""",target\n' + ROWS, ('x "1"',)),
    ],
    ids=["blank lines first", "quoted after a space", "CR lines", "CRLF lines", "doubled quotes"],
)
def test_headers_are_read_as_pandas_reads_them(text, features):
    _, info, problems = check_data({"dataset": "csv", "text": text, "target": "target"})
    assert problems == [] and info.features == features


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"\n' + ROWS, "the quote that opens column 1 of its header is never closed"),
        ('a,"target\n' + ROWS, "the quote that opens column 2 of its header is never closed"),
        ('a,target\n1,"0\n' + ROWS, "the quote that opens value 2 of row 1 is never closed"),
        ("a,target\n1,0\n" + '2,"1\n' + ROWS, "is not a valid CSV file"),  # a later row: pandas finds it
        ("x" * 5_000_000, "a column name of more than 500 characters (column 1)"),
        ("," * 5_000_000, "has 5,000,001 columns, over the limit of 200"),
        ("a,,,target\n" + ROWS, "repeats a column name in its header (an empty name, columns 2 and 3)"),
        ("a,target\n1,0,\0\n" + ROWS, "it holds NUL bytes"),
    ],
    ids=[
        "lone quote",
        "open quote in header",
        "open quote in row 1",
        "open quote in row 2",
        "one long line",
        "only commas",
        "two empty names",
        "NUL",
    ],
)
def test_malformed_text_gets_one_data_message(text, expected):
    (line,) = problems_of_text(text)
    assert line.startswith("data: ") and expected in line, line
    assert csv_table.columns_of(text.encode()) in ([], ["a", "target"])


def test_the_first_records_are_split_as_pandas_splits_them():
    """The header and the first row are measured before pandas reads the text: on random texts of
    the characters that steer CSV reading, the names and the first row's width match pandas'."""
    import pandas as pd

    rng = random.Random(0)
    for _ in range(2000):
        text = "".join(rng.choice('ab,," \n\r\t') for _ in range(rng.randint(1, 20)))
        try:
            names, end = csv_table._header("t", text)
            csv_table._first_row_fits("t", text, end, len(names))
            refused = None
        except csv_table.DataProblem as problem:
            refused = str(problem)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(
                    io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True, index_col=False
                )
        except pd.errors.ParserWarning:  # its first row is wider than its header
            assert refused is not None and ("row 1 has" in refused or "repeats" in refused), repr(text)
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError):
            continue
        if refused is None:
            read = ["" if str(c).startswith("Unnamed: ") else str(c).strip() for c in frame.columns]
            assert read == names, repr(text)
        else:  # only a repeated name: pandas renames it
            assert "repeats a column name" in refused, (repr(text), refused)


def test_a_target_of_more_classes_than_the_limit_is_refused():
    rows = "".join(f"{i % 7},{i % 5},id{i}\n" for i in range(csv_table.MAX_CLASSES + 1))
    (problem,) = problems_of_text("x1,x2,label\n" + rows, target="label")
    assert problem == (f"data: the target column 'label' has {csv_table.MAX_CLASSES + 1:,} classes, over the limit of "
                       f"{csv_table.MAX_CLASSES:,}; if it holds numbers to predict, set task to regression")
    assert problems_of_text("x1,x2,label\n" + "".join(f"{i % 7},{i % 5},{i}\n" for i in range(1001)),
                            target="label", task="regression") == []
