"""The live charts in one frame, drawn by plotly.js there: a figure travels to the browser only
when it changed, the browser redraws only that chart, and the decision boundary's options ("show
test data", "discretize output") act in the browser without a server run. Streamlit's own
plotly charts are sent and re-rendered on every poll, which kept the browser busy most of each
second while training. Owns the session key `live_charts_sent`."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly
import plotly.offline
import streamlit as st
import streamlit.components.v1 as components

SOURCES = Path(__file__).with_name("live_charts")  # index.html and live_charts.js
# Plotly's template adds kilobytes to every figure; this is the few settings the page needs.
# Greys with some transparency read on the light theme and the dark one (the frame sets the
# background and text colours from the page's theme).
LINES = {"gridcolor": "rgba(128, 128, 128, 0.2)", "zerolinecolor": "rgba(128, 128, 128, 0.35)",
         "linecolor": "rgba(128, 128, 128, 0.35)"}
TEMPLATE = {"layout": {"font": {"family": '"Source Sans Pro", sans-serif'}, "hovermode": "closest",
                       "xaxis": LINES, "yaxis": LINES}}


@dataclass(frozen=True)
class Chart:
    """One live chart: its figure as plotly JSON, a version that changes whenever the figure does,
    a caption above it, and the options under it ({option: label}) that its traces' `meta` reads."""

    name: str
    version: int
    figure: dict[str, Any]
    caption: str = ""
    options: dict[str, str] | None = None


def _served_folder() -> Path:
    """Our page and script beside the plotly.js that the installed plotly package ships (4.8 MB,
    so not kept in the repository), in a folder named after their contents."""
    sources = sorted(SOURCES.iterdir())
    digest = hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in sources)).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"neuroloom-live-charts-{plotly.__version__}-{digest}"
    if not (folder / "plotly.min.js").exists():
        staging = Path(tempfile.mkdtemp(prefix="neuroloom-live-charts-"))
        for source in sources:
            (staging / source.name).write_bytes(source.read_bytes())
        (staging / "plotly.min.js").write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
        try:
            os.replace(staging, folder)  # whole or not at all, even with two servers starting
        except OSError:  # another server made it first
            shutil.rmtree(staging, ignore_errors=True)
    return folder


_frame = components.declare_component("live_charts", path=str(_served_folder()))


def show(charts: list[Chart], key: str, resend: bool = True, hold: bool = False) -> None:
    """Draw `charts` in the frame `key`. A figure is sent when its version is new to the frame, or
    when `resend` (a page run, which may have made a new frame) or the frame is new. The frame
    is made when there is a first chart to draw and the caller does not `hold` it, then kept:
    loading plotly.js takes the browser up to a second on a slow machine, better spent when the
    page has nothing more urgent to draw."""
    sent = st.session_state.setdefault("live_charts_sent", {}).setdefault(key, {})
    if not sent and (hold or not charts):
        return
    frame = (st.session_state.get(key) or {}).get("mount")  # a new frame says so with its first value
    if resend or sent.get("frame") != frame:
        sent.clear()
        sent["frame"] = frame
    shown = []
    for chart in charts:
        entry = {"name": chart.name, "version": chart.version, "caption": chart.caption, "options": chart.options}
        if sent.get(chart.name) != chart.version:
            entry["figure"] = chart.figure
            sent[chart.name] = chart.version
        shown.append(entry)
    _frame(charts=shown, key=key, default=None)
