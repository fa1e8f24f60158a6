"""TensorFlow Playground's network picture for small MLPs on 2-D data: each neuron a small square
showing its output over the input plane, links coloured by the weight's sign (blue positive,
orange negative) and as wide as its size. Drawn from the trainer's snapshot.

A column shows at most `SHOWN` neurons in full, so the picture fits one screen however wide the
layers; the rest of a wider layer are one square below them, a mosaic of their small pictures
labelled "+ 24 more". Each square's trace carries `meta={"enlarge": {"title": ...}}`: a click in
the live frame shows it large (frame_assets/enlarge.js)."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from components.charts import DIVERGING, LEVELS, NEGATIVE, POSITIVE, levels
from engine.data.planar import features
from engine.registry import REGISTRY
from engine.training.visuals import NEURON_SIZE, plane_grid

SHOWN = 8  # neurons a column shows in full; more would overlap or outgrow the screen
SIDE = 0.7  # a neuron's square, in rows (one row = one neuron's place)
PITCH = 1.6  # columns' distance, in rows: room for the links between them
WIDTHS = (0.6, 1.5, 3.0, 5.0)  # link widths for growing |weight|
MAX_HEIGHT = 520  # px: the picture fits beside the output on one screen
ROW_PX = 64  # a row's height in px when the columns are short
TOP, BOTTOM = 34, 6  # px: the column labels above, nothing below
LABEL = 0.4  # rows under a wide layer's last square for its "+ 24 more"
GAP_LEVEL = 0  # mosaics' gaps: the level drawn transparent; values use levels 1..LEVELS
MOSAIC_SCALE = [[0.0, "rgba(0,0,0,0)"], [1 / LEVELS, NEGATIVE], [0.5, DIVERGING[1][1]], [1.0, POSITIVE]]


def columns(node_types: dict[str, str]) -> list[tuple[str, str]] | None:
    """(Linear id, activation id) per hidden layer and (output id, "") last, for a plain stack."""
    ids = list(node_types)
    if ids and node_types[ids[-1]] in ("Sigmoid", "Softmax"):
        ids = ids[:-1]
    if len(ids) % 2 == 0:
        return None
    layers = [(ids[i], ids[i + 1]) for i in range(0, len(ids) - 1, 2)] + [(ids[-1], "")]
    for linear, activation in layers:
        if node_types[linear] != "Linear" or (activation and REGISTRY[node_types[activation]].group != "activation"):
            return None
    return layers


def _scaled(picture: np.ndarray) -> np.ndarray:
    return picture / max(1e-6, float(np.abs(picture).max()))


def mosaic(pictures: np.ndarray) -> np.ndarray:
    """Many neurons' pictures (n, S, S) tiled into one square-ish image of levels, each scaled to
    its own largest value, with transparent one-pixel gaps (`MOSAIC_SCALE`). Beyond 2 x 2 tiles
    every other pixel is kept: a live chart is sent again on every redraw, and 12 pixels a tile
    still read when enlarged."""
    count = len(pictures)
    across = math.ceil(math.sqrt(count))
    down = math.ceil(count / across)
    step = 1 if across <= 2 else 2
    size = pictures.shape[1] // step
    out = np.full((down * (size + 1) - 1, across * (size + 1) - 1), GAP_LEVEL, dtype=np.uint8)
    for k, picture in enumerate(pictures):
        top, left = (down - 1 - k // across) * (size + 1), (k % across) * (size + 1)  # the first tile top left
        out[top:top + size, left:left + size] = np.maximum(levels(_scaled(picture[::step, ::step]))[:size, :size], 1)
    return out


def square(z: np.ndarray, centre: tuple[float, float], side: float, title: str, scale=None) -> go.Heatmap:
    """A picture as a heatmap filling a `side`-wide square (keeping its aspect) around `centre`;
    clicking it in the live frame shows it enlarged under `title`."""
    rows, cols = z.shape
    cell = side / max(rows, cols)
    x = centre[0] + (np.arange(cols) - (cols - 1) / 2) * cell
    y = centre[1] + (np.arange(rows) - (rows - 1) / 2) * cell
    return go.Heatmap(x=x, y=y, z=z, zmin=0, zmax=LEVELS, colorscale=scale or DIVERGING, showscale=False,
                      hovertemplate=f"{title}<extra></extra>", meta={"enlarge": {"title": title}})


def input_pictures(feature_names: tuple[str, ...], domain) -> np.ndarray:
    """Each input feature over the plane, on the neurons' grid, scaled to [-1, 1]: (features, S, S)."""
    _, points = plane_grid(domain, NEURON_SIZE)
    inputs = features(points, feature_names).T.reshape(-1, NEURON_SIZE, NEURON_SIZE)
    return np.stack([_scaled(p) for p in inputs])


