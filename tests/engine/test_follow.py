"""The model follows its data (engine/follow.py): every 2-D dataset and feature set that the
Playground's data column offers gives a model that trains on it, and only what does not fit
changes."""

from __future__ import annotations

import copy
import json

import pytest

from engine import mlp
from engine.data.planar import FEATURE_LABELS
from engine.experiment import check_experiment
from engine.follow import follow_data
from engine.web import WEB_LIMITS
from tests.conftest import ROOT

PLAYGROUND = json.loads((ROOT / "presets" / "playground.json").read_text())
PLANAR = ("circle", "xor", "gaussian", "spiral", "moons", "blobs", "spiral_multi", "plane", "multi_gaussian")


def with_data(raw: dict, **data) -> dict:
    return {**raw, "data": {**raw["data"], **data}}


def fitted(raw: dict) -> dict:
    before = copy.deepcopy(raw)
    out = follow_data(raw, WEB_LIMITS)
    assert raw == before  # the argument is left as it was
    return out


def checks(raw: dict) -> list[str]:
    experiment, problems = check_experiment(raw, WEB_LIMITS)
    assert (experiment is None) == bool(problems)
    return [str(p) for p in problems]


@pytest.mark.parametrize("dataset", PLANAR)
def test_every_2d_dataset_picked_on_the_playground_trains(dataset):
    raw = with_data(PLAYGROUND, dataset=dataset)
    assert fitted(raw) == raw or checks(raw)  # it changes only a model that did not fit
    out = fitted(raw)
    assert checks(out) == []
    stack = mlp.read_stack(out["model"])
    assert stack.widths == (4, 2) and stack.activations == ("Tanh", "Tanh")  # the hidden layers are kept
    classes = {"blobs": 3, "spiral_multi": 3}.get(dataset, 1)
    assert stack.outputs == classes
    loss = {1: "bce", 3: "cross_entropy"}[classes] if dataset not in ("plane", "multi_gaussian") else "mse"
    assert out["training"]["loss"] == loss


def test_every_feature_set_gives_as_many_inputs():
    for count in range(1, len(FEATURE_LABELS) + 1):
        features = list(FEATURE_LABELS)[:count]
        out = fitted(with_data(PLAYGROUND, features=features))
        assert out["model"]["input"]["shape"] == [count]
        assert checks(out) == []


def test_a_model_that_fits_the_new_data_is_kept_as_it_is():
    assert fitted(PLAYGROUND) is PLAYGROUND
    two_outputs = copy.deepcopy(PLAYGROUND)  # cross_entropy with one output per class fits two classes too
    two_outputs["model"]["nodes"][-1]["params"]["out_features"] = 2
    two_outputs["training"]["loss"] = "cross_entropy"
    moved = with_data(two_outputs, dataset="xor")
    assert fitted(moved) is moved
    squared = with_data({**PLAYGROUND, "training": {**PLAYGROUND["training"], "loss": "mse"}}, dataset="plane")
    assert fitted(squared) is squared  # mse serves a value as it does two classes


def test_three_classes_and_back_to_two_ends_as_the_playground_began():
    three = fitted(with_data(PLAYGROUND, dataset="blobs"))
    back = fitted(with_data(three, dataset=PLAYGROUND["data"]["dataset"]))
    assert back == PLAYGROUND


def test_a_refitted_end_keeps_auto_and_a_value_drops_a_final_squash():
    raw = copy.deepcopy(PLAYGROUND)
    raw["model"]["nodes"].append({"id": "squash", "type": "Sigmoid"})
    raw["model"]["output"] = "squash"
    value = fitted(with_data(raw, dataset="plane"))  # bce cannot serve a value: the end is refitted
    assert value["training"]["loss"] == "mse" and mlp.read_stack(value["model"]).final is None
    assert checks(value) == []
    raw["training"]["loss"] = "auto"
    three = fitted(with_data(raw, dataset="blobs"))
    assert three["training"]["loss"] == "auto" and mlp.read_stack(three["model"]) == mlp.Stack(
        (4, 2), ("Tanh", "Tanh"), 3, "Sigmoid")  # classes keep their squash
    assert checks(three) == []


def test_a_branching_model_takes_the_new_width_but_keeps_its_output():
    raw = copy.deepcopy(PLAYGROUND)
    raw["model"]["nodes"] = [
        {"id": "left", "type": "Linear", "params": {"out_features": 3}},
        {"id": "right", "type": "Linear", "inputs": ["input"], "params": {"out_features": 3}},
        {"id": "both", "type": "Add", "inputs": ["left", "right"]},
        {"id": "out", "type": "Linear", "params": {"out_features": 1}},
    ]
    raw["model"]["output"] = "out"
    assert checks(raw) == []
    out = fitted(with_data(raw, features=["x1", "x2", "x1x2"]))
    assert out["model"]["input"]["shape"] == [3] and out["model"]["nodes"] == raw["model"]["nodes"]
    assert checks(out) == []
    three = fitted(with_data(raw, dataset="blobs"))
    assert three["model"]["nodes"] == raw["model"]["nodes"]  # not a stack: its check says how to end it
    assert any("3 classes" in p for p in checks(three))


def test_a_table_of_three_features_and_three_classes():
    rows = "\n".join(f"{i % 7},{(i * 3) % 5},{i % 4},{('a', 'b', 'c')[i % 3]}" for i in range(60))
    out = fitted({**PLAYGROUND, "data": {"dataset": "csv", "text": f"p,q,r,kind\n{rows}\n", "target": "kind"}})
    assert out["model"]["input"]["shape"] == [3] and mlp.read_stack(out["model"]).outputs == 3
    assert checks(out) == []


@pytest.mark.parametrize("data", [{"dataset": "digits"}, {"dataset": "sine"}, {"dataset": "csv"},
                                  {"dataset": "circle", "noise": "loud"}, {"dataset": "no such thing"}, None])
def test_data_it_cannot_fit_or_read_leaves_the_experiment_as_it_was(data):
    raw = {**PLAYGROUND, "data": data}
    assert fitted(raw) is raw
