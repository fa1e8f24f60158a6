"""The graph editor's Python side: what the canvas is told (nodes, wires, shapes, problems, the
palette) and how each of its events becomes an edit of the experiment, on the real page (AppTest
runs app.py; a canvas event is the value its frame sets). The browser side is driven with a real
mouse in tests/e2e/test_graph_editor.py."""

from __future__ import annotations

import json

import pytest
from streamlit.runtime.caching.cache_resource_api import clear_session_cache
from streamlit.testing.v1 import AppTest

from components.graph_editor import KEY, events, picture
from engine import analyze
from engine.registry import REGISTRY
from engine.share import decode, encode
from tests.conftest import ROOT

RESIDUAL = json.loads((ROOT / "presets" / "residual_mlp.json").read_text())
PLAYGROUND = json.loads((ROOT / "presets" / "playground.json").read_text())
SESSION = "test session id"


@pytest.fixture(autouse=True)
def no_trainer_left():
    clear_session_cache(SESSION)
    yield
    clear_session_cache(SESSION)


# -- what the canvas is told ---------------------------------------------------------------------


def test_nodes_and_wires_carry_the_engines_shapes_counts_and_the_skip_connections():
    model = RESIDUAL["model"]
    nodes, edges = picture.nodes_and_edges(model, analyze(model))
    assert nodes[0]["id"] == "input" and nodes[0]["type"] == "Input"
    assert [n["id"] for n in nodes[1:]] == [n["id"] for n in model["nodes"]]
    by_id = {n["id"]: n for n in nodes}
    assert by_id["b1_add"]["merge"] and sorted(by_id["b1_add"]["inputs"]) == sorted(["b1_act", "stem_act"])
    width = next(n for n in model["nodes"] if n["id"] == "stem")["params"]["out_features"]
    assert {"source": "stem_act", "target": "b1_add", "shape": f"[{width}]"} in edges  # the skip wire
    assert by_id["stem"]["param_count"] == 2 * width + width and by_id["stem"]["shape"] == f"[{width}]"
    assert by_id["out"]["output"] and sum(n["output"] for n in nodes) == 1
    assert all(not n["problems"] for n in nodes)


def test_every_problem_is_on_its_node_at_once():
    broken = {**RESIDUAL["model"], "nodes": [
        {**n, "params": {"out_features": -3}} if n["id"] == "b2_fc" else
        {**n, "params": {"out_features": 7}} if n["id"] == "b1_fc" else n
        for n in RESIDUAL["model"]["nodes"]]}
    nodes, _ = picture.nodes_and_edges(broken, analyze(broken))
    with_problems = {n["id"] for n in nodes if n["problems"]}
    assert {"b2_fc", "b1_add"} <= with_problems, with_problems  # a bad value, and shapes that do not add up


@pytest.mark.parametrize("model", [
    {"nodes": "no"}, {"nodes": [3, None, {"id": 5}, {"id": "x", "inputs": 7, "params": []}]}, {}, {"nodes": []}])
def test_a_malformed_model_is_still_drawn_never_raises(model):
    nodes, edges = picture.nodes_and_edges(model, analyze(model))
    assert nodes[0]["id"] == "input"
    assert all(e["source"] in {n["id"] for n in nodes} for e in edges)


def test_the_palette_holds_every_layer_type_once_with_its_explanation_and_parameters():
    listed = [t for family in picture.palette() for t in family["types"]]
    assert sorted(t["type"] for t in listed) == sorted(REGISTRY)
    assert all(t["explain"] == REGISTRY[t["type"]].explain for t in listed)
    linear = {s["name"]: s for s in picture.schemas()["Linear"]}
    assert linear["out_features"]["required"] and linear["out_features"]["kind"] == "int"
    assert linear["bias"]["default"] is True and linear["bias"]["kind"] == "bool"


# -- events become edits -----------------------------------------------------------------------------


def wires(model):
    _, edges = picture.nodes_and_edges(model, analyze(model))
    return {(e["source"], e["target"]) for e in edges}


def test_dropping_on_a_wire_inserts_there_in_line_with_it():
    model = PLAYGROUND["model"]
    edited = events.apply(model, {"op": "insert", "type": "Dropout", "edge": ["a1", "h2"], "position": [120, 80]})
    assert ("a1", "dropout1") in wires(edited) and ("dropout1", "h2") in wires(edited)
    assert "layout" not in edited  # the automatic layout places it in the chain
    assert analyze(edited).ok


def test_a_residual_block_is_built_from_events_and_a_cycle_is_refused_with_its_path():
    model = PLAYGROUND["model"]
    model = events.apply(model, {"op": "add", "type": "Add", "position": [300, 40]})
    model = events.apply(model, {"op": "delete", "nodes": [], "edges": [["a2", "out"]]})
    model = events.apply(model, {"op": "connect", "source": "a2", "target": "add1"})
    model = events.apply(model, {"op": "connect", "source": "h2", "target": "add1"})
    model = events.apply(model, {"op": "connect", "source": "add1", "target": "out"})
    assert {("a2", "add1"), ("h2", "add1"), ("add1", "out")} <= wires(model)
    assert analyze(model).ok
    with pytest.raises(events.Refused, match=r"cycle: .*add1.*out"):
        events.apply(model, {"op": "connect", "source": "out", "target": "add1"})


def test_a_wire_with_an_impossible_shape_is_refused_and_says_why():
    model = events.apply(PLAYGROUND["model"], {"op": "add", "type": "Add", "position": [0, 0]})
    model = events.apply(model, {"op": "connect", "source": "a1", "target": "add1"})  # [4]
    with pytest.raises(events.Refused, match="add1"):
        events.apply(model, {"op": "connect", "source": "a2", "target": "add1"})  # [2]


