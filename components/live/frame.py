"""The live view in one frame, drawn by plotly.js there: the run's numbers and loss curve, then
the charts. A chart's figure travels to the browser only when it changed, the browser redraws
only that chart, and the decision boundary's options ("show test data", "discretize output") act
in the browser without a server run. While training, the frame reads the numbers from the live
feed's route between runs of the page. Streamlit's own charts are sent and re-rendered on every
run, which kept the browser busy most of each second while training. Owns the session key
`live_charts_sent`."""

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

from components.charts import TEMPLATE

FRAME_FOLDER = Path(__file__).with_name("frame_assets")  # its page, scripts and plotly.min.js


@dataclass(frozen=True)
class Chart:
    """One live chart: its figure as plotly JSON, a version that changes whenever the figure does,
    a caption above it, and the options under it ({option: label}) that its traces' `meta` reads."""

    name: str
    version: int
    figure: dict[str, Any]
    caption: str = ""
    options: dict[str, str] | None = None
    place: str = "output"  # where the frame puts it: "network", "output" (beside it) or "below"


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


def show(charts: list[Chart], key: str, reading: dict[str, Any] | None = None, feed: str | None = None,
         present: bool = False) -> None:
    """Draw `reading` (the run's numbers and curve, see `reading`) and `charts` in the frame
    `key`. A figure is sent when its version is new to the frame, or when the frame asks for it:
    a new frame asks for all (with its first value), a frame that missed one asks for that one.
    The frame reads newer readings from `feed` (the live feed's path) between runs."""
    sent = st.session_state.setdefault("live_charts_sent", {}).setdefault(
        key, {"frame": None, "asked": None, "charts": {}})
    said = st.session_state.get(key) or {}
    if said.get("mount") != sent["frame"]:
        sent.update(frame=said.get("mount"), asked=said.get("asked"), charts={})
    elif said.get("asked") != sent["asked"]:  # each request is answered once
        sent["asked"] = said.get("asked")
        for name in said.get("missing", []):
            sent["charts"].pop(name, None)
    shown = []
    for chart in charts:
        entry = {"name": chart.name, "version": chart.version, "caption": chart.caption, "options": chart.options,
                 "place": chart.place}
        if sent["charts"].get(chart.name) != chart.version:
            entry["figure"] = chart.figure
            sent["charts"][chart.name] = chart.version
        shown.append(entry)
    _frame(charts=shown, reading=reading, feed=feed, present=present, key=key, default=None)
