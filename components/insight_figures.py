"""Plotly figures of the insight views (engine/training/insights.py): one function per view, each
taking the arrays the training process computed and returning the figures to draw, by name."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.charts import CLASS_COLOURS, DIVERGING, NEGATIVE, POSITIVE, TEMPLATE

GREYS = "Greys"
PANEL_PX = 92  # one small image (a filter, a map, a decoded point) in a grid
PER_ROW = 8


def figures(insight: dict) -> dict[str, go.Figure]:
    """The view's figures, by name (empty when the view has nothing to draw)."""
    return DRAW[insight["view"]](insight)


def _layout(fig: go.Figure, height: int, **extra) -> go.Figure:
    return fig.update_layout(**{"template": TEMPLATE, "height": height, "margin": {"l": 40, "r": 10, "t": 40, "b": 30},
                                "showlegend": False, **extra})


def _titled(fig: go.Figure, text: str) -> go.Figure:
    """A figure title above its panels' own titles."""
    return fig.update_layout(title={"text": text, "x": 0, "y": 1, "yanchor": "top", "font": {"size": 13}},
                             margin={"t": 62}, height=fig.layout.height + 22)


def _images(arrays, titles: list[str], colours=DIVERGING, symmetric: bool = True) -> go.Figure:
    """Small heatmaps in rows of PER_ROW, each on its own scale (a filter's sign matters, so
    signed values are centred on zero); rows top to bottom as the image is."""
    count = len(arrays)
    columns = min(PER_ROW, count)
    rows = math.ceil(count / columns)
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=titles, horizontal_spacing=0.02,
                        vertical_spacing=0.12 / rows)
    for i, image in enumerate(arrays):
        peak = float(np.abs(image).max()) or 1.0
        low, high = (-peak, peak) if symmetric else (float(image.min()), float(image.max()) or 1.0)
        fig.add_heatmap(z=image, zmin=low, zmax=high, colorscale=colours, showscale=False,
                        hovertemplate="row %{y}, column %{x}: %{z:.3f}<extra></extra>",
                        row=i // columns + 1, col=i % columns + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    for i in range(2, count + 1):  # each panel square (its own x axis)
        fig.update_yaxes(scaleanchor=f"x{i}", row=(i - 1) // columns + 1, col=(i - 1) % columns + 1)
    return _layout(fig, 40 + rows * (PANEL_PX + 24))


def activations(insight: dict) -> dict[str, go.Figure]:
    layers = insight["layers"]
    columns = min(4, len(layers))
    rows = math.ceil(len(layers) / columns)
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=[_layer_title(layer) for layer in layers],
                        horizontal_spacing=0.06, vertical_spacing=0.5 / max(rows, 1))
    for i, layer in enumerate(layers):
        edges = np.asarray(layer["edges"])
        fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=layer["counts"], width=np.diff(edges), marker_color=POSITIVE,
                    hovertemplate="outputs near %{x:.3g}: %{y}<extra></extra>", row=i // columns + 1, col=i % columns + 1)
    fig.update_xaxes(title_text="output value", title_standoff=2)
    fig.update_yaxes(title_text="count", col=1)
    return {"histograms": _layout(fig, 60 + rows * 190, bargap=0)}


def _layer_title(layer: dict) -> str:
    notes = []
    if layer["zero"] >= 0.05:
        notes.append(f"{layer['zero']:.0%} zero")
    if layer.get("saturated") is not None:
        notes.append(f"{layer['saturated']:.0%} saturated")
    return f"{layer['id']} · {layer['type']}" + (f" ({', '.join(notes)})" if notes else "")


def convolution(insight: dict) -> dict[str, go.Figure]:
    node = insight["node"]
    drawn = {"filters": _images(insight["filters"], [f"filter {i}" for i in range(len(insight["filters"]))]),
             "maps": _images(insight["maps"], [f"map {i}" for i in range(len(insight["maps"]))], symmetric=False,
                             colours=GREYS)}
    _titled(drawn["filters"], f"{node}: filters (blue +, orange −)")
    _titled(drawn["maps"], f"{node}: feature maps of test sample {insight['sample']}")
    if insight.get("image") is not None:
        drawn["image"] = _images(insight["image"][None], [f"test sample {insight['sample']}"], colours=GREYS,
                                 symmetric=False)
    for pool in insight["pooling"]:
        channels = len(pool["input"])
        pair = _images([*pool["input"], *pool["output"]],
                       [f"in {c}" for c in range(channels)] + [f"out {c}" for c in range(channels)],
                       colours=GREYS, symmetric=False)
        drawn[f"pool_{pool['id']}"] = _titled(pair, f"{pool['id']}: input and output, first {channels} channels")
    return drawn


def attention(insight: dict) -> dict[str, go.Figure]:
    """Each head's weights; the engine sends the first positions and heads of a long sequence or a
    many-headed layer only (engine.training.insights.ATTENTION_POSITIONS), and the title says so."""
    weights, tokens = insight["weights"], insight["tokens"]
    heads = len(weights)
    fig = make_subplots(rows=1, cols=heads, subplot_titles=[f"head {h + 1}" for h in range(heads)],
                        horizontal_spacing=0.04)
    labels = [f"{i}:{t}" for i, t in enumerate(tokens)]  # positions kept apart when tokens repeat
    for h in range(heads):
        fig.add_heatmap(z=weights[h], x=labels, y=labels, zmin=0, zmax=1, colorscale="Blues", showscale=h == heads - 1,
                        colorbar={"title": {"text": "weight"}},
                        hovertemplate="query %{y} → key %{x}: %{z:.2f}<extra></extra>", row=1, col=h + 1)
    fig.update_xaxes(title_text="key (attended to)", type="category")
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_yaxes(title_text="query", col=1)
    drawn = _layout(fig, 330)
    note = _attention_part(len(tokens), insight.get("steps", len(tokens)), heads, insight.get("heads", heads))
    return {"attention": _titled(drawn, note) if note else drawn}


def _attention_part(shown: int, steps: int, heads_shown: int, heads: int) -> str:
    """What part of the weights is drawn, when not all of them are ("" when all are)."""
    parts = []
    if shown < steps:
        parts.append(f"the first {shown} of {steps:,} positions (each row's weights spread over all {steps:,}, "
                     "so a row here sums to at most 1)")
    if heads_shown < heads:
        parts.append(f"the first {heads_shown} of {heads} heads")
    return ("Drawn: " + "; ".join(parts)) if parts else ""


def recurrent(insight: dict) -> dict[str, go.Figure]:
    states = insight["states"]
    gates = insight.get("gates")
    rows = 3 if gates else 2
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, row_heights=[0.25, 0.5, 0.25][:rows],
                        subplot_titles=["input sequence", "hidden state (units × time)",
                                        "LSTM gates, mean over units"][:rows], vertical_spacing=0.08)
    steps = list(range(states.shape[1]))
    fig.add_scatter(x=steps, y=insight["signal"], mode="lines+markers", line={"color": "#555555"}, showlegend=False,
                    hovertemplate="step %{x}: %{y:.3f}<extra></extra>", row=1, col=1)
    peak = float(np.abs(states).max()) or 1.0
    fig.add_heatmap(z=states, x=steps, zmin=-peak, zmax=peak, colorscale=DIVERGING, colorbar={"len": 0.5},
                    hovertemplate="unit %{y}, step %{x}: %{z:.3f}<extra></extra>", row=2, col=1)
    fig.update_yaxes(title_text="unit", row=2, col=1)
    if gates:
        for (name, values), colour in zip(gates.items(), (POSITIVE, NEGATIVE, "#2CA02C"), strict=True):
            fig.add_scatter(x=steps, y=values, name=name, mode="lines", line={"color": colour}, row=3, col=1)
        fig.update_yaxes(range=[0, 1], title_text="open", row=3, col=1)
    fig.update_xaxes(title_text="time step", row=rows, col=1)
    return {"recurrent": _layout(fig, 460 if gates else 360, showlegend=bool(gates),
                                 legend={"orientation": "h", "y": -0.15})}


