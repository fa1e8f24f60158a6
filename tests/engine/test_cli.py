"""`python -m engine summary` as a user runs it: real subprocess, real files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, experiment


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def write(tmp_path):
    def write_file(content, name="exp.json"):
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return str(path)

    return write_file


def test_summary_table(write, mlp):
    result = run("summary", write(mlp))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == 'Model: "MLP"'
    assert any(line.split()[:4] == ["h1", "Linear", "input", "[8]"] for line in lines)
    assert "Total params: 105 (420 B as float32)" in result.stdout
    assert "Total multiply-adds: 88 per sample" in result.stdout


def test_summary_json_matches_contract(write, mlp):
    result = run("summary", write(mlp), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"nodes", "total_params", "total_macs"}
    assert data["nodes"][0] == {"id": "h1", "type": "Linear", "output_shape": [8], "params": 24, "macs": 16}
    assert [n["id"] for n in data["nodes"]] == ["h1", "a1", "h2", "a2", "out"]
    assert data["total_params"] == sum(n["params"] for n in data["nodes"]) == 105


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json at all", ["file: "]),
        ("[1, 2]", ["file: an experiment is a JSON object, got list"]),
        (
            experiment(
                [
                    {"id": "h", "type": "Linear", "params": {"out_features": -3}},
                    {"id": "c", "type": "Conv2d", "params": {"out_channels": 2, "kernel_size": 3}, "inputs": ["input"]},
                ]
            ),
            ["node 'h': out_features must be a positive integer, got -3", "node 'c': Conv2d needs"],
        ),
    ],
)
def test_invalid_files_exit_2_with_one_line_per_problem(write, content, expected):
    result = run("summary", write(content))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(expected)
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start), line


def test_missing_file_exits_2():
    result = run("summary", "does/not/exist.json")
    assert result.returncode == 2
    assert result.stderr.strip() == "file: does/not/exist.json does not exist"


def test_presets_all_summarize():
    for preset in sorted((ROOT / "presets").glob("*.json")):
        result = run("summary", str(preset), "--json")
        assert result.returncode == 0, (preset.name, result.stderr)