def test_paste_rename_params_output_move_and_auto_layout():
    model = PLAYGROUND["model"]
    model = events.apply(model, {"op": "paste", "nodes": [
        {"id": "h1", "type": "Linear", "params": {"out_features": 4}, "inputs": ["input"]},
        {"id": "a1", "type": "Tanh", "params": {}, "inputs": ["h1"]}], "positions": {"h1": [10, 10], "a1": [10, 90]}})
    assert {("linear1", "tanh1")} <= wires(model) and model["layout"]["linear1"] == [10.0, 10.0]
    model = events.apply(model, {"op": "rename", "id": "linear1", "to": " wide "})
    model = events.apply(model, {"op": "params", "id": "wide", "params": {"out_features": 9}})
    assert next(n for n in model["nodes"] if n["id"] == "wide")["params"] == {"out_features": 9}
    assert "wide" in model["layout"]
    model = events.apply(model, {"op": "move", "positions": {"input": [1, 2], "ghost": [3, 4]}})
    assert model["layout"]["input"] == [1.0, 2.0] and "ghost" not in model["layout"]
    model = events.apply(model, {"op": "output", "id": "tanh1"})
    assert model["output"] == "tanh1"
    assert "layout" not in events.apply(model, {"op": "layout"})


@pytest.mark.parametrize("event", [
    {"op": "explode"}, {"op": "connect", "source": ["a"], "target": "h1"}, {"op": "insert", "type": "Linear", "edge": "x"},
    {"op": "delete", "nodes": ["input"], "edges": []}, {"op": "delete", "nodes": [{"x": 1}]},
    {"op": "params", "id": "h1", "params": [1]}, {"op": "rename", "id": "h1", "to": "2bad"},
    {"op": "rename", "id": "h1", "to": "a1"}, {"op": "add", "type": "Nope"}, {"op": "paste", "nodes": "all"},
    {"op": "paste", "nodes": [{"type": "Linear"}] * 600}, {"op": "move", "positions": [1, 2]},
    {"op": "connect", "source": "nowhere", "target": "h1"}, {"op": "output", "id": "input"}])
def test_a_malformed_or_impossible_event_is_refused_with_a_reason(event):
    with pytest.raises(events.Refused) as refused:
        events.apply(PLAYGROUND["model"], event)
    assert str(refused.value).strip()


# -- on the page -------------------------------------------------------------------------------------


def open_page(raw: dict) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["e"] = encode(raw)
    app.run()
    assert not app.exception, app.exception
    return app


def canvas(app: AppTest) -> dict | None:
    frames = [c for c in app.get("component_instance") if c.proto.component_name.endswith("graph_editor")]
    return json.loads(frames[0].proto.json_args) if frames else None


def send(app: AppTest, event: dict, seq: int) -> AppTest:
    app.session_state[KEY] = {**event, "seq": seq}
    app.run()
    assert not app.exception, app.exception
    return app


def test_a_branched_model_opens_in_the_canvas_and_its_events_edit_the_experiment_undoably():
    app = open_page(RESIDUAL)
    drawn = canvas(app)
    assert drawn is not None and [n["id"] for n in drawn["nodes"]][:2] == ["input", "stem"]
    send(app, {"op": "insert", "type": "Dropout", "edge": ["stem_act", "b1_fc"], "position": [5, 5]}, 1)
    assert "dropout1" in [n["id"] for n in canvas(app)["nodes"]]
    assert "dropout1" in [n["id"] for n in app.session_state["workspace_current"]["model"]["nodes"]]
    send(app, {"op": "connect", "source": "out", "target": "stem"}, 2)  # a cycle
    assert canvas(app)["notice"]["kind"] == "refused" and "cycle" in canvas(app)["notice"]["text"]
    app.run()  # the frame's value stays the same: the edit is not made twice
    assert [n["id"] for n in canvas(app)["nodes"]].count("dropout1") == 1
    send(app, {"op": "undo"}, 3)
    assert "dropout1" not in [n["id"] for n in canvas(app)["nodes"]]
    send(app, {"op": "redo"}, 4)
    assert "dropout1" in [n["id"] for n in canvas(app)["nodes"]]


def test_an_edit_read_in_a_whole_page_run_asks_no_sync_and_a_sync_changes_nothing():
    app = open_page(RESIDUAL)
    send(app, {"op": "insert", "type": "Dropout", "edge": ["stem_act", "b1_fc"]}, 1)
    assert canvas(app)["follow"] is None  # the page's run showed the edit everywhere already
    before = (app.session_state["workspace_current"], len(app.session_state["workspace_undo"]))
    send(app, {"op": "sync"}, 2)  # what the canvas sends after an edit drawn in a run of its own part
    assert (app.session_state["workspace_current"], len(app.session_state["workspace_undo"])) == before
    assert "dropout1" in [n["id"] for n in canvas(app)["nodes"]]


def test_moving_nodes_keeps_the_run_and_the_link_holds_the_layout():
    app = open_page(RESIDUAL)
    send(app, {"op": "move", "positions": {"stem": [400, 120]}}, 1)
    assert app.session_state["workspace_current"]["model"]["layout"] == {"stem": [400.0, 120.0]}
    assert canvas(app)["layout"] == {"stem": [400.0, 120.0]}
    assert decode(app.query_params["e"])["model"]["layout"] == {"stem": [400.0, 120.0]}


def test_a_plain_stack_keeps_the_neuron_picture_and_opens_in_the_canvas_with_one_click():
    app = open_page(PLAYGROUND)
    assert canvas(app) is None
    app.button(key="model_canvas_switch").click().run()
    assert canvas(app) is not None
    app.button(key="model_canvas_switch").click().run()
    assert canvas(app) is None