def _columns_of(visuals: dict, layers, feature_names, domain) -> list[dict] | None:
    """Each column's label, the title of each neuron and its pictures (n, S, S) in [-1, 1]."""
    weights, pictures = visuals.get("weights") or {}, visuals.get("neurons") or {}
    grid = visuals.get("boundary")
    if layers is None or grid is None or any(lin not in weights for lin, _ in layers):
        return None
    if any(act not in pictures for _, act in layers[:-1]):
        return None
    result = [{"label": "inputs", "name": "input", "titles": [f"input {n}" for n in feature_names],
               "pictures": input_pictures(feature_names, domain)}]
    for _, act in layers[:-1]:
        layer = pictures[act]
        result.append({"label": f"{act} · {len(layer)}", "name": act,
                       "titles": [f"{act} neuron {i + 1}" for i in range(len(layer))],
                       "pictures": np.stack([_scaled(p) for p in layer])})
    output = np.asarray(grid.get("value", grid.get("class")), dtype=float)[:: 100 // NEURON_SIZE, :: 100 // NEURON_SIZE]
    output = (output * 2 - 1) if grid.get("task") == "classification" and "value" in grid else _scaled(output)
    result.append({"label": "output", "name": "output", "titles": ["output"], "pictures": output[None]})
    return result


def _rows(count: int) -> float:
    """Rows a column of `count` neurons takes: the shown ones, and one for the rest with its label."""
    return count if count <= SHOWN else SHOWN + 1 + LABEL


def figure(visuals: dict, node_types: dict[str, str], feature_names: tuple[str, ...], domain) -> go.Figure | None:
    """The picture of a plain stack, or None for any other model or without its pictures (a layer
    wider than the trainer pictures: see `diagram` for those)."""
    layers = columns(node_types)
    cols = _columns_of(visuals, layers, feature_names, domain)
    if cols is None:
        return None
    weights = visuals["weights"]
    centres = []  # per column: the shown neurons' centres, top down
    for index, col in enumerate(cols):
        rows = _rows(len(col["pictures"]))
        centres.append([(index * PITCH, rows / 2 - 0.5 - row) for row in range(min(SHOWN, len(col["pictures"])))])
    fig = go.Figure()
    shown_weights = [weights[lin][: len(centres[i + 1]), : len(centres[i])] for i, (lin, _) in enumerate(layers)]
    top = max(float(np.abs(w).max()) for w in shown_weights)
    for index, weight in enumerate(shown_weights):
        _links(fig, weight, centres[index], centres[index + 1], top)
    for index, col in enumerate(cols):
        for (x, y), picture, title in zip(centres[index], col["pictures"], col["titles"], strict=False):
            fig.add_trace(square(levels(picture), (x, y), SIDE, title))
        _summary(fig, col, index * PITCH, _rows(len(col["pictures"])) / 2 - 0.5 - SHOWN)
    tallest = max(_rows(len(col["pictures"])) for col in cols)
    row_px = min(ROW_PX, (MAX_HEIGHT - TOP - BOTTOM) / max(tallest, 1))
    return fig.update_layout(
        height=round(TOP + BOTTOM + row_px * tallest), margin={"l": 5, "r": 5, "t": TOP, "b": BOTTOM},
        showlegend=False, plot_bgcolor="rgba(0,0,0,0)", dragmode=False, hovermode="closest",
        xaxis={"tickvals": [i * PITCH for i in range(len(cols))], "ticktext": [c["label"] for c in cols],
               "side": "top", "showgrid": False, "zeroline": False, "automargin": False, "fixedrange": True,
               "range": [-PITCH / 2, (len(cols) - 1) * PITCH + PITCH / 2]},
        yaxis={"visible": False, "scaleanchor": "x", "automargin": False, "fixedrange": True,
               "range": [-tallest / 2, tallest / 2]},
    )


def _summary(fig: go.Figure, col: dict, x: float, y: float) -> None:
    """A wide layer's neurons past the first `SHOWN`: one square, their mosaic, and how many they
    are under it. Their links are not drawn: dozens of lines into the same squares would hide
    the shown ones' (the enlarged mosaic shows what they learned)."""
    rest = col["pictures"][SHOWN:]
    if not len(rest):
        return
    title = f"{col['name']} neurons {SHOWN + 1}–{SHOWN + len(rest)}"
    fig.add_trace(square(mosaic(rest), (x, y), SIDE, title, scale=MOSAIC_SCALE))
    fig.add_annotation(x=x, y=y - SIDE / 2, text=f"+ {len(rest)} more", showarrow=False, yanchor="top",
                       font={"size": 11}, opacity=0.8)


def _links(fig: go.Figure, weight: np.ndarray, sources, targets, top: float) -> None:
    """All links between two columns' shown neurons in a few traces: one per sign and width band."""
    bands: dict[tuple[bool, int], tuple[list, list]] = {}
    for j, (tx, ty) in enumerate(targets):
        for i, (sx, sy) in enumerate(sources):
            w = float(weight[j, i]) if j < weight.shape[0] and i < weight.shape[1] else 0.0
            band = min(len(WIDTHS) - 1, int(abs(w) / max(top, 1e-9) * len(WIDTHS)))
            xs, ys = bands.setdefault((w >= 0, band), ([], []))
            xs += [round(sx + SIDE / 2, 3), round(tx - SIDE / 2, 3), None]  # short JSON: sent on every redraw
            ys += [round(sy, 3), round(ty, 3), None]
    for (positive, band), (xs, ys) in bands.items():
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip",
                                 line={"color": POSITIVE if positive else NEGATIVE, "width": WIDTHS[band]},
                                 opacity=0.75))
