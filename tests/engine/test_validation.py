"""Validation collects every problem in one pass and names the node and the fix."""

from __future__ import annotations

import json

import pytest

from engine import Limits, SpecError, analyze, load_experiment
from tests.conftest import experiment


def problems(raw, limits=None) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_experiment(raw, limits)
    assert caught.value.problems, "a SpecError always lists its problems"
    return caught.value.lines()


def test_valid_mlp_loads_with_shapes_and_counts(mlp):
    exp = load_experiment(mlp)
    nodes = exp.analysis.nodes
    assert nodes["h1"].output_shape == (8,)
    assert nodes["out"].output_shape == (1,)
    assert nodes["h1"].params == 2 * 8 + 8
    assert nodes["h2"].macs == 8 * 8
    assert exp.analysis.total_params == 24 + 72 + 9


def test_implicit_inputs_read_the_previous_node(mlp):
    exp = load_experiment(mlp)
    assert exp.model.node("h1").inputs == ("input",)
    assert exp.model.node("a2").inputs == ("h2",)


def test_output_defaults_to_last_node(mlp):
    del mlp["model"]["output"]
    assert load_experiment(mlp).model.output == "out"


def test_all_problems_reported_at_once():
    raw = experiment(
        [
            {"id": "h1", "type": "Linear", "params": {"out_features": 0}},
            {"id": "h2", "type": "Dense"},
            {"id": "h3", "type": "Linear", "params": {"out_features": 4, "colour": 1}},
            {"id": "m", "type": "Add", "inputs": ["h3", "ghost"]},
        ],
        output="nowhere",
    )
    lines = problems(raw)
    assert "node 'h1': out_features must be a positive integer, got 0" in lines
    assert "node 'h2': unknown layer type 'Dense'; did you mean 'Linear'?" in lines  # the Keras name
    assert any(line.startswith("node 'h3': Linear has no parameter 'colour'") for line in lines)
    assert "node 'm': reads from 'ghost', which is not a node (nodes: input, h1, h2, h3, m)" in lines
    assert any(line.startswith("model: output 'nowhere' is not a node") for line in lines)


@pytest.mark.parametrize(("written", "meant"), [("Relu", "ReLU"), ("conv2D", "Conv2d"), ("MaxPooling2D", "MaxPool2d"),
                                                ("Lienar", "Linear"), ("batch_norm1d", "BatchNorm1d")])
def test_a_near_miss_layer_type_gets_the_right_name(written, meant):
    lines = problems(experiment([{"id": "h", "type": written}]))
    assert f"node 'h': unknown layer type '{written}'; did you mean '{meant}'?" in lines


@pytest.mark.parametrize(
    ("nodes", "shape", "expected"),
    [
        (
            [{"id": "c", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}}],
            [64],
            "node 'c': Conv2d needs a [channels, height, width] input, got [64]; add a Reshape",
        ),
        (
            [{"id": "c", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 5}}],
            [1, 3, 3],
            "node 'c': kernel 5 is larger than its input 3",
        ),
        (
            [{"id": "r", "type": "LSTM", "params": {"hidden_size": 4}}],
            [8],
            "node 'r': LSTM needs a sequence [time, features], got [8]",
        ),
        (
            [{"id": "at", "type": "MultiheadSelfAttention", "params": {"num_heads": 3}}],
            [5, 8],
            "node 'at': num_heads 3 does not divide the width 8; use one of 1, 2, 4, 8",
        ),
        (
            [{"id": "p", "type": "MaxPool2d", "params": {"kernel_size": 4}}],
            [1, 2, 2],
            "node 'p': kernel 4 is larger than its input 2",
        ),
        (
            [{"id": "r", "type": "Reshape", "params": {"shape": [3, -1]}}],
            [8],
            "node 'r': cannot reshape [8] (8 values) to [3, -1]",
        ),
        (
            [{"id": "s", "type": "Softmax", "params": {"dim": 2}}],
            [4],
            "node 's': dim 2 is out of range for a per-sample shape of rank 1",
        ),
        (
            [
                {
                    "id": "c",
                    "type": "Conv1d",
                    "params": {"out_channels": 2, "kernel_size": 3, "stride": 2, "padding": "same"},
                }
            ],
            [1, 9],
            "node 'c': padding \"same\" needs stride 1",
        ),
        (
            [{"id": "pe", "type": "PositionalEncoding", "params": {"max_len": 4}}],
            [6, 8],
            "node 'pe': the sequence has 6 steps but max_len is 4",
        ),
    ],
)
def test_shape_problems_name_the_node_and_fix(nodes, shape, expected):
    lines = problems(experiment(nodes, shape=shape))
    assert any(line.startswith(expected) for line in lines), lines


def test_add_of_different_shapes_names_both_inputs():
    raw = experiment(
        [
            {"id": "a", "type": "Linear", "params": {"out_features": 8}},
            {"id": "b", "type": "Linear", "params": {"out_features": 4}, "inputs": ["input"]},
            {"id": "sum", "type": "Add", "inputs": ["a", "b"]},
        ]
    )
    (line,) = problems(raw)
    assert line.startswith("node 'sum': Add needs inputs of equal shape, but input 1 is [8] and input 2 is [4]")
    assert "from 'a' and [4] from 'b'" in line


def test_merge_needs_two_inputs():
    raw = experiment([{"id": "a", "type": "Linear", "params": {"out_features": 2}}, {"id": "s", "type": "Add"}])
    assert problems(raw) == ["node 's': Add takes 2 to 64 inputs, got 1; list them in \"inputs\""]


