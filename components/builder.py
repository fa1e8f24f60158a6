"""The model builder: quick MLP controls, the diagram, the palette and the inspector of the
selected node. Owns the session key `builder_selected`. Returns an edited model or None."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import graph_view, inspector, palette, quick_mlp
from engine import Analysis
from engine.spec import INPUT_ID


def show(model: dict[str, Any], analysis: Analysis, version: str) -> dict[str, Any] | None:
    ids = [INPUT_ID, *[n.get("id") for n in model.get("nodes", []) if isinstance(n, dict) and n.get("id")]]
    if st.session_state.get("builder_selected") not in ids:
        st.session_state.builder_selected = model.get("output") if model.get("output") in ids else ids[-1]
    with st.expander("Quick MLP: layers and neurons", expanded=True):
        edited = quick_mlp.show(model, version)
        if edited is not None:
            return edited
    clicked = graph_view.show(analysis, st.session_state.builder_selected, key="builder_graph", version=version)
    if clicked and clicked in ids:
        st.session_state.builder_selected = clicked
        st.session_state[f"builder_pick_{version}"] = clicked  # the box below follows the click
        st.rerun()
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
