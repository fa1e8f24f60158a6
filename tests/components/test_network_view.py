"""The Playground-style network picture: a square per neuron, links by weight sign and size."""

from __future__ import annotations

import json

import numpy as np

from components.live import network
from components.charts import LEVELS, NEGATIVE, POSITIVE
from engine import load_experiment
from engine.training.session import Session
from engine.training.visuals import all_visuals
from tests.conftest import ROOT


def trained(preset: str):
    experiment = load_experiment(ROOT / "presets" / f"{preset}.json")
    session = Session(experiment, "cpu")
    session.run_epoch()
    types = {n.id: n.type for n in experiment.model.nodes}
    return session, types


def test_every_neuron_gets_its_picture_and_every_weight_a_link():
    session, types = trained("playground")  # 2 inputs, 4 and 2 hidden neurons, 1 output
    info = session.data.info
    figure = network.figure(all_visuals(session), types, info.features, info.domain)
    squares = [t for t in figure.data if t.type == "heatmap"]
    assert len(squares) == 2 + 4 + 2 + 1
    links = [t for t in figure.data if t.type == "scatter"]
    assert sum(list(t.x).count(None) for t in links) == 2 * 4 + 4 * 2 + 2 * 1
    weights = session.model.h1.weight.detach().numpy()
    colours = {t.line.color for t in links}
    assert colours <= {POSITIVE, NEGATIVE}
    assert (POSITIVE in colours) == bool((weights > 0).any() or (session.model.h2.weight > 0).any().item())
    widest = max(links, key=lambda t: t.line.width)
    assert widest.line.width == max(network.WIDTHS)  # the largest weight draws the widest link
    assert all((s.zmin, s.zmax) == (0, LEVELS) and np.asarray(s.z).dtype == np.uint8 for s in squares)


def test_only_plain_stacks_get_the_network_picture():
    session, types = trained("residual_mlp")
    info = session.data.info
    assert network.columns(types) is None
    assert network.figure(all_visuals(session), types, info.features, info.domain) is None
    raw = json.loads((ROOT / "presets" / "multiclass_spiral.json").read_text())
    stack = {n["id"]: n["type"] for n in raw["model"]["nodes"]}
    assert network.columns(stack) == [("h1", "a1"), ("h2", "a2"), ("out", "")]