def test_cycle_names_the_nodes_involved():
    raw = experiment(
        [
            {"id": "a", "type": "Linear", "params": {"out_features": 2}, "inputs": ["c"]},
            {"id": "b", "type": "ReLU"},
            {"id": "c", "type": "Linear", "params": {"out_features": 2}},
        ]
    )
    lines = problems(raw)
    assert any(line.startswith("model: cycle a -> b -> c -> a") for line in lines), lines


def test_duplicate_ids_and_unreachable_nodes():
    raw = experiment(
        [
            {"id": "a", "type": "Linear", "params": {"out_features": 2}},
            {"id": "a", "type": "ReLU"},
            {"id": "side", "type": "Linear", "params": {"out_features": 3}, "inputs": ["input"]},
            {"id": "out", "type": "Linear", "params": {"out_features": 1}, "inputs": ["a"]},
        ]
    )
    lines = problems(raw)
    assert any(line.startswith("node 'a': the id is used by 2 nodes") for line in lines)
    assert any(line.startswith("node 'side': its result never reaches the output 'out'") for line in lines)


def test_inferred_sizes_are_refused_with_a_reason():
    raw = experiment([{"id": "h", "type": "Linear", "params": {"out_features": 2, "in_features": 2}}])
    assert problems(raw) == ["node 'h': 'in_features' is inferred from the input shape; remove it"]


def test_token_ids_need_an_embedding():
    raw = experiment([{"id": "h", "type": "Linear", "params": {"out_features": 2}}], shape=[5], dtype="long")
    (line,) = problems(raw)
    assert line.startswith("node 'h': Linear needs numbers (float) but gets token ids (long); put an Embedding")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([], "file: an experiment is a JSON object, got list"),
        ({"format": "neuroloom/2", "model": {}}, 'file: "format" must be "neuroloom/1", got \'neuroloom/2\''),
        (
            {"format": "neuroloom/1", "model": {"input": {"shape": [2]}, "nodes": []}},
            'model: "nodes" must be a non-empty list of layers',
        ),
        ({"format": "neuroloom/1", "modle": {}}, "file: unknown key 'modle'; did you mean 'model'?"),
        (
            {"format": "neuroloom/1", "model": {"input": {"shape": [0]}, "nodes": [{"id": "a", "type": "ReLU"}]}},
            "model: input shape must be a list of 1 to 6 positive integers",
        ),
        (
            {"format": "neuroloom/1", "model": {"input": {"shape": [2]}, "nodes": [{"id": "2x", "type": "ReLU"}]}},
            "model: node 1 has id '2x'; an id is a name of letters",
        ),
        (
            {"format": "neuroloom/1", "model": {"input": {"shape": [2]}, "nodes": [{"id": "input", "type": "ReLU"}]}},
            "node 'input': 'input' is the model's input; rename the node",
        ),
    ],
)
def test_file_and_model_level_problems(raw, expected):
    assert any(line.startswith(expected) for line in problems(raw)), problems(raw)


def test_file_problems(tmp_path):
    missing = tmp_path / "nope.json"
    assert problems(missing) == [f"file: {missing} does not exist"]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    (line,) = problems(bad)
    assert line.startswith(f"file: {bad} is not valid JSON") and "line 1" in line
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    assert problems(binary) == [f"file: {binary} is not a text file (expected JSON)"]
    assert problems(tmp_path) == [f"file: {tmp_path} is a folder, not an experiment file"]


def test_parameter_limit_names_the_node_and_size():
    raw = experiment(
        [
            {"id": "small", "type": "Linear", "params": {"out_features": 100}},
            {"id": "big", "type": "Linear", "params": {"out_features": 10_000}},
        ],
        shape=[1000],
    )
    (line,) = problems(raw, Limits(max_params=1_000_000))
    assert line.startswith("node 'big': the model would have 1,110,100 parameters (1,010,000 in this node)")
    assert "over the limit of 1,000,000" in line


def test_default_limit_refuses_huge_model_without_allocating():
    # 60 000 x 60 000 floats would be 14 GiB: refused from the meta-device count alone.
    raw = experiment([{"id": "huge", "type": "Linear", "params": {"out_features": 60_000}}], shape=[60_000])
    (line,) = problems(raw)
    assert line.startswith("node 'huge': the model would have 3,600,060,000 parameters")


def test_activation_limit():
    raw = experiment([{"id": "wide", "type": "Linear", "params": {"out_features": 1_000_000}}], shape=[4])
    (line,) = problems(raw, Limits(max_activation_bytes=2**26))
    assert line.startswith("node 'wide': the model's activations for a batch of 32 would take 122.1 MiB")


def test_analyze_never_raises_and_keeps_good_nodes_shapes():
    raw = experiment(
        [
            {"id": "h1", "type": "Linear", "params": {"out_features": 8}},
            {"id": "bad", "type": "Linear", "params": {"out_features": "many"}},
            {"id": "out", "type": "Linear", "params": {"out_features": 1}},
        ]
    )
    analysis = analyze(raw["model"])
    assert analysis.nodes["h1"].output_shape == (8,)
    assert "out" not in analysis.nodes  # downstream of a broken node: unknown, not a second error
    assert [p.node for p in analysis.problems] == ["bad"]
    assert analysis.problems[0].field == "out_features"


def test_normalized_spec_round_trips(mlp):
    exp = load_experiment(mlp)
    normalized = exp.to_dict()
    assert normalized["model"]["nodes"][1] == {"id": "a1", "type": "Tanh", "params": {}, "inputs": ["h1"]}
    assert normalized["model"]["nodes"][0]["params"] == {"out_features": 8, "bias": True}
    again = load_experiment(json.loads(json.dumps(normalized)))
    assert again.to_dict() == normalized
