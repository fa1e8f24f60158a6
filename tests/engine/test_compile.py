"""The compiled model: named submodules, any batch size, seeded weights, branches."""

from __future__ import annotations

import torch
from torch import nn

from engine import build_model, load_experiment
from tests.conftest import experiment


def test_state_dict_keys_read_like_node_ids(mlp):
    model = build_model(load_experiment(mlp).model)
    assert list(model.state_dict()) == [
        "h1.weight",
        "h1.bias",
        "h2.weight",
        "h2.bias",
        "out.weight",
        "out.bias",
    ]
    assert isinstance(model.h1, nn.Linear) and model.h1.in_features == 2


def test_any_batch_size(mlp):
    model = build_model(load_experiment(mlp).model)
    for batch in (1, 7, 64):
        assert model(torch.randn(batch, 2)).shape == (batch, 1)


def test_same_seed_same_weights_other_seed_other_weights(mlp):
    spec = load_experiment(mlp).model
    first, again, other = build_model(spec, seed=3), build_model(spec, seed=3), build_model(spec, seed=4)
    for key, value in first.state_dict().items():
        assert torch.equal(value, again.state_dict()[key])
    assert not torch.equal(first.h1.weight, other.h1.weight)


def test_building_does_not_disturb_the_global_rng(mlp):
    spec = load_experiment(mlp).model
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    build_model(spec, seed=0)
    assert torch.equal(torch.rand(3), expected)


def test_matches_the_same_network_written_by_hand():
    raw = experiment(
        [
            {"id": "h1", "type": "Linear", "params": {"out_features": 4}},
            {"id": "a1", "type": "ReLU"},
            {"id": "h2", "type": "Linear", "params": {"out_features": 4}},
            {"id": "skip", "type": "Add", "inputs": ["h2", "a1"]},
            {"id": "gate", "type": "Multiply", "inputs": ["skip", "a1", "h1"]},
            {"id": "cat", "type": "Concat", "inputs": ["gate", "input"]},
            {"id": "out", "type": "Linear", "params": {"out_features": 2}},
        ],
        shape=[3],
    )
    model = build_model(load_experiment(raw).model, seed=0)
    x = torch.randn(5, 3)
    h1 = model.h1(x)
    a1 = torch.relu(h1)
    skip = model.h2(a1) + a1
    gate = skip * a1 * h1
    expected = model.out(torch.cat([gate, x], dim=-1))
    torch.testing.assert_close(model(x), expected)


def test_forward_follows_the_graph_in_generated_code():
    raw = experiment(
        [
            {"id": "a", "type": "Linear", "params": {"out_features": 2}},
            {"id": "b", "type": "Linear", "params": {"out_features": 2}, "inputs": ["input"]},
            {"id": "s", "type": "Add", "inputs": ["a", "b"]},
        ]
    )
    model = build_model(load_experiment(raw).model)
    assert "a = self.a(x)" in model.code and "s = a + b" in model.code  # parameter-free merges inline
    assert isinstance(model.s, torch.nn.Module)  # and keep their module, by name


def test_parameter_free_layers_run_as_plain_functions_with_the_same_results():
    raw = experiment(
        [
            {"id": "h", "type": "Linear", "params": {"out_features": 3}},
            {"id": "act", "type": "LeakyReLU", "params": {"negative_slope": 0.2}},
            {"id": "soft", "type": "Softmax"},
        ]
    )
    model = build_model(load_experiment(raw).model)
    assert "leaky_relu" in model.code and "softmax" in model.code
    x = torch.randn(4, 2)
    expected = model.soft(model.act(model.h(x)))  # the registered modules, called one by one
    assert torch.allclose(model(x), expected)


def test_token_model_takes_long_input():
    raw = experiment(
        [
            {"id": "emb", "type": "Embedding", "params": {"num_embeddings": 10, "embedding_dim": 8}},
            {"id": "pos", "type": "PositionalEncoding"},
            {"id": "enc", "type": "TransformerEncoderLayer", "params": {"nhead": 2}},
            {"id": "pool", "type": "SequencePool"},
            {"id": "out", "type": "Linear", "params": {"out_features": 2}},
        ],
        shape=[6],
        dtype="long",
    )
    model = build_model(load_experiment(raw).model)
    assert model.input_dtype == torch.long
    assert model(torch.randint(0, 10, (4, 6))).shape == (4, 2)
