"""What training looks like while it happens: the numbers and the loss curve (see `reading`), the
decision boundary with the points, each neuron's picture or the model's diagram, the confusion
matrix or the forecast. `charts` builds them from a snapshot (no Streamlit: the live feed calls it
between the page's runs); `show` draws them, with the reading, in the live frame."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import plotly.graph_objects as go
import streamlit as st

from components import owner
from components.live import diagram as model_diagram
from components.live import frame, gradients, network
from components.live.figures import boundary, confusion, fixed, forecast, neurons, samples
from engine import Analysis
from engine.data import Dataset
from engine.training.trainer import Snapshot


@dataclass(frozen=True)
class Scene:
    """What a tab's live view shows besides the run's snapshot: its data, its model, whether the
    gradient chart is on. Each page run sets it; the feed draws from the newest."""

    dataset: Dataset
    node_types: dict[str, str]
    analysis: Analysis | None = None
    gradients: bool = False
    diagram: Callable[[], go.Figure | None] | None = field(default=None, compare=False)
    network: bool = True  # False: the graph editor shows the model beside the frame, no network pictures


def version_of(figure: dict) -> str:
    """A figure's version: its content's hash, so a picture drawn the same again is not resent."""
    return hashlib.blake2b(json.dumps(figure, sort_keys=True).encode(), digest_size=8).hexdigest()


BOUNDARY_OPTIONS = {"showTest": "show test data", "discrete": "discretize output"}
NEURONS_CAPTION = ("Each neuron's output over the plane (orange negative, blue positive); links show the weights: "
                   "blue positive, orange negative, wider is larger")


def charts(snapshot: Snapshot, scene: Scene) -> list[frame.Chart]:
    """Every chart of `scene` at `snapshot` (its pictures), as plotly JSON with its version."""
    built: list[frame.Chart] = []
    dataset, node_types, visuals = scene.dataset, scene.node_types, snapshot.visuals or {}

    def add(name: str, figure: go.Figure | None, caption: str = "", options: dict[str, str] | None = None,
            place: str = "output") -> None:
        if figure is None or (place == "network" and not scene.network):
            return
        drawn = frame.figure_json(figure)
        if drawn.get("data"):
            built.append(frame.Chart(name, version_of(drawn), drawn, caption, options, place))

    info = dataset.info
    if info.kind == "planar":
        add("boundary", fixed(boundary(snapshot, dataset)), options=BOUNDARY_OPTIONS)
        drawing = network.figure(visuals, node_types, info.features, info.domain)
        if drawing is None and scene.analysis is not None:  # a branched model: its diagram, a picture per node
            drawing = model_diagram.figure(visuals, scene.analysis, info.features, info.domain)
        caption = NEURONS_CAPTION if network.columns(node_types) is not None else model_diagram.CAPTION
        add("neurons", drawing if drawing is not None else fixed(neurons(snapshot, node_types)), caption=caption,
            place="network")
    else:
        if scene.diagram is not None:
            add("diagram", scene.diagram(), place="network")
        add("forecast", forecast(snapshot))
        add("samples", samples(snapshot))
        add("confusion", confusion(snapshot, info.class_names))
    if scene.gradients:
        add("gradients", fixed(gradients.figure(visuals)), place="below")
    return built


def show(snapshot: Snapshot, reading: dict, scene: Scene, key: str, feed: str | None = None, state: str = "",
         present: bool = False) -> dict | None:
    """Everything live about one snapshot in the live frame: the `reading` (numbers and curve) and
    the charts, laid out as the Playground does (the network on the left; the output and the
    reading on the right; `present` draws them large). While training, the frame reads newer
    readings and pictures from `feed` between the page's runs; when the run's state leaves `state`
    (the one the page's controls were drawn for), the frame's value changes and the page runs
    again. Returns the frame's value."""
    drawn = charts(snapshot, scene)
    value = frame.show(drawn, key=f"{key}_charts", reading=reading, feed=feed, state=state, present=present,
                       network=scene.network, owner=owner.current())
    st.toggle("gradient size per layer", key="live_show_gradients", help=gradients.CAPTION)
    if scene.gradients and not any(chart.name == "gradients" for chart in drawn):
        st.caption("The gradient sizes appear after the first training step of a model with two or more "
                   "layers with weights.")
    return value
