"""What training looks like while it happens: the numbers and the loss curve (see
`reading`), the decision boundary with the points, each neuron's picture, the confusion
matrix or the forecast. Pure drawing: the run panel's fragment calls `show` a few times a second
with the newest snapshot."""

from __future__ import annotations

import dataclasses
import time

import streamlit as st

from components.live import diagram as model_diagram
from components.live import frame, gradients, network
from components.live.figures import boundary, confusion, fixed, forecast, neurons, samples
from engine import Analysis
from engine.data import Dataset
from engine.training.trainer import Snapshot


def _kept(name: str, quiet: bool, inputs: tuple, build, every_s: float):
    """The chart's version and figure as plotly JSON (None when there is nothing to draw), built
    again when its inputs changed, or when not `quiet` and at least `every_s` seconds after its
    last build; otherwise the kept one, which the browser does not draw again. The version
    changes only when the figure does. Owns the session keys `live_figures` and
    `live_figure_versions`."""
    cache = st.session_state.setdefault("live_figures", {})
    built_at, built_for, version, figure = cache.get(name, (0.0, None, 0, None))
    now = time.monotonic()
    if version == 0 or built_for != inputs or (not quiet and now - built_at >= every_s):
        built = build()
        if built is not None:
            built = frame.figure_json(built)
        if version == 0 or built != figure:  # a paused run's pictures are redrawn the same: not sent again
            st.session_state.live_figure_versions = version = st.session_state.get("live_figure_versions", 0) + 1
        cache[name] = (now, inputs, version, built)
        figure = built
    return version, figure


def _with_last_visuals(snapshot: Snapshot, dataset: Dataset) -> Snapshot:
    """The snapshot with pictures: between chart redraws the trainer sends none, so a chart drawn
    then (one just switched on, or whose turn it is) is drawn from the newest pictures this session
    saw. Owns the session key `live_visuals`."""
    if snapshot.visuals:
        st.session_state.live_visuals = (id(dataset), snapshot.visuals)
        return snapshot
    kept_for, visuals = st.session_state.get("live_visuals", (None, None))
    return dataclasses.replace(snapshot, visuals=visuals) if kept_for == id(dataset) else snapshot


def charts_due(every_s: float) -> bool:
    """Whether a call that is not quiet will draw some chart again on the timer (so the trainer
    need only make pictures then)."""
    cache = st.session_state.get("live_figures", {})
    return not cache or time.monotonic() - min(built_at for built_at, *_ in cache.values()) >= every_s


BOUNDARY_OPTIONS = {"showTest": "show test data", "discrete": "discretize output"}
NEURONS_CAPTION = ("Each neuron's output over the plane (orange negative, blue positive); links show the weights: "
                   "blue positive, orange negative, wider is larger")


def show(snapshot: Snapshot, reading: dict, dataset: Dataset, node_types: dict[str, str], key: str,
         quiet: bool = False, every_s: float = 0.0, feed: str | None = None, diagram=None,
         present: bool = False, analysis: Analysis | None = None) -> None:
    """Everything live about one snapshot, in the live charts' frame: the `reading` (numbers and
    curve), then the charts. Each chart is drawn again at most every `every_s` seconds, one per
    call (and whenever its inputs change). `quiet` (a run that answers a person): only charts
    whose inputs changed are drawn again, so the answer shows as soon as it can. While training,
    the frame reads newer numbers from `feed` between calls. The frame lays the charts out as the
    Playground does: the network on the left (the neuron picture, or `diagram()`'s figure for
    models that have none), the output and the reading on the right; `present` draws them large."""
    snapshot = _with_last_visuals(snapshot, dataset)
    charts: list[frame.Chart] = []
    # The charts take turns on the timer, the longest-drawn first: no poll carries all their
    # redraws at once (a click that lands on such a poll would wait for all of it)
    cache = st.session_state.setdefault("live_figures", {})
    turn = min(cache, key=lambda name: cache[name][0]) if cache and every_s > 0 else None
    drawn: set[str] = set()

    def add(name: str, inputs: tuple, build, caption: str = "", options: dict[str, str] | None = None,
            place: str = "output") -> None:
        drawn.add(name)
        version, figure = _kept(name, quiet or (turn is not None and name != turn), inputs, build, every_s)
        if figure is not None and figure.get("data"):
            charts.append(frame.Chart(name, version, figure, caption, options, place))

    if dataset.info.kind == "planar":
        add("boundary", (id(dataset),), lambda: fixed(boundary(snapshot, dataset)), options=BOUNDARY_OPTIONS)

        def cells_figure():
            info, visuals = dataset.info, snapshot.visuals or {}
            drawing = network.figure(visuals, node_types, info.features, info.domain)
            if drawing is None and analysis is not None:  # a branched model: its diagram, a picture per node
                drawing = model_diagram.figure(visuals, analysis, info.features, info.domain)
            return drawing if drawing is not None else fixed(neurons(snapshot, node_types))

        caption = NEURONS_CAPTION if network.columns(node_types) is not None else model_diagram.CAPTION
        add("neurons", (tuple(node_types.items()),), cells_figure, caption=caption, place="network")
    elif diagram is not None:
        add("diagram", (tuple(node_types.items()),), diagram, place="network")
    if dataset.info.kind != "planar":
        add("forecast", (id(dataset),), lambda: forecast(snapshot))
        add("samples", (id(dataset),), lambda: samples(snapshot))
        add("confusion", (id(dataset),), lambda: confusion(snapshot, dataset.info.class_names))
    # read before its switch is drawn: the switch sits under the charts, its chart is in them
    show_gradients = st.session_state.get("live_show_gradients", False)
    if show_gradients:
        add("gradients", (id(dataset),), lambda: fixed(gradients.figure(snapshot.visuals or {})), place="below")
    frame.show(charts, key=f"{key}_charts", reading=reading, feed=feed, present=present)
    for name in set(cache) - drawn:  # charts no longer shown must not hold up the others' turns
        del cache[name]
    st.toggle("gradient size per layer", key="live_show_gradients", help=gradients.CAPTION)
    if show_gradients and not any(chart.name == "gradients" for chart in charts):
        st.caption("The gradient sizes appear after the first training step of a model with two or more "
                   "layers with weights.")
