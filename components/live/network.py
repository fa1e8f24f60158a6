"""TensorFlow Playground's network picture for small MLPs on 2-D data: each neuron a small square
showing its output over the input plane, links coloured by the weight's sign (blue positive,
orange negative) and as wide as its size. Drawn from the trainer's snapshot."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from components.charts import DIVERGING, LEVELS, NEGATIVE, POSITIVE, levels
from engine.data.planar import features
from engine.registry import REGISTRY
from engine.training.visuals import NEURON_SIZE, plane_grid

SIDE = 0.7  # a neuron's square, in column widths
WIDTHS = (0.6, 1.5, 3.0, 5.0)  # link widths for growing |weight|


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


def figure(visuals: dict, node_types: dict[str, str], feature_names: tuple[str, ...], domain) -> go.Figure | None:
    layers = columns(node_types)
    weights, pictures = visuals.get("weights") or {}, visuals.get("neurons") or {}
    grid = visuals.get("boundary")
    if layers is None or grid is None or any(lin not in weights for lin, _ in layers):
        return None
    if any(act not in pictures for _, act in layers[:-1]):
        return None
    _, points = plane_grid(domain, NEURON_SIZE)
    inputs = features(points, feature_names).T.reshape(-1, NEURON_SIZE, NEURON_SIZE)
    stack = [np.stack([_scaled(p) for p in inputs])]
    stack += [np.stack([_scaled(p) for p in pictures[act]]) for _, act in layers[:-1]]
    output = np.asarray(grid.get("value", grid.get("class")), dtype=float)[:: 100 // NEURON_SIZE, :: 100 // NEURON_SIZE]
    stack.append((output * 2 - 1)[None] if grid.get("task") == "classification" and "value" in grid else _scaled(output)[None])
    centres = [[(float(col), (len(pics) - 1) / 2 - row) for row in range(len(pics))] for col, pics in enumerate(stack)]
    fig = go.Figure()
    top = max(abs(w).max() for w in (weights[lin] for lin, _ in layers))
    for col, (linear, _) in enumerate(layers):
        _links(fig, weights[linear], centres[col], centres[col + 1], top)
    axis = np.linspace(-SIDE / 2, SIDE / 2, NEURON_SIZE)
    for col, pics in enumerate(stack):
        for (x, y), picture in zip(centres[col], pics, strict=False):
            fig.add_trace(go.Heatmap(x=x + axis, y=y + axis, z=levels(picture), zmin=0, zmax=LEVELS, colorscale=DIVERGING,
                                     showscale=False, hoverinfo="skip"))
    labels = ["inputs", *[act for _, act in layers[:-1]], "output"]
    tallest = max(len(p) for p in stack)
    fig.update_layout(height=100 + 62 * tallest, margin={"l": 5, "r": 5, "t": 34, "b": 5}, showlegend=False,
                      plot_bgcolor="rgba(0,0,0,0)",
                      xaxis={"tickvals": list(range(len(stack))), "ticktext": labels, "side": "top", "showgrid": False,
                             "zeroline": False, "automargin": False},
                      yaxis={"visible": False, "scaleanchor": "x", "automargin": False})
    return fig


def _links(fig: go.Figure, weight: np.ndarray, sources, targets, top: float) -> None:
    """All links between two columns in a few traces: one per sign and width band."""
    bands: dict[tuple[bool, int], tuple[list, list]] = {}
    for j, (tx, ty) in enumerate(targets):
        for i, (sx, sy) in enumerate(sources):
            w = float(weight[j, i]) if j < weight.shape[0] and i < weight.shape[1] else 0.0
            band = min(len(WIDTHS) - 1, int(abs(w) / max(top, 1e-9) * len(WIDTHS)))
            xs, ys = bands.setdefault((w >= 0, band), ([], []))
            xs += [sx + SIDE / 2, tx - SIDE / 2, None]
            ys += [sy, ty, None]
    for (positive, band), (xs, ys) in bands.items():
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip",
                                 line={"color": POSITIVE if positive else NEGATIVE, "width": WIDTHS[band]},
                                 opacity=0.75))
