"""Where the page shows the graph editor: in place of the network pictures for every model that is
not a plain stack, and for a plain stack when the user opens it (Quick MLP and the neuron picture
stay its usual view, as in TensorFlow Playground). Owns the session key `model_canvas_open`."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import fragments, graph_editor, workspace
from components.memo import analysis_of
from engine import mlp

OPEN = "model_canvas_open"
HEIGHT_PX = 580  # beside the output and the loss curve, within a 900 px tall window
PART = "model_canvas"


def wanted(model: Any) -> bool:
    """Whether the page shows the canvas for `model`."""
    return not _plain(model) or bool(st.session_state.get(OPEN))


def _plain(model: Any) -> bool:
    return isinstance(model, dict) and mlp.read_stack(model) is not None


def switch(model: Any) -> None:
    """For a plain stack, one click between the neuron picture and the canvas."""
    if not _plain(model):
        return
    opened = bool(st.session_state.get(OPEN))
    st.button("Neurons" if opened else "Canvas", icon=":material/scatter_plot:" if opened else ":material/account_tree:",
              key="model_canvas_switch", on_click=_flip, width="stretch",
              help="back to the neuron picture" if opened else
                   "open this network in the graph editor: branches, skip connections, any layer")


def _flip() -> None:
    st.session_state[OPEN] = not st.session_state.get(OPEN)


def take_edit() -> str | None:
    """Apply the canvas's newest event to the experiment before anything is drawn, so that the parts
    of the page drawn in this run show it. Returns "edited" when the experiment changed, "sync" when
    the canvas asks the page to show what it has drawn, else None."""
    raw = workspace.current()
    model = raw.get("model") if isinstance(raw.get("model"), dict) else {}
    edited, action = graph_editor.pending(model)
    if action in ("undo", "redo"):
        (workspace.undo if action == "undo" else workspace.redo)()
        return "edited"
    if action == "sync":
        return "sync"
    return "edited" if edited is not None and workspace.commit({**raw, "model": edited}) else None


@fragments.part(PART)
def show() -> None:
    """The canvas, a part of the page that its events rerun alone: an edit is drawn on the canvas
    first, and the canvas then asks for the whole page ("sync"), which shows it everywhere else
    (the live view's untrained model, the link, undo). A rerun of the page at once would hold the
    canvas's new picture back until the whole page had run: Streamlit drops what a run had not
    sent yet when the next one starts. Reads the experiment from the workspace, as a part rerun
    alone must."""
    taken = take_edit()
    if taken == "sync":
        st.rerun()
    model = workspace.current().get("model")
    graph_editor.show(model if isinstance(model, dict) else {}, analysis_of(model), height=HEIGHT_PX,
                      follow=st.session_state.get("canvas_seen") if taken == "edited" else None)
