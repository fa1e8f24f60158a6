"""The live picture of a branched model on 2-D data (a residual block, branches joined): the
model's diagram, layered left to right, each node with a thumbnail of its outputs over the plane
(a mosaic of its neurons) where the trainer made pictures of it, and its id and type under it.
Long models wrap onto further bands, like lines of text, so the diagram stays one screen tall.
A thumbnail's trace carries `meta={"enlarge": {"title": ...}}`: a click in the live frame shows it
large (frame_assets/enlarge.js)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from components.charts import levels
from components.graph_view import FAMILY_COLOURS, layout
from components.live.network import MOSAIC_SCALE, input_pictures, mosaic, square
from engine import Analysis
from engine.registry import REGISTRY, fmt
from engine.spec import INPUT_ID

MAX_COLUMNS = 7  # layers side by side before the diagram wraps: two-line labels stay apart
THUMB = 0.6  # a node's square, in column widths
ROW = 1.0  # a node's place, its square and label, in column widths
ARC = 0.45  # room above a band for the arcs of edges that skip layers
BAND_GAP = 0.3  # between bands, where edges to the next band run
LANE = 0.07  # apart, edges running side by side in a band gap
UNIT_PX = 80  # a column's width in px when the diagram is small
MAX_HEIGHT = 520  # px: the diagram fits beside the output on one screen
MARGIN = 6  # px
EDGE_COLOUR = "#9a9a9a"
CAPTION = ("Each node's outputs over the plane, a small square per neuron (orange negative, blue positive); "
           "click a picture to enlarge it")


@dataclass(frozen=True)
class Place:
    x: float  # the square's centre
    y: float
    band: int
    column: int  # the layer, counted from the input
    row: float  # from the band's top, 0 for its top row


def figure(visuals: dict, analysis: Analysis, feature_names: tuple[str, ...] = (), domain=None) -> go.Figure | None:
    """The diagram with pictures, or None without a model or with no node pictured. The input
    node is pictured when `feature_names` and `domain` (the dataset's) are given."""
    pictures = dict((visuals or {}).get("neurons") or {})
    if analysis.spec is None or not len(analysis.graph) or not pictures:
        return None
    if feature_names and domain is not None:
        pictures[INPUT_ID] = input_pictures(feature_names, domain)
    places, bands = _places(analysis.graph)
    fig = go.Figure(_edges(analysis.graph, places, bands))
    for node, place in places.items():
        if node in pictures and len(pictures[node]):
            fig.add_trace(_thumbnail(node, _type(analysis, node), np.asarray(pictures[node], dtype=float), place))
    fig.add_trace(_labels(analysis, places))
    fig.update_layout(shapes=[_frame(analysis, node, place, node in pictures) for node, place in places.items()])
    return _sized(fig, places, bands)


def _type(analysis: Analysis, node: str) -> str:
    return analysis.graph.nodes[node]["type"]


def _places(graph) -> tuple[dict[str, Place], list[tuple[float, float]]]:
    """Each node's place, and each band's (top, bottom): graph_view's layers, cut into bands of
    equal length when there are more than `MAX_COLUMNS`."""
    layered = layout(graph)
    columns = int(max(x for x, _ in layered.values())) + 1
    per_band = math.ceil(columns / math.ceil(columns / MAX_COLUMNS))
    places: dict[str, Place] = {}
    bands: list[tuple[float, float]] = []
    top = 0.0
    for band in range(math.ceil(columns / per_band)):
        members = {n: (x, y) for n, (x, y) in layered.items() if int(x) // per_band == band}
        tall = max(sum(1 for m in members.values() if m[0] == x) for x, _ in members.values())
        for node, (x, y) in members.items():
            row = (tall - 1) / 2 - y  # graph_view centres each layer's nodes around 0
            places[node] = Place(x - band * per_band, top - ARC - row * ROW - THUMB / 2, band, int(x), row)
        bottom = top - ARC - tall * ROW
        bands.append((top, bottom))
        top = bottom - BAND_GAP
    return places, bands


def _edges(graph, places: dict[str, Place], bands) -> go.Scatter:
    """Every edge in one trace: a straight line to the next layer; for a skip between top-row
    nodes an arc over the layers between; any other edge runs along the gutters between layers
    and a channel above or below its band (each in its own lane there), so that no line crosses
    a square or its label."""
    xs: list = []
    ys: list = []
    lanes: dict[tuple[int, str], int] = {}
    for a, b in graph.edges:
        if a == b or a not in places or b not in places:
            continue
        source, target = places[a], places[b]
        if source.band == target.band and target.column - source.column == 1:
            path = [(source.x + THUMB / 2, source.y), (target.x - THUMB / 2, target.y)]
        elif source.band == target.band and source.row == target.row == 0:
            path = _arc(source, target, bands[source.band][0] - ARC * 0.2)
        else:
            above = source.band == target.band and source.row + target.row < _rows(bands[source.band]) - 1
            key = (source.band, "above" if above else "below")
            lane = lanes.get(key, 0)
            lanes[key] = lane + 1
            top, bottom = bands[source.band]
            channel = (top - ARC / 2 if above else bottom - BAND_GAP / 2) + (lane % 3 - 1) * LANE
            path = [(source.x + THUMB / 2, source.y), (source.x + 0.5, source.y), (source.x + 0.5, channel),
                    (target.x - 0.5, channel), (target.x - 0.5, target.y), (target.x - THUMB / 2, target.y)]
        xs += [p[0] for p in path] + [None]
        ys += [p[1] for p in path] + [None]
    return go.Scatter(x=xs, y=ys, mode="lines", line={"color": EDGE_COLOUR, "width": 1.5}, hoverinfo="skip",
                      showlegend=False)


def _rows(band: tuple[float, float]) -> float:
    top, bottom = band
    return (top - bottom - ARC) / ROW


def _arc(source: Place, target: Place, ceiling: float, points: int = 16) -> list[tuple[float, float]]:
    """A curve from the top of one square to the top of another, higher the more layers it
    skips, never above `ceiling`."""
    start = (source.x, source.y + THUMB / 2)
    end = (target.x, target.y + THUMB / 2)
    base = max(start[1], end[1])
    apex = min(ceiling, base + 0.12 + 0.05 * (target.column - source.column))
    control = (start[0] + end[0]) / 2, 2 * apex - (start[1] + end[1]) / 2  # a quadratic curve peaks at apex
    result = []
    for t in np.linspace(0, 1, points):
        result.append(((1 - t) ** 2 * start[0] + 2 * (1 - t) * t * control[0] + t**2 * end[0],
                       (1 - t) ** 2 * start[1] + 2 * (1 - t) * t * control[1] + t**2 * end[1]))
    return result


def _thumbnail(node: str, kind: str, pictures: np.ndarray, place: Place) -> go.Heatmap:
    """One neuron's picture, or a mosaic of all of them (click: enlarged)."""
    if len(pictures) == 1:
        scaled = pictures[0] / max(1e-6, float(np.abs(pictures[0]).max()))
        return square(levels(scaled), (place.x, place.y), THUMB, f"{node} · {kind}")
    return square(mosaic(pictures), (place.x, place.y), THUMB, f"{node} · {kind}: {len(pictures)} neurons",
                  scale=MOSAIC_SCALE)


def _family_colour(node: str, kind: str) -> str:
    family = "input" if node == INPUT_ID else (REGISTRY[kind].group if kind in REGISTRY else "core")
    return FAMILY_COLOURS.get(family, FAMILY_COLOURS["core"])


def _frame(analysis: Analysis, node: str, place: Place, pictured: bool) -> dict:
    """A square's outline in its family's colour (as in the model diagram), filled where there is
    no picture."""
    colour = _family_colour(node, _type(analysis, node))
    return {"type": "rect", "x0": place.x - THUMB / 2, "x1": place.x + THUMB / 2, "y0": place.y - THUMB / 2,
            "y1": place.y + THUMB / 2, "line": {"color": colour, "width": 1.5}, "layer": "above",
            "fillcolor": "rgba(0,0,0,0)" if pictured else colour, "opacity": 1.0 if pictured else 0.35}


def _labels(analysis: Analysis, places: dict[str, Place]) -> go.Scatter:
    nodes = list(places)
    shapes = [fmt(analysis.nodes[n].output_shape) if n in analysis.nodes else "?" for n in nodes]
    return go.Scatter(
        x=[places[n].x for n in nodes], y=[places[n].y - THUMB / 2 - 0.05 for n in nodes], mode="text",
        text=[f"<b>{n}</b><br>{_type(analysis, n)}" for n in nodes], textposition="bottom center",
        textfont={"size": 10}, customdata=nodes, showlegend=False,
        hovertext=[f"{n} · {_type(analysis, n)} · output {s}" for n, s in zip(nodes, shapes, strict=True)],
        hoverinfo="text",
    )


def _sized(fig: go.Figure, places: dict[str, Place], bands) -> go.Figure:
    across = max(p.x for p in places.values())
    top, bottom = bands[0][0], bands[-1][1] - BAND_GAP  # the last band's channel below it too
    height = min(MAX_HEIGHT, round(2 * MARGIN + UNIT_PX * (top - bottom)))
    return fig.update_layout(
        height=height, margin={"l": MARGIN, "r": MARGIN, "t": MARGIN, "b": MARGIN}, showlegend=False,
        plot_bgcolor="rgba(0,0,0,0)", dragmode=False, hovermode="closest",
        xaxis={"visible": False, "range": [-0.6, across + 0.6], "fixedrange": True},
        yaxis={"visible": False, "range": [bottom, top], "scaleanchor": "x", "fixedrange": True},
    )
