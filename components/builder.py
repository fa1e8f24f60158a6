"""The model builder as forms, below the playground: quick MLP controls and (folded until wanted)
the palette and the inspector of the selected node; the graph editor above is the visual way to
the same edits. Owns the session keys `builder_*`. Returns an edited model or None."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import inspector, palette, quick_mlp
from engine import Analysis
from engine.spec import INPUT_ID

EDITOR_OPEN = "builder_edit_open"


def show(model: dict[str, Any], analysis: Analysis, version: str) -> dict[str, Any] | None:
    ids = [INPUT_ID, *[n.get("id") for n in model.get("nodes", []) if isinstance(n, dict) and n.get("id")]]
    if st.session_state.get("builder_selected") not in ids:
        st.session_state.builder_selected = model.get("output") if model.get("output") in ids else ids[-1]
    st.session_state.setdefault(EDITOR_OPEN, False)  # the canvas above is the editor; these forms wait to be asked for
    with st.expander("Quick MLP: layers and neurons", expanded=True):
        edited = quick_mlp.show(model, version)
        if edited is not None:
            return edited
    # Folded, the editor is not drawn at all: every element on the page costs time on each rerun
    editor = st.expander("Edit layers: add, change, move, delete", key=EDITOR_OPEN, on_change="rerun")
    if not editor.open:
        return None
    with editor:
        return _edit(model, analysis, ids, version)


def _edit(model: dict[str, Any], analysis: Analysis, ids: list[str], version: str) -> dict[str, Any] | None:
    selected = st.selectbox("Selected node", ids, index=ids.index(st.session_state.builder_selected),
                            key=f"builder_pick_{version}")
    if selected != st.session_state.builder_selected:
        st.session_state.builder_selected = selected
        st.rerun()
    added = palette.show(model, selected, version)
    if added is not None:
        edited, new_id = added
        st.session_state.builder_selected = new_id
        return edited
    return inspector.show(model, analysis, selected, version)
