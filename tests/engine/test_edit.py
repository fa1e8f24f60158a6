"""Editing operations are pure functions that keep models valid where the edit allows it."""

from __future__ import annotations

import copy

import pytest

from engine import analyze
from engine.edit import (
    EditError,
    add_node,
    change_type,
    insert_node,
    move_node,
    remove_node,
    rename_node,
    set_inputs,
    set_params,
)

MODEL = {
    "input": {"shape": [4]},
    "nodes": [
        {"id": "h1", "type": "Linear", "params": {"out_features": 4}},
        {"id": "a1", "type": "ReLU"},
        {"id": "out", "type": "Linear", "params": {"out_features": 1}},
    ],
    "output": "out",
}


def chain(model) -> list[tuple[str, tuple[str, ...]]]:
    analysis = analyze(model)
    assert analysis.ok, analysis.problems
    return [(n.id, n.inputs) for n in analysis.spec.nodes]


def test_edits_do_not_change_their_argument():
    before = copy.deepcopy(MODEL)
    insert_node(MODEL, "h1", "Tanh")
    remove_node(MODEL, "a1")
    rename_node(MODEL, "h1", "first")
    change_type(MODEL, "a1", "Tanh")
    assert before == MODEL


def test_insert_rewires_readers_and_fills_required_params():
    model, new = insert_node(MODEL, "a1", "Linear")
    assert new == "linear1"
    assert chain(model) == [("h1", ("input",)), ("a1", ("h1",)), ("linear1", ("a1",)), ("out", ("linear1",))]
    assert model["nodes"][2]["params"] == {"out_features": 8}
    assert "inputs" not in model["nodes"][3], "a plain chain stays implicit"


def test_insert_after_output_moves_the_output():
    model, new = insert_node(MODEL, "out", "Sigmoid")
    assert model["output"] == new and chain(model)[-1] == (new, ("out",))


def test_insert_at_the_input():
    model, new = insert_node(MODEL, "input", "BatchNorm1d")
    assert chain(model)[:2] == [(new, ("input",)), ("h1", (new,))]


def test_insert_a_residual_add():
    model, _ = insert_node(MODEL, "a1", "Linear", {"out_features": 4}, node_id="h2")
    model, add = insert_node(model, "h2", "Add", also=["h1"])
    assert chain(model)[-2:] == [(add, ("h2", "h1")), ("out", (add,))]


def test_add_node_makes_a_branch_without_rewiring():
    model, new = add_node(MODEL, "Linear", ["input"], {"out_features": 1})
    assert [n["id"] for n in model["nodes"]] == [new, "h1", "a1", "out"]
    assert model["nodes"][1]["inputs"] == ["input"] and model["output"] == "out"
    problems = analyze(model).problems
    assert [p.node for p in problems] == [new], "a dangling branch is reported until it is merged"


def test_remove_reconnects_neighbours_and_output():
    assert chain(remove_node(MODEL, "a1")) == [("h1", ("input",)), ("out", ("h1",))]
    removed = remove_node(MODEL, "out")
    assert removed["output"] == "a1" and chain(removed)[-1] == ("a1", ("h1",))


def test_move_swaps_a_plain_chain():
    moved = move_node(MODEL, "a1", -1)
    assert chain(moved) == [("a1", ("input",)), ("h1", ("a1",)), ("out", ("h1",))]
    assert move_node(moved, "a1", +1) == MODEL | {"output": "out"}


def test_move_refuses_branches_and_edges():
    with pytest.raises(EditError, match="cannot move up"):
        move_node(MODEL, "h1", -1)
    branched, _ = insert_node(MODEL, "a1", "Add", also=["h1"])
    with pytest.raises(EditError, match="not a plain chain"):
        move_node(branched, "a1", -1)


def test_change_type_keeps_compatible_params():
    changed = change_type(MODEL, "a1", "LeakyReLU")
    assert changed["nodes"][1] == {"id": "a1", "type": "LeakyReLU"}
    to_conv = change_type(MODEL, "h1", "Conv1d")
    assert to_conv["nodes"][0]["params"] == {"out_channels": 8, "kernel_size": 3}
    back = change_type(change_type(MODEL, "a1", "LeakyReLU"), "a1", "ReLU")
    assert back["nodes"][1] == {"id": "a1", "type": "ReLU"}


def test_rename_updates_references():
    model, add = insert_node(MODEL, "a1", "Add", also=["h1"])
    renamed = rename_node(model, "h1", "first")
    assert chain(renamed)[0][0] == "first" and chain(renamed)[2] == (add, ("a1", "first"))
    assert set_inputs(renamed, add, ["first", "a1"])["nodes"][2]["inputs"] == ["first", "a1"]
    assert rename_node(MODEL, "out", "logits")["output"] == "logits"


@pytest.mark.parametrize("bad", ["a1", "input", "2x", "for", "forward"])
def test_rename_refuses_bad_ids(bad):
    with pytest.raises(EditError):
        rename_node(MODEL, "h1", bad)


def test_set_params_and_unknown_nodes():
    updated = set_params(MODEL, "h1", {"out_features": 16})
    assert analyze(updated).nodes["h1"].output_shape == (16,)
    with pytest.raises(EditError, match="there is no node 'zz'"):
        remove_node(MODEL, "zz")
    with pytest.raises(EditError, match="unknown layer type"):
        insert_node(MODEL, "h1", "Dense")
