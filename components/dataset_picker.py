"""TensorFlow Playground's dataset picker: a thumbnail of each 2-D dataset, a click picks one.
The thumbnails are one plotly figure whose cells are clickable (an invisible square marker over
each cell carries the dataset's name); the other datasets are in the select box beside it."""

from __future__ import annotations

import functools

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from components.charts import point_colours
from engine.data import check_data, make_dataset

THUMBNAILS = ("circle", "xor", "gaussian", "spiral", "moons", "blobs", "plane", "multi_gaussian")
COLUMNS = 4
CELL_PX = 62


@functools.cache
def figure(selected: str | None) -> go.Figure:
    """The thumbnails, `selected` framed. The same for every visitor: built once per choice."""
    rows = -(-len(THUMBNAILS) // COLUMNS)
    fig = make_subplots(rows=rows, cols=COLUMNS, horizontal_spacing=0.04, vertical_spacing=0.06)
    for i, name in enumerate(THUMBNAILS):
        row, col = i // COLUMNS + 1, i % COLUMNS + 1
        config, info, _ = check_data({"dataset": name, "n_samples": 160})
        dataset = make_dataset(config)
        points, labels = dataset.points_train, dataset.y_train.numpy()
        fig.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", hoverinfo="skip",
                                 marker={"size": 3, **point_colours(labels, info.is_classification, info.n_classes)}),
                      row=row, col=col)
        low, high = info.domain
        # the click target: one invisible square over the whole cell, named by its dataset
        fig.add_trace(go.Scatter(x=[(low + high) / 2], y=[(low + high) / 2], mode="markers", customdata=[name],
                                 marker={"symbol": "square", "size": CELL_PX, "opacity": 0.01, "color": "#888888"},
                                 hovertemplate=f"{name}<extra></extra>", meta={"dataset": name}),
                      row=row, col=col)
        suffix = "" if i == 0 else str(i + 1)
        fig.update_layout({f"xaxis{suffix}": {"range": [low, high], "visible": False, "fixedrange": True},
                           f"yaxis{suffix}": {"range": [low, high], "visible": False, "fixedrange": True,
                                              "scaleanchor": f"x{suffix}", "constrain": "domain"}})
        if name == selected:
            fig.add_shape(type="rect", xref=f"x{suffix} domain", yref=f"y{suffix} domain", x0=-0.04, y0=-0.04,
                          x1=1.04, y1=1.04, line={"color": "#ff4b4b", "width": 3})
    return fig.update_layout(height=rows * CELL_PX + 16, margin={"l": 2, "r": 2, "t": 4, "b": 4}, showlegend=False,
                             plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)", clickmode="event+select",
                             dragmode=False)


def show(current: str, key: str) -> str | None:
    """The thumbnails with `current` framed; returns a dataset the user just clicked, else None."""
    # keyed on the current dataset: a new choice (here or in the select box) starts with no selection
    event = st.plotly_chart(figure(current if current in THUMBNAILS else None), key=f"{key}_{current}", on_select="rerun",
                            selection_mode="points", config={"displayModeBar": False}, width="stretch")
    points = event.selection.points if event else []
    picked = points[0].get("customdata") if points else None
    if isinstance(picked, list):
        picked = picked[0] if picked else None
    return picked if picked in THUMBNAILS and picked != current else None
