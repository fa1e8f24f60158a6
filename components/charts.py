"""Plotly figures shared by the data preview and the live view."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine.data import Dataset

# Orange for the negative class, blue for the positive one, as in TensorFlow Playground.
NEGATIVE, POSITIVE = "#F59322", "#0877BD"
DIVERGING = [[0.0, NEGATIVE], [0.5, "#E8EAEB"], [1.0, POSITIVE]]
CLASS_COLOURS = ["#F59322", "#0877BD", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F",
                 "#BCBD22", "#17BECF"]


# Plotly's template adds kilobytes to every figure; this is the few settings the page needs.
# Greys with some transparency read on the light theme and the dark one (the frame sets the
# background and text colours from the page's theme).
AXIS_LINES = {"gridcolor": "rgba(128, 128, 128, 0.2)", "zerolinecolor": "rgba(128, 128, 128, 0.35)",
              "linecolor": "rgba(128, 128, 128, 0.35)"}
TEMPLATE = {"layout": {"font": {"family": '"Source Sans Pro", sans-serif'}, "hovermode": "closest",
                       "xaxis": AXIS_LINES, "yaxis": AXIS_LINES}}


def fixed_margins(second_axis: bool = False) -> dict[str, int]:
    """Margins wide enough for tick labels and axis titles (and a right-hand axis): plotly.js's
    automatic margins re-lay a chart out on every update."""
    return {"l": 55, "r": 55 if second_axis else 15, "t": 30, "b": 45}


CHAR_PX = 7  # about a character's width in the 12 px tick labels, to size margins for labels
LEVELS = 255  # heatmaps are sent as 256 shades (uint8), drawn with zmin=0, zmax=LEVELS


def levels(values, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    """Values in [low, high] as 256 levels: a live chart is sent and decoded again on every redraw,
    uint8 is a quarter of float32's bytes, and nobody can tell 256 shades of a colour scale apart.
    Missing values get the middle shade."""
    values = np.nan_to_num(np.asarray(values, dtype=float), nan=(low + high) / 2)
    return np.rint((np.clip(values, low, high) - low) / (high - low) * LEVELS).astype(np.uint8)


def point_colours(labels: np.ndarray, classification: bool, classes: int | None):
    """Marker colours as numbers on a colour scale (far cheaper to draw than a colour per point)."""
    if not classification:
        return {"color": labels, "colorscale": DIVERGING, "cmin": -1, "cmax": 1}
    palette = [NEGATIVE, POSITIVE] if classes == 2 else CLASS_COLOURS[: classes or len(CLASS_COLOURS)]
    steps = max(1, len(palette) - 1)
    scale = [[i / steps, colour] for i, colour in enumerate(palette)]
    return {"color": labels, "colorscale": scale, "cmin": 0, "cmax": steps}


def points_trace(points: np.ndarray, labels: np.ndarray, dataset: Dataset, name: str, test: bool = False) -> go.Scatter:
    """Filled dots with a white stroke, as the Playground draws them: the stroke parts a dot from a
    region of its own colour, and reads on the orange and the blue alike. Test dots get a thicker
    dark stroke, to tell them apart."""
    info = dataset.info
    outline = {"width": 1.5, "color": "#222222"} if test else {"width": 1, "color": "#ffffff"}
    marker = {"size": 7, "symbol": "circle", "opacity": 1, "line": outline,
              **point_colours(labels, info.is_classification, info.n_classes)}
    points = np.asarray(points, dtype=np.float32)  # half the bytes; far finer than a pixel
    return go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", name=name, marker=marker,
                      hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<extra>" + name + "</extra>")


def square_layout(fig: go.Figure, domain, height: int = 320) -> go.Figure:
    """Both axes show exactly `domain`, at one scale. With "domain" constraints on both, plotly
    shrinks the plot area to a square; with it on x alone, it widened y's range instead."""
    axis = {"range": list(domain), "constrain": "domain"}
    fig.update_layout(height=height, margin=fixed_margins(), showlegend=False,
                      xaxis={**axis, "title": "x₁"}, yaxis={**axis, "title": "x₂", "scaleanchor": "x", "scaleratio": 1})
    return fig


def square_subplots(fig: go.Figure) -> go.Figure:
    """Each subplot's y axis at the scale of its own x axis (make_subplots anchors yaxisN to xN):
    an image shrinks to a square in its cell instead of stretching to the cell's shape."""
    fig.update_xaxes(constrain="domain")
    return fig.for_each_yaxis(lambda axis: axis.update(scaleanchor=axis.anchor, scaleratio=1, constrain="domain"))


def padded(values, share: float = 0.05) -> list[float]:
    """An axis range around `values`, `share` of their span wider on each side."""
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    pad = (high - low) * share or 0.5  # all equal: still a range to draw in
    return [low - pad, high + pad]


def preview(dataset: Dataset) -> go.Figure:
    """A first look at the data before training."""
    info = dataset.info
    if info.kind == "planar":
        fig = go.Figure(points_trace(dataset.points_train, dataset.y_train.numpy(), dataset, "train"))
        return square_layout(fig, info.domain)
    if info.kind == "image":
        fig = make_subplots(rows=2, cols=5, subplot_titles=[f"label {int(y)}" for y in dataset.y_train[:10]],
                            horizontal_spacing=0.02, vertical_spacing=0.12)
        for i in range(min(10, len(dataset.x_train))):
            fig.add_trace(go.Heatmap(z=dataset.x_train[i, 0].numpy()[::-1], colorscale="Greys", showscale=False,
                                     hoverinfo="skip"), row=i // 5 + 1, col=i % 5 + 1)
        fig.update_xaxes(visible=False).update_yaxes(visible=False)
        return square_subplots(fig).update_layout(height=280, margin={"l": 5, "r": 5, "t": 30, "b": 5})
    if info.kind == "series":
        time = dataset.extra["time"]
        values = np.concatenate([dataset.y_train.numpy(), dataset.y_test.numpy()])
        split = len(dataset.y_train)
        fig = go.Figure([go.Scatter(x=time[:split], y=values[:split], name="train", line={"color": POSITIVE}),
                         go.Scatter(x=time[split:], y=values[split:], name="test", line={"color": NEGATIVE})])
        return fig.update_layout(height=260, margin=fixed_margins(),
                                 xaxis={"title": "time (rad)", "range": [float(time[0]), float(time[-1])]},
                                 yaxis={"title": "value", "range": padded(values)})
    if info.kind == "table" and dataset.x_train.shape[1] >= 2:
        x = dataset.x_train.numpy()
        fig = go.Figure(go.Scatter(x=x[:, 0], y=x[:, 1], mode="markers",
                                   marker={"size": 6, **point_colours(dataset.y_train.numpy(), info.is_classification, info.n_classes)}))
        return fig.update_layout(height=300, margin=fixed_margins(),
                                 xaxis={"title": f"{info.features[0]} (standardized)", "range": padded(x[:, 0])},
                                 yaxis={"title": f"{info.features[1]} (standardized)", "range": padded(x[:, 1])})
    rows = min(8, len(dataset.x_train))
    tokens = [" ".join(str(int(t)) for t in dataset.x_train[i]) for i in range(rows)]
    targets = [" ".join(str(int(t)) for t in dataset.y_train[i].reshape(-1)) for i in range(rows)]
    table = go.Table(header={"values": ["input tokens", "target"]}, cells={"values": [tokens, targets]})
    return go.Figure(table).update_layout(height=260, margin={"l": 5, "r": 5, "t": 5, "b": 5})
