"""Memory is bounded before it is allocated: from the real batch size, the evaluation chunk,
the dataset's size and the model's parameters and optimizer state."""

from __future__ import annotations

import json
import resource
from pathlib import Path

import pytest

from engine import Limits, analyze
from engine.data import _made, check_data, make_dataset
from engine.experiment import check_experiment
from engine.web import WEB_LIMITS

PRESETS = sorted(Path("presets").glob("*.json"))


def experiment(width: int = 8, n_samples: int = 200, batch_size=10, optimizer: str = "adam") -> dict:
    return {
        "format": "neuroloom/1",
        "model": {"input": {"shape": [2]}, "nodes": [
            {"id": "wide", "type": "Linear", "params": {"out_features": width}},
            {"id": "act", "type": "Tanh"},
            {"id": "out", "type": "Linear", "params": {"out_features": 1}}]},
        "data": {"dataset": "circle", "n_samples": n_samples},
        "training": {"loss": "bce", "optimizer": optimizer, "batch_size": batch_size},
    }


def lines(raw: dict, limits: Limits = WEB_LIMITS) -> list[str]:
    return [str(p) for p in check_experiment(raw, limits)[1]]


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_every_preset_fits_a_web_server(path):
    assert lines(json.loads(path.read_text())) == []


def test_the_short_link_that_asked_for_16_gb_is_refused_without_allocating():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    (line,) = lines(experiment(width=1_000_000, n_samples=200_000))
    assert line.startswith("node 'wide': a run would take about") and "over the limit of 2.0 GiB" in line
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: nothing near the run's size


def test_a_full_batch_names_the_batch_size():
    (line,) = lines(experiment(width=2000, n_samples=200_000, batch_size="full"))
    assert line.startswith('training: a run would take about') and 'batch_size "full" (100,000 samples)' in line
    assert "use a smaller batch_size" in line
    # the same with gradient descent, which always takes the whole set
    (line,) = lines(experiment(width=2000, n_samples=200_000, optimizer="gd"))
    assert 'batch_size "full"' in line


def test_parameters_and_optimizer_state_count():
    raw = {
        "format": "neuroloom/1",
        "model": {"input": {"shape": [1, 8, 8]}, "nodes": [
            {"id": "flat", "type": "Flatten"},
            {"id": "h1", "type": "Linear", "params": {"out_features": 4000}},
            {"id": "h2", "type": "Linear", "params": {"out_features": 4000}},
            {"id": "out", "type": "Linear", "params": {"out_features": 10}}]},
        "data": {"dataset": "digits"},
        "training": {"optimizer": "adam"},
    }
    limits = Limits(max_run_bytes=200 * 2**20)
    (line,) = lines(raw, limits)  # 16.3 M parameters, their gradients and Adam's two states: 261 MB
    assert line.startswith("model: a run would take") and "optimizer state" in line
    raw["training"]["optimizer"] = "sgd"  # no optimizer state without momentum: 130 MB
    assert lines(raw, limits) == []


def test_the_largest_dataset_is_refused_in_the_data_section():
    raw = {"dataset": "reverse", "n_samples": 200_000, "seq_len": 512, "vocab": 1000}
    config, _, problems = check_data(raw, WEB_LIMITS)
    (problem,) = problems
    assert config is None and problem.field == "n_samples" and "over the limit of 256.0 MiB" in str(problem)
    assert check_data(raw)[2] != []  # the command line has a limit too, only higher


def test_limits_are_settings():
    raw = experiment(width=64, n_samples=20_000, batch_size="full")
    assert lines(raw) == []
    assert lines(raw, Limits(max_run_bytes=10 * 2**20))[0].startswith("training:")


def test_made_datasets_are_kept_by_bytes_not_count(monkeypatch):
    monkeypatch.setattr(_made, "max_bytes", 2 * 2**20)
    _made.clear()
    for seed in range(20):
        make_dataset(check_data({"dataset": "circle", "n_samples": 20_000, "seed": seed})[0])
        assert _made.bytes <= 2 * 2**20
    assert _made.bytes > 0


def test_one_epochs_compute_is_bounded_on_a_web_server():
    raw = {"format": "neuroloom/1",
           "model": {"input": {"shape": [512, 1]}, "nodes": [
               {"id": "lstm", "type": "LSTM", "params": {"hidden_size": 1400, "num_layers": 2}},
               {"id": "out", "type": "Linear", "params": {"out_features": 1}}]},
           "data": {"dataset": "sine", "seq_len": 512, "n_samples": 20000}, "training": {"batch_size": 64}}
    (line,) = lines(raw)
    assert line.startswith("model: one epoch would take about 8.19e+14 multiply-adds") and "5e+11" in line
    assert lines(raw, Limits(max_run_bytes=2**40)) == []  # the command line has no such limit


def test_the_outputs_kept_while_a_whole_set_is_evaluated_count():
    raw = {"format": "neuroloom/1",
           "model": {"input": {"shape": [42], "dtype": "long"}, "nodes": [
               {"id": "emb", "type": "Embedding", "params": {"num_embeddings": 1000, "embedding_dim": 8}},
               {"id": "out", "type": "Linear", "params": {"out_features": 1000}}]},
           "data": {"dataset": "reverse", "seq_len": 42, "vocab": 1000, "n_samples": 95000},
           "training": {"loss": "cross_entropy"}}
    (line,) = lines(raw)
    assert line.startswith("data: a run would take about") and "the outputs of all 76,000 samples" in line


def test_an_epochs_compute_counts_the_decision_boundarys_grid():
    """Ten points in the plane through wide convolutions: the epoch's 25 sample passes are cheap,
    the 10,000 points of its decision boundary (drawn on every page load) are not."""
    raw = {"format": "neuroloom/1",
           "model": {"input": {"shape": [2]}, "nodes": [
               {"id": "wide", "type": "Linear", "params": {"out_features": 1024}},
               {"id": "image", "type": "Reshape", "params": {"shape": [16, 8, 8]}},
               {"id": "conv", "type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 63, "padding": "same"}},
               {"id": "flat", "type": "Flatten"},
               {"id": "out", "type": "Linear", "params": {"out_features": 1}}]},
           "data": {"dataset": "circle", "n_samples": 10}, "training": {"loss": "bce"}}
    (line,) = lines(raw)
    assert "for 10 samples and the decision boundary's 10,000 points), over this server's limit of 5e+11" in line
    sequences = {**raw, "data": {"dataset": "sine", "n_samples": 10}, "training": {"loss": "mse"}}
    sequences["model"] = {**raw["model"], "input": {"shape": [20, 1]},
                          "nodes": [{"id": "flat_in", "type": "Flatten"}, *raw["model"]["nodes"]]}
    assert lines(sequences) == []  # no grid: the same model on 10 sequences is cheap


def test_a_merge_of_many_inputs_is_bounded_and_counted():
    def merged(count: int) -> dict:
        return {"input": {"shape": [100]}, "nodes": [
            {"id": "h", "type": "Linear", "params": {"out_features": 10}},
            {"id": "sum", "type": "Add", "inputs": ["h"] * count},
            {"id": "out", "type": "Linear", "params": {"out_features": 1}}]}

    assert [str(p) for p in analyze(merged(100_000)).problems] == [
        "node 'sum': Add takes 2 to 64 inputs, got 100000; list them in \"inputs\""]
    assert analyze(merged(64)).nodes["sum"].macs == 10 * 63  # one add per output element and input past the first
    assert analyze(merged(2)).total_macs == 100 * 10 + 10 + 10
