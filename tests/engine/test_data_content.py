"""A CSV as content: in the experiment (`text`) or uploaded and named by its hash (`sha256`).
Under the page's limits a `path` is refused before anything is opened."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from engine.data import check_data, make_dataset
from engine.data import table as csv_table
from engine.data.uploads import UploadStore, digest
from engine.experiment import check_experiment, load_experiment
from engine.web import WEB_LIMITS

ROWS = "x1,x2,label\n" + "\n".join(f"{i % 7},{(i * 3) % 5},{'cat' if i % 2 else 'dog'}" for i in range(40)) + "\n"
SECRET = "DB_PASSWORD=hunter2-very-secret"


def test_text_table_trains_like_the_same_file(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(ROWS)
    from_text, info, problems = check_data({"dataset": "csv", "text": ROWS, "target": "label"}, WEB_LIMITS)
    assert problems == [] and info.class_names == ("cat", "dog") and info.rows == 40
    from_file, _, _ = check_data({"dataset": "csv", "path": str(path), "target": "label"})
    a, b = make_dataset(from_text), make_dataset(from_file)
    assert np.array_equal(a.x_train.numpy(), b.x_train.numpy()) and np.array_equal(a.y_test.numpy(), b.y_test.numpy())


@pytest.mark.parametrize("how", ["link", "file"])
def test_a_path_is_refused_under_web_limits_and_never_opened(tmp_path, how):
    secret = tmp_path / "secret.csv"
    secret.write_text(f"{SECRET},x\n" + "1,2\n" * 20)
    experiment = json.loads(Path("presets/playground.json").read_text())
    experiment["data"] = {"dataset": "csv", "path": str(secret), "target": "x"}
    _, problems = check_experiment(experiment, WEB_LIMITS)
    lines = [str(p) for p in problems]
    assert any(line.startswith("data: this experiment reads a file from the computer it was made on") for line in lines)
    assert not any(SECRET in line or "hunter2" in line for line in lines)
    # the same section for a file that does not exist says the same: nothing about the server's files
    experiment["data"]["path"] = str(tmp_path / "missing.csv")
    _, missing = check_experiment(experiment, WEB_LIMITS)
    assert [str(p) for p in missing if p.section == "data"] == [p for p in lines if p.startswith("data:")]


def test_a_path_is_never_read_under_web_limits(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(csv_table, "_file_content", lambda path: opened.append(path))
    _, _, problems = check_data({"dataset": "csv", "path": "/etc/shadow", "target": "x"}, WEB_LIMITS)
    assert opened == [] and problems[0].field == "path"


def test_the_command_line_still_reads_paths(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(ROWS)
    raw = {"format": "neuroloom/1", "model": {"input": {"shape": [2]}, "nodes": [
        {"id": "out", "type": "Linear", "params": {"out_features": 2}}]},
        "data": {"dataset": "csv", "path": str(path), "target": "label"}}
    assert load_experiment(raw).data_info.class_names == ("cat", "dog")


def test_uploaded_content_is_found_by_its_hash(tmp_path, monkeypatch):
    store = UploadStore(tmp_path / "uploads")
    monkeypatch.setattr(csv_table, "STORE", store)
    sha = store.put(ROWS.encode())
    assert sha == digest(ROWS.encode()) and (tmp_path / "uploads" / f"{sha}.csv").is_file()
    config, info, problems = check_data({"dataset": "csv", "sha256": sha, "target": "label"}, WEB_LIMITS)
    assert problems == [] and info.rows == 40
    assert csv_table.inline(config)["text"] == ROWS and csv_table.inline(config)["sha256"] is None


def test_an_unknown_or_malformed_hash_asks_for_the_upload_again(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_table, "STORE", UploadStore(tmp_path / "uploads"))
    for sha in ("0" * 64, "../../etc/passwd", "/etc/shadow"):
        _, _, problems = check_data({"dataset": "csv", "sha256": sha, "target": "label"}, WEB_LIMITS)
        (line,) = [str(p) for p in problems]
        assert "is not on this server" in line and "upload the CSV again" in line


def test_one_source_at_a_time():
    _, _, problems = check_data({"dataset": "csv", "text": ROWS, "sha256": "0" * 64, "target": "label"})
    assert "give the table one way" in str(problems[0]) and "not text and sha256" in str(problems[0])


def test_store_expires_old_uploads_and_keeps_its_size(tmp_path):
    store = UploadStore(tmp_path, keep_s=3600, max_bytes=3000)
    old = store.put(b"a,b\n" + b"1,2\n" * 300)  # 1,204 bytes
    past = time.time() - 7200
    os.utime(tmp_path / f"{old}.csv", (past, past))
    store.sweep()
    assert store.get(old) is None
    first = store.put(b"a,b\n" + b"1,3\n" * 300)
    os.utime(tmp_path / f"{first}.csv", (time.time() - 60, time.time() - 60))
    second = store.put(b"a,b\n" + b"1,4\n" * 300)
    third = store.put(b"a,b\n" + b"1,5\n" * 300)  # over 3,000 bytes: the least recently used goes
    assert store.get(first) is None and store.get(second) and store.get(third)


def test_store_ignores_what_is_not_its_own(tmp_path):
    store = UploadStore(tmp_path / "uploads")
    store.put(b"a,b\n1,2\n")
    outside = tmp_path / "keep.txt"
    outside.write_text("mine")
    (tmp_path / "uploads" / ("f" * 64 + ".csv")).symlink_to(outside)
    store.sweep()
    assert outside.read_text() == "mine"
    assert store.get("f" * 64) is None  # a link's content does not hash to its name


def test_upload_check_before_keeping():
    assert csv_table.check_upload(ROWS.encode()) == []
    assert "not UTF-8" in csv_table.check_upload(b"\xff\xfe\x00bad")[0]
    assert "NUL" in csv_table.check_upload(b"a,b\n1,\x002\n" * 20)[0]
    assert "it needs at least 10" in csv_table.check_upload(b"a,b\n1,2\n3,4\n")[0]
    assert "one column" in csv_table.check_upload(b"a\n" + b"1\n" * 20)[0]


def test_byte_order_mark_is_not_part_of_the_first_column():
    _, info, problems = check_data({"dataset": "csv", "text": "\ufeff" + ROWS, "target": "label"})
    assert problems == [] and info.features == ("x1", "x2")
    bom = ("\ufeff" + ROWS).encode("utf-8")
    assert csv_table.check_upload(bom) == []


def test_json_file_with_byte_order_mark_loads(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + Path("presets/spiral.json").read_bytes())
    assert load_experiment(path).title


def test_values_beyond_float32_are_a_problem_naming_the_cell():
    text = "a,label\n" + "\n".join(f"{i},{'x' if i % 2 else 'y'}" for i in range(11)) + "\n1e39,x\n"
    _, _, problems = check_data({"dataset": "csv", "text": text, "target": "label"})
    (line,) = [str(p) for p in problems]
    assert "column 'a' holds 1e39 in row 12" in line and "rescale" in line


def test_too_few_rows_to_train_and_test():
    _, _, problems = check_data({"dataset": "csv", "text": "a,label\n1,x\n2,y\n", "target": "label"})
    assert "has 2 data rows; it needs at least 10" in str(problems[0])


def test_an_uploaded_table_exports_a_script_that_carries_it(tmp_path, monkeypatch):
    import subprocess
    import sys

    from engine.export import export
    from tests.engine.test_export import clean_env

    store = UploadStore(tmp_path / "uploads")
    monkeypatch.setattr(csv_table, "STORE", store)
    raw = {
        "format": "neuroloom/1",
        "model": {"input": {"shape": [2]}, "nodes": [{"id": "h", "type": "Linear", "params": {"out_features": 2}}]},
        "data": {"dataset": "csv", "sha256": store.put(ROWS.encode()), "target": "label"},
        "training": {"loss": "cross_entropy", "batch_size": 8, "epochs": 2},
    }
    out = tmp_path / "elsewhere"
    script = export(load_experiment(raw), "pytorch", out / "train.py")
    assert "sha256" not in script.read_text().split("DATA = ")[1].split("\n\n")[0].replace("'sha256': None", "")
    result = subprocess.run([sys.executable, "train.py", "--epochs", "2"], cwd=out, env=clean_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "epoch 2/2" in result.stdout
