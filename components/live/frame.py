"""The live view in one frame, drawn by plotly.js there: the network, the output, the run's
numbers and loss curve. The browser redraws a chart only when its version (its content's hash) is
new, and the decision boundary's options ("show test data", "discretize output") act in the
browser without a server run. Between the page's runs (which now come only from a person's
actions) the frame reads everything new from the live feed's route: one channel for the readings
and the pictures. Streamlit's own charts are sent and re-rendered on every run, which kept the
browser busy most of each second while training.

"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import streamlit.components.v1 as components

from components.charts import TEMPLATE

FRAME_FOLDER = Path(__file__).with_name("frame_assets")  # its page and scripts, with plotly.js from frontend/
# the trace types in plotly.js's cartesian bundle, the one the frame loads (a third of the full one's size)
FRAME_TRACE_TYPES = frozenset({"bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
                               "image", "pie", "scatter", "scatterternary", "violin"})


@dataclass(frozen=True)
class Chart:
    """One live chart: its figure as plotly JSON, a version that changes whenever the figure does,
    a caption above it, and the options under it ({option: label}) that its traces' `meta` reads."""

    name: str
    version: str
    figure: dict[str, Any]
    caption: str = ""
    options: dict[str, str] | None = None
    place: str = "output"  # where the frame puts it: "network", "output" (beside it) or "below"


_frame = components.declare_component("live_charts", path=str(FRAME_FOLDER))


def figure_json(figure: go.Figure) -> dict[str, Any]:
    """A figure as the frame takes it: plotly JSON, with the page's few layout settings."""
    return json.loads(figure.update_layout(template=TEMPLATE).to_json())


def show(charts: list[Chart], key: str, reading: dict[str, Any] | None = None, feed: str | None = None,
         state: str = "", present: bool = False, network: bool = True, owner: str | None = None) -> Any:
    """Draw `reading` (the run's numbers and curve, see `reading`) and `charts` in the frame `key`.
    The frame redraws a chart only when its version is new to it. It reads newer readings and
    charts from `feed` (the live feed's path) between the page's runs, and sets its value when
    the run's state is no longer `state` (the page's controls are then out of date). Without
    `network` the output takes the frame's whole width (the graph editor shows the network beside
    it). `owner`, the browser's run-store id, is kept in a cookie by the frame. Returns the frame's value."""
    shown = [{"name": c.name, "version": c.version, "caption": c.caption, "options": c.options, "place": c.place,
              "figure": c.figure} for c in charts]
    return _frame(charts=shown, reading=reading, feed=feed, state=state, present=present, network=network, owner=owner,
                  key=key, default=None)
