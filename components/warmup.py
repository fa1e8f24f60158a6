"""Work that every page's first run would otherwise do while its visitor waits, done once while
the server starts: the imports, torch's first model and first pass, plotly's figure classes (each
built and validated lazily on first use), Streamlit's emoji patterns, the dataset thumbnails. It
adds about a second to the server's start and took two from the first visitor's page load."""

from __future__ import annotations

import logging
import time
from pathlib import Path

PRESET = Path(__file__).resolve().parent.parent / "presets" / "playground.json"
log = logging.getLogger(__name__)


def warm() -> None:
    """Draw the default experiment's untrained pictures once, as its page will. Never raises: a
    server that cannot warm up still serves."""
    start = time.perf_counter()
    try:
        from engine.training.remote import warm_up

        # the training processes' fork server imports torch (seconds): started now, in the
        # background, so that a first visitor's Train never waits for it
        warm_up()
        import streamlit.emojis  # noqa: F401 - half a second of regular expressions, on first use of an icon

        from components import dataset_picker, graph_view
        from components.live import figures, network
        from engine import load_experiment
        from engine.training.session import Session
        from engine.training.trainer import Snapshot
        from engine.training.visuals import all_visuals

        experiment = load_experiment(PRESET)
        session = Session(experiment, "cpu")
        snapshot = Snapshot(state="ready", epoch=0, epochs=0, step=0, lr=session.lr, device="CPU",
                            visuals=all_visuals(session))
        info = session.data.info
        node_types = {n.id: n.type for n in experiment.model.nodes}
        drawn = [figures.boundary(snapshot, session.data),
                 network.figure(snapshot.visuals, node_types, info.features, info.domain)]
        drawn.append(graph_view.figure(experiment.analysis, None))
        dataset_picker.cells()
        for figure in drawn:
            if figure is not None:
                figure.to_json()
    except Exception:  # a warm-up is an optimisation, never a reason to stop
        log.exception("warming up failed; the first page will do this work itself")
        return
    log.info("warmed up in %.1f s", time.perf_counter() - start)
