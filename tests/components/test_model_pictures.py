"""The live diagram of a branched model: one labelled square per node, with a thumbnail of its
outputs over the plane where the trainer pictured it; one screen tall however long the model."""

from __future__ import annotations

import json

import numpy as np

from components.live import diagram, network
from engine import load_experiment
from engine.spec import INPUT_ID
from engine.training.session import Session
from engine.training.visuals import MAX_NEURONS, all_visuals
from tests.components.test_network_view import extent, overlapping
from tests.conftest import ROOT


def drawn(raw: dict | str, epochs: int = 1):
    experiment = load_experiment(ROOT / "presets" / f"{raw}.json" if isinstance(raw, str) else raw)
    session = Session(experiment, "cpu")
    for _ in range(epochs):
        session.run_epoch()
    visuals = all_visuals(session)
    info = session.data.info
    return experiment, visuals, diagram.figure(visuals, experiment.analysis, info.features, info.domain)


def thumbnails(figure) -> dict[str, object]:
    return {t.meta["enlarge"]["title"].split(" · ")[0]: t for t in figure.data if t.type == "heatmap"}


def test_a_residual_model_is_drawn_as_its_diagram_with_a_picture_per_node():
    experiment, visuals, figure = drawn("residual_mlp")
    nodes = [INPUT_ID, *(n.id for n in experiment.model.nodes)]
    labels = next(t for t in figure.data if t.type == "scatter" and t.mode == "text")
    assert list(labels.customdata) == nodes  # one label per node: its id over its type
    types = {INPUT_ID: "Input", **{n.id: n.type for n in experiment.model.nodes}}
    assert list(labels.text) == [f"<b>{n}</b><br>{types[n]}" for n in nodes]
    pictured = thumbnails(figure)
    assert set(pictured) == set(visuals["neurons"]) | {INPUT_ID} == set(nodes)  # every node is 1-D and small
    assert pictured["b1_add"].meta["enlarge"]["title"] == "b1_add · Add: 16 neurons"
    assert all(np.asarray(t.z).dtype == np.uint8 for t in pictured.values())
    assert not overlapping([extent(t) for t in pictured.values()])
    assert len(figure.layout.shapes) == len(nodes)  # a frame per node, in its family's colour
    edges = next(t for t in figure.data if t.type == "scatter" and t.mode == "lines")
    assert list(edges.x).count(None) == experiment.analysis.graph.number_of_edges()
    assert figure.layout.height <= diagram.MAX_HEIGHT
    # 13 layers: two bands of at most MAX_COLUMNS each, one under the other
    assert max(t.x[-1] for t in pictured.values()) < diagram.MAX_COLUMNS
    assert network.figure(visuals, types, ("x1", "x2"), (-6, 6)) is None  # not a plain stack


def test_branches_joined_get_rows_and_a_node_too_wide_to_picture_gets_a_plain_square():
    raw = json.loads((ROOT / "presets" / "playground.json").read_text())
    raw["model"]["nodes"] = [
        {"id": "l1", "type": "Linear", "params": {"out_features": 6}, "inputs": ["input"]},
        {"id": "t1", "type": "Tanh"},
        {"id": "wide", "type": "Linear", "params": {"out_features": MAX_NEURONS + 6}, "inputs": ["input"]},
        {"id": "cat", "type": "Concat", "inputs": ["t1", "wide"]},
        {"id": "out", "type": "Linear", "params": {"out_features": 1}},
    ]
    _, _, figure = drawn(raw, epochs=0)
    pictured = thumbnails(figure)
    assert set(pictured) == {INPUT_ID, "l1", "t1", "out"}  # wide and cat: more neurons than pictured
    labels = next(t for t in figure.data if t.type == "scatter" and t.mode == "text")
    places = dict(zip(labels.customdata, zip(labels.x, labels.y, strict=True), strict=True))
    assert places["l1"][0] == places["wide"][0] and places["l1"][1] > places["wide"][1]  # a layer, two rows
    plain = [s for s in figure.layout.shapes if s.opacity < 1]
    assert len(plain) == 2  # filled in its family's colour
    assert figure.layout.height <= diagram.MAX_HEIGHT


def test_no_pictures_no_diagram():
    experiment, visuals, _ = drawn("residual_mlp", epochs=0)
    assert diagram.figure({**visuals, "neurons": None}, experiment.analysis) is None
    assert diagram.figure({}, experiment.analysis) is None
