"""The graph editor's operations in engine/edit.py: each returns a new model the analysis accepts,
or refuses with the reason (a cycle, a shape the node cannot take, the node limit)."""

from __future__ import annotations

import json

import pytest

from engine import analyze, edit
from engine.spec import MAX_NODES
from tests.conftest import ROOT

MODEL = json.loads((ROOT / "presets" / "playground.json").read_text())["model"]  # h1 a1 h2 a2 out


def inputs_of(model: dict) -> dict[str, list[str]]:
    return {n["id"]: n["inputs"] for n in edit.explicit(model)["nodes"]}


def test_a_drop_on_an_edge_inserts_the_node_between_its_ends():
    edited, new = edit.insert_between(MODEL, "a1", "h2", "Dropout")
    assert inputs_of(edited)[new] == ["a1"] and inputs_of(edited)["h2"] == [new]
    assert analyze(edited).ok
    with pytest.raises(edit.EditError, match="does not read from"):
        edit.insert_between(MODEL, "h1", "h2", "Dropout")


def test_a_wire_that_makes_a_cycle_is_refused_with_its_path():
    with pytest.raises(edit.EditError, match="cycle: h1 → a1 → h2 → a2 → h1"):
        edit.connect(MODEL, "a2", "h1")


def test_a_residual_block_is_wired_and_a_shape_mismatch_refused():
    model, branch = edit.insert_between(MODEL, "a1", "h2", "Linear", {"out_features": 4})
    model, add = edit.add_node(model, "Add", [branch])
    with pytest.raises(edit.EditError, match="equal shape"):
        edit.connect(model, "a2", add)  # 2 features against 4
    model = edit.connect(model, "a1", add)  # the skip
    model = edit.connect(model, add, "h2")  # a one-input node reads the new wire instead
    assert inputs_of(model)[add] == [branch, "a1"] and inputs_of(model)["h2"] == [add]
    assert analyze(model).ok
    assert inputs_of(edit.disconnect(model, "a1", add))[add] == [branch]


def test_paste_copies_a_group_with_fresh_ids_and_its_inner_wires_only():
    group = [{"id": "h1", "type": "Linear", "params": {"out_features": 4}, "inputs": ["input"]},
             {"id": "a1", "type": "Tanh", "inputs": ["h1"]}]
    edited, renamed = edit.paste_nodes(MODEL, group, {"h1": [10, 20]})
    assert set(renamed) == {"h1", "a1"} and not set(renamed.values()) & {n["id"] for n in MODEL["nodes"]}
    assert inputs_of(edited)[renamed["h1"]] == [] and inputs_of(edited)[renamed["a1"]] == [renamed["h1"]]
    assert edited["layout"] == {renamed["h1"]: [10, 20]}
    with pytest.raises(edit.EditError, match="limit"):
        edit.paste_nodes(MODEL, group * MAX_NODES)


def test_layout_follows_renames_and_removals_and_drops_what_it_cannot_place():
    model = edit.set_layout(MODEL, {"h1": [1, 2], "a1": [3, 4], "ghost": [0, 0], "h2": ["x", 1]})
    assert model["layout"] == {"h1": [1.0, 2.0], "a1": [3.0, 4.0]}
    model = edit.remove_node(edit.rename_node(model, "h1", "first"), "a1")
    assert model["layout"] == {"first": [1.0, 2.0]}
    assert "layout" not in edit.set_layout(model, None)
    assert analyze(model).ok  # the engine checks the layout and builds nothing from it
    assert [str(p) for p in analyze({**model, "layout": {"first": [1]}}).problems] == [
        "model: \"layout\" of 'first' must be [x, y], two numbers within ±1e6, got [1]"]
