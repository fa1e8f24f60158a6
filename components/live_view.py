"""What training looks like while it happens: the numbers and the loss curve (see
`live_reading`), the decision boundary with the points, each neuron's picture, the confusion
matrix or the forecast. Pure drawing: the run panel's fragment calls `show` a few times a second
with the newest snapshot."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from components import gradient_view, live_charts, network_view
from components.charts import (
    CLASS_COLOURS,
    DIVERGING,
    LEVELS,
    NEGATIVE,
    POSITIVE,
    fixed_margins,
    levels,
    points_trace,
    square_layout,
)
from engine.data import Dataset
from engine.registry import REGISTRY
from engine.training.trainer import Snapshot


def fixed(fig: go.Figure | None) -> go.Figure | None:
    """Fixed margins, wide enough for tick labels and axis titles: plotly.js's automatic margins
    re-lay the chart out on every update. No figure (nothing to draw yet) stays None."""
    if fig is None:
        return None
    if fig.layout.xaxis.visible is not False:
        second_axis = "yaxis2" in fig.layout and fig.layout["yaxis2"].overlaying is not None
        fig.update_layout(margin=fixed_margins(second_axis))
    return fig.update_xaxes(automargin=False).update_yaxes(automargin=False)


def boundary(snapshot: Snapshot, dataset: Dataset) -> go.Figure | None:
    """The model's output over the plane under the training points. The test points and the
    discrete colours are in the figure too, for the browser to switch on (see `BOUNDARY_OPTIONS`)."""
    grid = (snapshot.visuals or {}).get("boundary")
    if not grid:
        return None
    axis = grid["axis"]
    if "value" in grid:
        z = np.asarray(grid["value"], dtype=float)
        if grid["task"] == "classification":
            z = z * 2 - 1  # P(positive) onto the Playground's [-1, 1] colour scale
        # discrete: each side of the middle in one colour, as the Playground's "discretize output"
        sides = [[0.0, NEGATIVE], [0.5, NEGATIVE], [0.5, POSITIVE], [1.0, POSITIVE]]
        heat = go.Heatmap(x=axis, y=axis, z=levels(z), zmin=0, zmax=LEVELS, colorscale=DIVERGING, showscale=False,
                          hoverinfo="skip", zsmooth="fast", meta={"discrete": {"colorscale": sides}})
    else:
        classes = np.asarray(grid["class"], dtype=np.uint8)  # class numbers: one byte each
        scale = [[i / max(1, len(CLASS_COLOURS) - 1), c] for i, c in enumerate(CLASS_COLOURS)]
        heat = go.Heatmap(x=axis, y=axis, z=classes, zmin=0, zmax=len(CLASS_COLOURS) - 1, colorscale=scale,
                          showscale=False, hoverinfo="skip", meta={"discrete": {"opacity": 0.45}})
    fig = go.Figure(heat)
    fig.add_trace(points_trace(dataset.points_train, dataset.y_train.numpy(), dataset, "train"))
    test = points_trace(dataset.points_test, dataset.y_test.numpy(), dataset, "test", test=True)
    fig.add_trace(test.update(meta={"option": "showTest"}, visible=False))
    return square_layout(fig, dataset.info.domain, height=340)


def neurons(snapshot: Snapshot, node_types: dict[str, str]) -> go.Figure | None:
    """Each hidden neuron's output over the plane, one row per activation layer (as in the
    Playground), tiled into one image so the view stays cheap to redraw."""
    pictures = (snapshot.visuals or {}).get("neurons") or {}
    layers = [(n, p) for n, p in pictures.items() if REGISTRY.get(node_types.get(n, "")) and
              REGISTRY[node_types[n]].group == "activation"]
    if not layers:
        return None
    size = layers[0][1].shape[1]
    gap = max(2, size // 6)
    width = max(p.shape[0] for _, p in layers)
    mosaic = np.full((len(layers) * (size + gap), width * (size + gap)), np.nan)
    for row, (_, picture) in enumerate(layers):
        scaled = picture / max(1e-6, float(np.abs(picture).max()))
        for col in range(picture.shape[0]):
            top, left = (len(layers) - 1 - row) * (size + gap), col * (size + gap)
            mosaic[top:top + size, left:left + size] = scaled[col]
    ticks = [(len(layers) - 1 - row) * (size + gap) + size / 2 for row in range(len(layers))]
    figure = go.Figure(go.Heatmap(z=mosaic, zmin=-1, zmax=1, colorscale=DIVERGING, showscale=False, hoverinfo="skip"))
    return figure.update_layout(
        height=60 * len(layers) + 30, margin={"l": 5, "r": 5, "t": 5, "b": 5}, plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"visible": False}, yaxis={"tickvals": ticks, "ticktext": [n for n, _ in layers], "scaleanchor": "x"},
    )


def confusion(snapshot: Snapshot, names: tuple[str, ...]) -> go.Figure | None:
    matrix = (snapshot.visuals or {}).get("confusion")
    if matrix is None:
        return None
    labels = list(names) or [str(i) for i in range(len(matrix))]
    fig = go.Figure(go.Heatmap(z=matrix, x=labels, y=labels, colorscale="Blues", text=matrix,
                               texttemplate="%{text}", showscale=False))
    return fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis_title="predicted",
                             yaxis_title="true (test set)", yaxis={"autorange": "reversed"})


def forecast(snapshot: Snapshot) -> go.Figure | None:
    series = (snapshot.visuals or {}).get("forecast")
    if not series:
        return None
    fig = go.Figure([go.Scatter(x=series["time"], y=series["truth"], name="truth", line={"color": "#555555"}),
                     go.Scatter(x=series["time"], y=series["predicted"], name="predicted", line={"color": POSITIVE})])
    return fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis_title="time (rad)",
                             legend={"orientation": "h", "y": 1.15})


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
            built = live_charts.figure_json(built)
        if version == 0 or built != figure:  # a paused run's pictures are redrawn the same: not sent again
            st.session_state.live_figure_versions = version = st.session_state.get("live_figure_versions", 0) + 1
        cache[name] = (now, inputs, version, built)
        figure = built
    return version, figure


def samples(snapshot: Snapshot) -> go.Figure | None:
    """Test images with the model's answer: the predicted digit (✓ or ✗), or the reconstruction
    under each image for autoencoders."""
    shown = (snapshot.visuals or {}).get("samples")
    if not shown:
        return None
    images = shown["images"]
    rows = 2 if "reconstructed" in shown else 1
    if "predicted" in shown:
        titles = [f"{p} {'✓' if p == t else f'✗ ({t})'}" for p, t in zip(shown["predicted"], shown["truth"], strict=True)]
    else:
        titles = ["input"] * len(images) + ["output"] * len(images)
    fig = make_subplots(rows=rows, cols=len(images), subplot_titles=titles, horizontal_spacing=0.01,
                        vertical_spacing=0.12)
    pictures = [images] + ([shown["reconstructed"]] if rows == 2 else [])
    for row, stack in enumerate(pictures, start=1):
        for col, image in enumerate(stack, start=1):
            fig.add_trace(go.Heatmap(z=np.asarray(image)[::-1], zmin=0, zmax=1, colorscale="Greys", showscale=False,
                                     hoverinfo="skip"), row=row, col=col)
    fig.update_xaxes(visible=False).update_yaxes(visible=False)
    return fig.update_layout(height=90 + 80 * rows, margin={"l": 5, "r": 5, "t": 30, "b": 5})


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
         quiet: bool = False, every_s: float = 0.0, feed: str | None = None) -> None:
    """Everything live about one snapshot, in the live charts' frame: the `reading` (numbers and
    curve), then the charts. Each chart is drawn again at most every `every_s` seconds, one per
    call (and whenever its inputs change). `quiet` (a run that answers a person): only charts
    whose inputs changed are drawn again, so the answer shows as soon as it can. While training,
    the frame reads newer numbers from `feed` between calls."""
    snapshot = _with_last_visuals(snapshot, dataset)
    charts: list[live_charts.Chart] = []
    # The charts take turns on the timer, the longest-drawn first: no poll carries all their
    # redraws at once (a click that lands on such a poll would wait for all of it)
    cache = st.session_state.setdefault("live_figures", {})
    turn = min(cache, key=lambda name: cache[name][0]) if cache and every_s > 0 else None
    drawn: set[str] = set()

    def add(name: str, inputs: tuple, build, caption: str = "", options: dict[str, str] | None = None) -> None:
        drawn.add(name)
        version, figure = _kept(name, quiet or (turn is not None and name != turn), inputs, build, every_s)
        if figure is not None and figure.get("data"):
            charts.append(live_charts.Chart(name, version, figure, caption, options))

    if dataset.info.kind == "planar":
        add("boundary", (id(dataset),), lambda: fixed(boundary(snapshot, dataset)), options=BOUNDARY_OPTIONS)

        def cells_figure():
            network = network_view.figure(snapshot.visuals or {}, node_types, dataset.info.features, dataset.info.domain)
            return network if network is not None else fixed(neurons(snapshot, node_types))

        add("neurons", (tuple(node_types.items()),), cells_figure, caption=NEURONS_CAPTION)
    else:
        add("forecast", (id(dataset),), lambda: forecast(snapshot))
        add("samples", (id(dataset),), lambda: samples(snapshot))
        add("confusion", (id(dataset),), lambda: confusion(snapshot, dataset.info.class_names))
    # read before its switch is drawn: the switch sits under the charts, its chart is in them
    gradients = st.session_state.get("live_show_gradients", False)
    if gradients:
        add("gradients", (id(dataset),), lambda: fixed(gradient_view.figure(snapshot.visuals or {})))
    live_charts.show(charts, key=f"{key}_charts", reading=reading, feed=feed)
    for name in set(cache) - drawn:  # charts no longer shown must not hold up the others' turns
        del cache[name]
    st.toggle("gradient size per layer", key="live_show_gradients", help=gradient_view.CAPTION)
    if gradients and not any(chart.name == "gradients" for chart in charts):
        st.caption("The gradient sizes appear after the first training step of a model with two or more "
                   "layers with weights.")
