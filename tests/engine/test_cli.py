"""`python -m engine summary` as a user runs it: real subprocess, real files."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, experiment


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )


def run_here(capsys, *args: str) -> subprocess.CompletedProcess:
    """The same command in this process: for checks of what it says, where a process each would
    spend seconds importing torch (`run`, the real thing, checks the exit codes, the JSON line,
    the files and the environment)."""
    from engine.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


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
def test_invalid_files_exit_2_with_one_line_per_problem(write, content, expected, capsys):
    result = run_here(capsys, "summary", write(content))
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


def test_presets_all_summarize(capsys):
    presets = sorted((ROOT / "presets").glob("*.json"))
    results = [run_here(capsys, "summary", str(preset), "--json") for preset in presets]
    for preset, result in zip(presets, results, strict=True):
        assert result.returncode == 0, (preset.name, result.stderr)
        assert json.loads(result.stdout)["nodes"], preset.name


TRAINABLE = experiment(
    [
        {"id": "h1", "type": "Linear", "params": {"out_features": 8}},
        {"id": "a1", "type": "Tanh"},
        {"id": "out", "type": "Linear", "params": {"out_features": 1}},
    ],
    data={"dataset": "circle", "n_samples": 200},
    training={"loss": "bce", "optimizer": "adam", "lr": 0.03, "epochs": 50},
)


def test_train_json_last_line_matches_contract(write):
    result = run("train", write(TRAINABLE), "--epochs", "20", "--json")
    assert result.returncode == 0, result.stderr
    final = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(final) == {"epochs", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "seconds", "device",
                          "run_id"}  # CONTRACT.md section 2: the run store adds the run's id
    assert final["epochs"] == 20 and final["device"] == "cpu"
    assert 0.9 <= final["test_accuracy"] <= 1
    assert "epoch 20/20" in result.stderr and "epochs/s" in result.stderr


def test_train_regression_reports_null_accuracy(write, capsys):
    raw = copy.deepcopy(TRAINABLE)
    raw["data"] = {"dataset": "plane", "n_samples": 200}
    raw["training"]["loss"] = "mse"
    final = json.loads(run_here(capsys, "train", write(raw), "--epochs", "3", "--json").stdout.splitlines()[-1])
    assert final["train_accuracy"] is None and final["test_accuracy"] is None


def test_train_save_writes_experiment_weights_and_history(write, tmp_path):
    from safetensors.torch import load_file

    from engine import build_model, load_experiment

    out = tmp_path / "run"
    result = run("train", write(TRAINABLE), "--epochs", "4", "--save", str(out))
    assert result.returncode == 0, result.stderr
    saved = load_experiment(out / "experiment.json")
    weights = load_file(out / "weights.safetensors")
    model = build_model(saved.model)
    model.load_state_dict(weights)  # fits the model exactly
    assert set(weights) == {"h1.weight", "h1.bias", "out.weight", "out.bias"}
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [0, 1, 2, 3, 4]
    csv_lines = (out / "history.csv").read_text().splitlines()
    assert csv_lines[0].startswith("epoch,step,lr,seconds,train_loss") and len(csv_lines) == 6


def test_train_refuses_bad_input_with_exit_2(write):
    raw = copy.deepcopy(TRAINABLE)
    raw["data"]["dataset"] = "spirals"
    raw["training"]["optimizer"] = "adamm"
    result = run("train", write(raw))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "data: unknown dataset 'spirals'; did you mean 'spiral'? (known: "
        + result.stderr.split("(known: ")[1].split(")")[0]
        + ")",
        'training: optimizer must be one of "gd", "sgd", "adam", "adamw", "rmsprop", "adagrad", got \'adamm\'',
    ]
    no_data = copy.deepcopy(TRAINABLE)
    del no_data["data"]
    result = run("train", write(no_data))
    assert result.returncode == 2 and result.stderr.startswith('data: training needs a "data" section')


def test_a_bad_limit_in_the_environment_is_ignored_with_a_note():
    result = run("summary", "presets/spiral.json", env={**os.environ, "NEUROLOOM_MAX_PARAMS": "abc"})
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "ignoring NEUROLOOM_MAX_PARAMS='abc' (not a positive whole number); using 50000000" in result.stderr
    result = run("summary", "presets/spiral.json", env={**os.environ, "NEUROLOOM_MAX_PARAMS": "10"})  # a good value applies
    assert result.returncode == 2 and "parameters" in result.stderr


def test_train_checks_its_output_folders_before_training(write, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    raw = copy.deepcopy(TRAINABLE)
    raw["training"]["epochs"] = 100_000  # were it to train first, this would time out
    for option in ("--save", "--tensorboard"):
        result = run("train", write(raw), option, str(blocker / "run"))
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr.splitlines() == [f"file: {option} {blocker / 'run'}: cannot write there (Not a directory)"]


def test_train_diverging_run_says_why(write, capsys):
    raw = copy.deepcopy(TRAINABLE)
    raw["data"] = {"dataset": "plane", "n_samples": 200}
    raw["training"].update(loss="mse", optimizer="sgd", lr=100.0)
    result = run_here(capsys, "train", write(raw), "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Try a lower learning rate" in result.stderr


@pytest.mark.parametrize("epochs", ["0", "-3", "abc", "2.5", ""])
def test_train_refuses_a_bad_epoch_count_in_one_line(write, epochs, capsys):
    result = run_here(capsys, "train", write(TRAINABLE), f"--epochs={epochs}")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [f"training: --epochs must be a positive whole number, got {epochs}"]


def test_train_lists_a_bad_epoch_count_with_the_files_problems(write, capsys):
    raw = copy.deepcopy(TRAINABLE)
    raw["training"]["optimizer"] = "adamm"
    result = run_here(capsys, "train", write(raw), "--epochs", "2000000")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "training: --epochs must be at most 1000000, got 2000000"
    assert len(result.stderr.splitlines()) == 2


def test_export_to_a_place_that_cannot_be_written_is_one_file_line(write, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    folder = tmp_path / "a_folder"
    folder.mkdir()
    reasons = {
        blocker / "x.py": f"{blocker} is a file, not a folder",
        blocker / "sub" / "x.py": "Not a directory",
        folder: "Is a directory",
    }
    source = write(TRAINABLE)
    assert run("export", source, "--to", "pytorch", "-o", str(folder)).stderr.splitlines() == [
        f"file: cannot write {folder}: Is a directory"]  # as a user sees it; the rest in this process
    for to in ("pytorch", "spec"):
        for out, reason in reasons.items():
            result = run_here(capsys, "export", source, "--to", to, "-o", str(out))
            assert result.returncode == 2, result.stderr
            assert result.stderr.splitlines() == [f"file: cannot write {out}: {reason}"]
    assert blocker.read_text() == "" and list(folder.iterdir()) == []


def test_train_json_stays_json_when_the_loss_is_not_a_number(write):
    # outputs of about (1000 x)^64 overflow float32: the loss is infinite from the start, and a
    # huge learning rate makes the run diverge in its first epoch too
    nodes = [{"id": "h", "type": "Linear", "params": {"out_features": 1}}]
    for i in range(16):
        nodes.append({"id": f"n{i}", "type": "Add" if i < 10 else "Multiply", "inputs": [nodes[-1]["id"]] * 2})
    raw = experiment(nodes, data={"dataset": "plane", "n_samples": 200},
                     training={"loss": "mse", "optimizer": "sgd", "lr": 100.0, "epochs": 3})

    def refuse(name):
        raise AssertionError(f"{name} is not JSON")

    result = run("train", write(raw), "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Try a lower learning rate" in result.stderr
    final = json.loads(result.stdout.splitlines()[-1], parse_constant=refuse)
    assert final["train_loss"] is None and final["test_loss"] is None and final["epochs"] == 0
