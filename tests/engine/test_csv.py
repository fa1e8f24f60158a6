"""A user's CSV: good files load, every bad file gets one clear `data:` message."""

from __future__ import annotations

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