def latent(insight: dict) -> dict[str, go.Figure]:
    codes, labels = np.asarray(insight["codes"]), insight.get("labels")
    fig = go.Figure()
    if labels is None:
        fig.add_scatter(x=codes[:, 0], y=codes[:, 1], mode="markers", marker={"color": POSITIVE, "size": 5})
    else:
        labels = np.asarray(labels)
        for value in np.unique(labels):
            chosen = labels == value
            fig.add_scatter(x=codes[chosen, 0], y=codes[chosen, 1], mode="markers", name=str(value),
                            marker={"color": CLASS_COLOURS[int(value) % len(CLASS_COLOURS)], "size": 5})
    fig.update_xaxes(title_text=f"{insight['node']} unit 0")
    fig.update_yaxes(title_text=f"{insight['node']} unit 1")
    drawn = {"latent": _layout(fig, 420, showlegend=labels is not None,
                               title={"text": "test set in the latent plane", "x": 0, "font": {"size": 13}})}
    grid = insight.get("grid")
    if grid is not None:
        images = np.asarray(grid["images"])
        side = math.isqrt(len(images))
        # a blank line after each image, so the grid reads as separate digits
        images = np.pad(images.astype(float), ((0, 0), (0, 1), (0, 1)), constant_values=np.nan)
        h, w = images.shape[1:]
        tiled = images.reshape(side, side, h, w).transpose(0, 2, 1, 3).reshape(side * h, side * w)
        decoded = go.Figure(go.Heatmap(z=tiled, colorscale=GREYS, showscale=False, hoverinfo="skip"))
        decoded.update_xaxes(visible=False)
        decoded.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
        drawn["decoded"] = _layout(decoded, 420, title={"text": "decoded from a grid over the plane", "x": 0,
                                                        "font": {"size": 13}})
    return drawn


