"""The live frame loads plotly.js's cartesian bundle, not the full one: these checks fail when the
committed bundle drifts from its locked package or from the plotly package that writes the
figures, or when a live picture uses a trace type the bundle cannot draw."""

from __future__ import annotations

import json
import re

import plotly.offline
import pytest

from components import graph_view
from components.live import frame, view
from engine import load_experiment
from engine.training.session import Session
from engine.training.trainer import Snapshot
from engine.training.visuals import all_visuals
from tests.conftest import ROOT

BUNDLE = frame.FRAME_FOLDER / "plotly-cartesian.min.js"
FRONTEND = ROOT / "components" / "live" / "frontend"


def test_the_frame_page_loads_the_committed_cartesian_bundle():
    page = (frame.FRAME_FOLDER / "index.html").read_text()
    assert '<script src="plotly-cartesian.min.js"></script>' in page
    assert BUNDLE.stat().st_size < 2_000_000  # the full bundle is 4.8 MB


def test_the_bundle_is_the_locked_version_of_the_plotly_js_that_writes_our_figures():
    header = BUNDLE.read_text(encoding="utf-8")[:200]
    bundled = re.search(r"plotly\.js \(cartesian - minified\) v(\S+)", header)
    assert bundled, header
    lock = json.loads((FRONTEND / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/plotly.js-cartesian-dist-min"]["version"]
    assert bundled.group(1) == locked == plotly.offline.get_plotlyjs_version()


def test_the_declared_trace_types_are_the_bundles_own():
    registered = set(re.findall(r'moduleType:"trace",name:"(\w+)"', BUNDLE.read_text(encoding="utf-8")))
    assert registered == frame.FRAME_TRACE_TYPES


@pytest.mark.parametrize("preset", sorted(p.stem for p in (ROOT / "presets").glob("*.json")))
def test_every_live_picture_of_every_preset_draws_with_the_bundle(preset):
    experiment = load_experiment(ROOT / "presets" / f"{preset}.json")
    session = Session(experiment, "cpu")
    snapshot = Snapshot(state="ready", epoch=0, epochs=0, step=0, lr=session.lr, device="CPU",
                        visuals=all_visuals(session))
    scene = view.Scene(session.data, {n.id: n.type for n in experiment.model.nodes}, experiment.analysis,
                       gradients=True, diagram=lambda: graph_view.figure(experiment.analysis, None))
    drawn = view.charts(snapshot, scene)
    assert drawn
    types = {trace.get("type", "scatter") for chart in drawn for trace in chart.figure["data"]}
    assert types <= frame.FRAME_TRACE_TYPES, (preset, types - frame.FRAME_TRACE_TYPES)
