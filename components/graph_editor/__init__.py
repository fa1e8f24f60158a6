"""The graph editor: a React Flow canvas (`frontend/`, built into `frontend/dist`) where each layer
is a node with ports. The frame draws what `picture` describes and sends one event per action;
each is applied here with the engine's own editing operations (`engine/edit.py`), so the rules
live in one place. A refused edit comes back as a notice on the canvas. Owns the session keys
`canvas_*`."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

from components.graph_editor import picture
from components.graph_editor.events import Refused, apply
from engine import Analysis

Model = dict[str, Any]
DIST = Path(__file__).with_name("frontend") / "dist"
KEY = "canvas_frame"


@functools.cache
def _frame():
    # declared on first use, in a page's run: the server's warm-up imports this module before any
    return components.declare_component("graph_editor", path=str(DIST))


def show(model: Model, analysis: Analysis, height: int = 560, follow: int | None = None) -> None:
    """Draw the canvas for `model` (its events are read by `pending`, before the page draws).
    `follow`, when set, asks the canvas to send "sync" once it has drawn: the page has an edit to
    show beyond the canvas."""
    nodes, edges = picture.nodes_and_edges(model, analysis)
    layout = model.get("layout") if isinstance(model.get("layout"), dict) else {}
    _frame()(nodes=nodes, edges=edges, layout=layout, palette=list(picture.palette()),
                     schemas=picture.schemas(), notice=st.session_state.get("canvas_notice"), height=height,
                     selected=None, follow=follow, key=KEY, default=None)
    for problem in picture.whole_model_problems(analysis):
        st.error(problem, icon=":material/error:")


def pending(model: Model) -> tuple[Model | None, str | None]:
    """The frame's newest event, applied to `model` once, read before the page draws anything (an
    edit then costs the page one run, not a run that draws the old model and a second for the new).
    Returns (the edited model, None) after an edit, (None, "undo", "redo" or "sync") when the canvas
    asked for one, else (None, None); a refused edit leaves a notice for the canvas. The frame's
    value stays the same across the page's runs until its next event, and each carries a new `seq`."""
    event = st.session_state.get(KEY)
    if not isinstance(event, dict) or not isinstance(event.get("seq"), int | float):
        return None, None
    if event["seq"] <= st.session_state.get("canvas_seen", float("-inf")):
        return None, None
    st.session_state.canvas_seen = event["seq"]
    if event.get("op") in ("undo", "redo", "sync"):
        return None, event["op"]
    try:
        return apply(model, event), None
    except Refused as refusal:
        st.session_state.canvas_notice = {"seq": event["seq"], "text": f"Refused: {refusal}", "kind": "refused"}
        return None, None