def generated(insight: dict) -> dict[str, go.Figure]:
    """A GAN's samples: over the discriminator's surface beside the real points, or as images."""
    if "images" in insight:
        images = np.asarray(insight["images"])
        return {"generated": _titled(_images(images, [""] * len(images), colours=GREYS, symmetric=False),
                                     "generated samples (the same noise each time)")}
    fig = go.Figure()
    surface = insight.get("surface")
    if surface is not None:
        fig.add_heatmap(x=surface["axis"], y=surface["axis"], z=surface["real"], zmin=0, zmax=1, colorscale=DIVERGING,
                        colorbar={"title": {"text": "P(real)"}, "thickness": 12},
                        hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}: P(real) %{z:.2f}<extra>discriminator</extra>")
    # dark real points and red generated ones read on both ends of the orange-to-blue surface
    for name, colour, symbol in (("real", "#333333", "circle"), ("generated", "#E4002B", "x")):
        points = np.asarray(insight[name])
        fig.add_scatter(x=points[:, 0], y=points[:, 1], mode="markers", name=name,
                        marker={"color": colour, "size": 5, "symbol": symbol, "line": {"color": "white", "width": 0.5}})
    if surface is not None:  # the plane the data lives on, as the main view draws it
        span = [surface["axis"][0], surface["axis"][-1]]
        fig.update_xaxes(range=span)
        fig.update_yaxes(range=span)
    fig.update_xaxes(title_text="x₁", constrain="domain")
    fig.update_yaxes(title_text="x₂", scaleanchor="x")
    return {"generated": _layout(fig, 460, showlegend=True,
                                 legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"},
                                 title={"text": "real and generated points over the discriminator's P(real)",
                                        "x": 0, "font": {"size": 13}})}


DRAW = {"activations": activations, "convolution": convolution, "attention": attention, "recurrent": recurrent,
        "latent": latent, "generated": generated}


def picker(images: np.ndarray) -> go.Figure:
    """Test images in a row to click: one heatmap strip, and an invisible point over each image
    (plotly selects points, not heatmap cells)."""
    count, height, width = images.shape
    gap = np.full((height, 1), np.nan)
    strip = np.hstack([np.hstack([image, gap]) for image in images])
    fig = go.Figure(go.Heatmap(z=strip, colorscale=GREYS, showscale=False, hoverinfo="skip"))
    centres = [i * (width + 1) + (width - 1) / 2 for i in range(count)]
    fig.add_scatter(x=centres, y=[(height - 1) / 2] * count, mode="markers", hovertemplate="test sample %{text}<extra></extra>",
                    text=[str(i) for i in range(count)], marker={"size": 30, "opacity": 0, "symbol": "square"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return _layout(fig, 110, margin={"l": 0, "r": 0, "t": 4, "b": 4}, dragmode=False, clickmode="event+select")
