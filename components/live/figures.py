"""The live view's figures, built from a trainer's snapshot: the decision boundary with the
points, the neuron mosaic, the confusion matrix, the forecast and the digit samples. Pure plotly,
no Streamlit: the view decides when each is drawn again."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.charts import (
    CHAR_PX,
    CLASS_COLOURS,
    DIVERGING,
    LEVELS,
    NEGATIVE,
    POSITIVE,
    fixed_margins,
    levels,
    points_trace,
    square_layout,
    square_subplots,
)
from engine.data import Dataset
from engine.registry import REGISTRY
from engine.training.trainer import Snapshot

GENERATED_COLOUR = "#111111"  # near black: apart from the classes' colours (red among them) and the surface


def fixed(fig: go.Figure | None) -> go.Figure | None:
    """Fixed margins, wide enough for tick labels and axis titles: plotly.js's automatic margins
    re-lay the chart out on every update. A figure that asked for wider ones (long labels) keeps
    them. No figure (nothing to draw yet) stays None."""
    if fig is None:
        return None
    if fig.layout.xaxis.visible is not False:
        second_axis = "yaxis2" in fig.layout and fig.layout["yaxis2"].overlaying is not None
        asked = fig.layout.margin
        fig.update_layout(margin={side: max(px, asked[side] or 0) for side, px in fixed_margins(second_axis).items()})
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
    # Paler than the points, as the Playground draws it (alpha 160 of 255): a dot on a region of
    # its own colour still shows as a dot, not as a ring; the heatmap lies under the points
    fig = go.Figure(heat.update(opacity=0.6))
    fig.add_trace(points_trace(dataset.points_train, dataset.y_train.numpy(), dataset, "train"))
    test = points_trace(dataset.points_test, dataset.y_test.numpy(), dataset, "test", test=True)
    fig.add_trace(test.update(meta={"option": "showTest"}, visible=False))
    fake = ((snapshot.visuals or {}).get("samples") or {}).get("points")
    if fake is not None:  # a GAN's generator, over the real points and its discriminator's P(real)
        fig.add_scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="generated",
                        marker={"symbol": "x", "size": 6, "color": GENERATED_COLOUR},
                        hovertemplate="generated (%{x:.2f}, %{y:.2f})<extra></extra>")
    return square_layout(fig, dataset.info.domain, height=290)


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
    left = 10 + CHAR_PX * max(len(n) for n, _ in layers)  # room for the layer names
    return figure.update_layout(
        height=60 * len(layers) + 30, margin={"l": left, "r": 5, "t": 5, "b": 5}, plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"visible": False}, yaxis={"tickvals": ticks, "ticktext": [n for n, _ in layers], "scaleanchor": "x"},
    )


def confusion(snapshot: Snapshot, names: tuple[str, ...]) -> go.Figure | None:
    matrix = (snapshot.visuals or {}).get("confusion")
    if matrix is None:
        return None
    labels = list(names) or [str(i) for i in range(len(matrix))]
    shown = [name if len(name) <= 12 else name[:11] + "…" for name in labels]
    longest = max(len(name) for name in shown)
    slanted = longest > 3  # longer names slant, so that neighbours' labels never overlap
    # margins for the labels and the axis title beside them (plotly.js's automatic ones are off)
    left, bottom = 35 + CHAR_PX * longest, 40 + (CHAR_PX * longest * 3 // 4 if slanted else 15)
    # categories, each one a tick: digits' names would otherwise make a numeric axis
    ticks = {"type": "category", "tickmode": "array", "tickvals": labels, "ticktext": shown}
    fig = go.Figure(go.Heatmap(z=matrix, x=labels, y=labels, colorscale="Blues", text=matrix,
                               texttemplate="%{text}", showscale=False))
    return fig.update_layout(height=250 + bottom, margin={"l": left, "r": 15, "t": 10, "b": bottom},
                             xaxis={**ticks, "title": "predicted", "tickangle": -45 if slanted else 0},
                             yaxis={**ticks, "title": "true (test set)", "autorange": "reversed"})


def forecast(snapshot: Snapshot) -> go.Figure | None:
    series = (snapshot.visuals or {}).get("forecast")
    if not series:
        return None
    fig = go.Figure([go.Scatter(x=series["time"], y=series["truth"], name="truth", line={"color": "#555555"}),
                     go.Scatter(x=series["time"], y=series["predicted"], name="predicted", line={"color": POSITIVE})])
    # the margins keep the tick labels' minus signs and the axis titles clear of the labels
    return fig.update_layout(height=260, margin=fixed_margins(), legend={"orientation": "h", "y": 1.15},
                             xaxis={"title": "time (rad)"}, yaxis={"title": "value", "tickformat": ".2~f"})


def samples(snapshot: Snapshot) -> go.Figure | None:
    """Test images with the model's answer: the predicted digit (✓ or ✗), or the reconstruction
    under each image for autoencoders; a GAN's generated images alone."""
    shown = (snapshot.visuals or {}).get("samples")
    if not shown:
        return None
    images = shown["images"]
    rows = 2 if "reconstructed" in shown else 1
    if "predicted" in shown:
        titles = [f"{p} {'✓' if p == t else f'✗ ({t})'}" for p, t in zip(shown["predicted"], shown["truth"], strict=True)]
    else:
        # one label per row, over its first image: ten "input"s ran into each other in a narrow column
        titles = ["" if "label" in shown else "input", *[""] * (len(images) - 1), "output", *[""] * (len(images) - 1)]
    fig = make_subplots(rows=rows, cols=len(images), subplot_titles=titles, horizontal_spacing=0.01,
                        vertical_spacing=0.12)
    pictures = [images] + ([shown["reconstructed"]] if rows == 2 else [])
    for row, stack in enumerate(pictures, start=1):
        for col, image in enumerate(stack, start=1):
            fig.add_trace(go.Heatmap(z=np.asarray(image)[::-1], zmin=0, zmax=1, colorscale="Greys", showscale=False,
                                     hoverinfo="skip"), row=row, col=col)
    fig.update_xaxes(visible=False).update_yaxes(visible=False)
    if "label" in shown:  # a GAN's: one line over the row (a subplot title over a small image is clipped)
        fig.update_layout(title={"text": shown["label"], "x": 0, "xanchor": "left", "y": 0.97, "font": {"size": 13}})
    return square_subplots(fig).update_layout(height=90 + 80 * rows, margin={"l": 5, "r": 5, "t": 30, "b": 5})
