"""The live charts in one frame, drawn by plotly.js there: a figure travels to the browser only
when it changed, the browser redraws only that chart, and the decision boundary's options ("show
test data", "discretize output") act in the browser without a server run. Streamlit's own
plotly charts are sent and re-rendered on every poll, which kept the browser busy most of each
second while training. Owns the session key `live_charts_sent`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.offline
import streamlit as st
import streamlit.components.v1 as components

FRAME_FOLDER = Path(__file__).with_name("live_charts")  # index.html, live_charts.js and plotly.min.js
# Plotly's template adds kilobytes to every figure; this is the few settings the page needs.
# Greys with some transparency read on the light theme and the dark one (the frame sets the
# background and text colours from the page's theme).
AXIS_LINES = {"gridcolor": "rgba(128, 128, 128, 0.2)", "zerolinecolor": "rgba(128, 128, 128, 0.35)",
         "linecolor": "rgba(128, 128, 128, 0.35)"}
TEMPLATE = {"layout": {"font": {"family": '"Source Sans Pro", sans-serif'}, "hovermode": "closest",
                       "xaxis": AXIS_LINES, "yaxis": AXIS_LINES}}


@dataclass(frozen=True)
class Chart:
    """One live chart: its figure as plotly JSON, a version that changes whenever the figure does,
    a caption above it, and the options under it ({option: label}) that its traces' `meta` reads."""

    name: str
    version: int
    figure: dict[str, Any]
    caption: str = ""
    options: dict[str, str] | None = None


def _with_plotly_js() -> Path:
    """The frame's folder, with the plotly.js that the installed plotly package ships written
    beside our page (4.8 MB, so git-ignored and not kept in the repository)."""
    target = FRAME_FOLDER / "plotly.min.js"
    script = plotly.offline.get_plotlyjs()
    if not target.exists() or target.read_text(encoding="utf-8") != script:  # a new plotly: its own script
        staging = target.with_name(f".plotly.min.js.{os.getpid()}")
        staging.write_text(script, encoding="utf-8")
        os.replace(staging, target)  # whole or not at all, even with two servers starting
    return FRAME_FOLDER


_frame = components.declare_component("live_charts", path=str(_with_plotly_js()))


def figure_json(figure: go.Figure) -> dict[str, Any]:
    """A figure as the frame takes it: plotly JSON, with the page's few layout settings."""
    return json.loads(figure.update_layout(template=TEMPLATE).to_json())


def show(charts: list[Chart], key: str, hold: bool = False) -> None:
    """Draw `charts` in the frame `key`. A figure is sent when its version is new to the frame, or
    when the frame asks for it: a new frame asks for all (with its first value), a frame that
    missed one asks for that one. The frame is made when there is a first chart to draw and the
    caller does not `hold` it, then kept: loading plotly.js takes the browser up to a second on a
    slow machine, better spent when the page has nothing more urgent to draw."""
    sent = st.session_state.setdefault("live_charts_sent", {}).setdefault(
        key, {"made": False, "frame": None, "asked": None, "charts": {}})
    if not sent["made"] and (hold or not charts):
        return
    sent["made"] = True
    said = st.session_state.get(key) or {}
    if said.get("mount") != sent["frame"]:
        sent.update(frame=said.get("mount"), asked=said.get("asked"), charts={})
    elif said.get("asked") != sent["asked"]:  # each request is answered once
        sent["asked"] = said.get("asked")
        for name in said.get("missing", []):
            sent["charts"].pop(name, None)
    shown = []
    for chart in charts:
        entry = {"name": chart.name, "version": chart.version, "caption": chart.caption, "options": chart.options}
        if sent["charts"].get(chart.name) != chart.version:
            entry["figure"] = chart.figure
            sent["charts"][chart.name] = chart.version
        shown.append(entry)
    _frame(charts=shown, key=key, default=None)
