"""The Playground-style network picture: a square per neuron, links by weight sign and size."""

from __future__ import annotations

import json

import numpy as np

from components.charts import LEVELS, NEGATIVE, POSITIVE
from components.live import network
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


def plain_mlp(widths: list[int], epochs: int = 0):
    """The playground's data and training around a plain Tanh stack of these widths."""
    raw = json.loads((ROOT / "presets" / "playground.json").read_text())
    nodes = []
    for i, width in enumerate(widths, start=1):
        nodes += [{"id": f"h{i}", "type": "Linear", "params": {"out_features": width}}, {"id": f"a{i}", "type": "Tanh"}]
    raw["model"]["nodes"] = [*nodes, {"id": "out", "type": "Linear", "params": {"out_features": 1}}]
    experiment = load_experiment(raw)
    session = Session(experiment, "cpu")
    for _ in range(epochs):
        session.run_epoch()
    info = session.data.info
    types = {n.id: n.type for n in experiment.model.nodes}
    return session, network.figure(all_visuals(session), types, info.features, info.domain)


def extent(trace) -> tuple[float, float, float, float]:
    """A heatmap's drawn box: its cells are centred on x and y."""
    x, y = np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)
    cx = (x[-1] - x[0]) / max(1, len(x) - 1) / 2
    cy = (y[-1] - y[0]) / max(1, len(y) - 1) / 2
    return x[0] - cx, x[-1] + cx, y[0] - cy, y[-1] + cy


def overlapping(boxes) -> list:
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]]


def test_a_wide_layer_shows_a_few_neurons_in_full_and_sums_up_the_rest():
    _, figure = plain_mlp([32, 4], epochs=1)
    squares = [t for t in figure.data if t.type == "heatmap"]
    titles = [t.meta["enlarge"]["title"] for t in squares]  # each square enlarges on a click
    shown = [f"a1 neuron {i}" for i in range(1, network.SHOWN + 1)]
    assert titles == ["input x1", "input x2", *shown, f"a1 neurons {network.SHOWN + 1}–32",
                      *[f"a2 neuron {i}" for i in range(1, 5)], "output"]
    assert [a.text for a in figure.layout.annotations] == [f"+ {32 - network.SHOWN} more"]
    assert not overlapping([extent(t) for t in squares])
    assert figure.layout.xaxis.ticktext == ("inputs", "a1 · 32", "a2 · 4", "output")
    # links between shown neurons only: inputs to the first 8, those 8 to a2's 4, a2 to the output
    links = [t for t in figure.data if t.type == "scatter"]
    assert sum(list(t.x).count(None) for t in links) == 2 * network.SHOWN + network.SHOWN * 4 + 4
    assert figure.layout.height <= network.MAX_HEIGHT
    summary = np.asarray(squares[2 + network.SHOWN].z)  # the rest's mosaic: 24 tiles with gaps between
    assert (summary == network.GAP_LEVEL).any() and summary.dtype == np.uint8


def test_the_picture_stays_one_screen_tall_for_six_of_the_widest_layers():
    _, figure = plain_mlp([64] * 6)
    squares = [t for t in figure.data if t.type == "heatmap"]
    assert len(squares) == 2 + 6 * (network.SHOWN + 1) + 1
    assert not overlapping([extent(t) for t in squares])
    assert figure.layout.height <= 520
    _, narrow = plain_mlp([3, 3])
    assert narrow.layout.height < figure.layout.height  # a small network is not stretched


def test_a_mosaic_tiles_every_neuron_between_transparent_gaps():
    pictures = np.linspace(-1, 1, 5 * 24 * 24).reshape(5, 24, 24)
    tiled = network.mosaic(pictures)
    assert tiled.shape == (2 * 13 - 1, 3 * 13 - 1)  # 3 across, 2 down, every other pixel
    assert (tiled[12] == network.GAP_LEVEL).all() and (tiled[:12, 12] == network.GAP_LEVEL).all()
    assert (tiled[13:, :12] > network.GAP_LEVEL).all()  # the first tile, drawn top left (rows grow upwards)
    assert (tiled[:12, 26:] == network.GAP_LEVEL).all()  # no sixth neuron
