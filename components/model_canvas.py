"""Where the page shows the graph editor: in place of the network pictures for every model that is
not a plain stack, and for a plain stack when the user opens it (Quick MLP and the neuron picture
stay its usual view, as in TensorFlow Playground). Owns the session key `model_canvas_open`."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import graph_editor, workspace
from engine import Analysis, mlp

OPEN = "model_canvas_open"
HEIGHT_PX = 580  # beside the output and the loss curve, within a 900 px tall window


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


def show(model: dict[str, Any], analysis: Analysis) -> dict[str, Any] | None:
    """The canvas; returns the edited model, or None. Undo and redo from the canvas act on the
    whole experiment, as the title bar's buttons do."""
    edited, action = graph_editor.show(model, analysis, height=HEIGHT_PX)
    if action is not None:
        (workspace.undo if action == "undo" else workspace.redo)()
        st.rerun()
    return edited
