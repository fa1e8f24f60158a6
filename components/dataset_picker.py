"""TensorFlow Playground's dataset picker: a thumbnail of each 2-D dataset, a click picks one.
The thumbnails are a small component of their own (`dataset_picker_assets/`): buttons with the
points drawn as SVG dots. A plotly chart here was the only one on the page at first load, and
loading plotly.js for it cost a second of the browser's time; the other datasets are in the
select box beside it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import streamlit.components.v1 as components
from plotly.colors import sample_colorscale

from components.charts import CLASS_COLOURS, DIVERGING, NEGATIVE, POSITIVE
from engine.data import check_data, make_dataset

THUMBNAILS = ("circle", "xor", "gaussian", "spiral", "moons", "blobs", "plane", "multi_gaussian")
POINTS = 160



@functools.cache
def _picker():
    # declared on first use, in a page's run: the server's warm-up imports this module before any
    return components.declare_component("dataset_picker", path=str(Path(__file__).with_name("dataset_picker_assets")))


def _colours(labels: np.ndarray, classification: bool, classes: int | None) -> list[str]:
    if not classification:  # a value in [-1, 1] on the boundary's scale
        return sample_colorscale(DIVERGING, list((np.clip(labels, -1, 1) + 1) / 2), colortype="rgb")
    palette = [NEGATIVE, POSITIVE] if classes == 2 else CLASS_COLOURS
    return [palette[int(label) % len(palette)] for label in labels]


@functools.cache
def cells() -> tuple[dict[str, Any], ...]:
    """Each thumbnail's points in a 0-100 square, with their colours. The same for every visitor:
    built once per server."""
    drawn = []
    for name in THUMBNAILS:
        config, info, _ = check_data({"dataset": name, "n_samples": POINTS})
        dataset = make_dataset(config)
        low, high = info.domain
        square = (np.asarray(dataset.points_train, dtype=float) - low) / (high - low) * 100
        drawn.append({"name": name, "points": np.rint(square).astype(int).tolist(),  # a 1% step: finer than a thumbnail's pixel
                      "colours": _colours(dataset.y_train.numpy().ravel(), info.is_classification, info.n_classes)})
    return tuple(drawn)


def show(current: str, key: str) -> str | None:
    """The thumbnails with `current` framed; returns a dataset the user just clicked, else None."""
    # keyed on the current dataset: a new choice (here or in the select box) starts with no click
    picked = _picker()(cells=list(cells()), selected=current, key=f"{key}_{current}", default=None)
    return picked if picked in THUMBNAILS and picked != current else None
