"""The selected node: its explanation, output shape, parameters and cost; widgets for its
parameters and inputs; change type, rename, move, delete. Returns an edited model or None."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components.param_widgets import widget
from engine import Analysis
from engine.edit import EditError, change_type, move_node, remove_node, rename_node, set_inputs, set_params
from engine.registry import REGISTRY, fmt
from engine.spec import INPUT_ID

Model = dict[str, Any]


def show(model: Model, analysis: Analysis, selected: str | None, version: str) -> Model | None:
    node = next((n for n in model.get("nodes", []) if isinstance(n, dict) and n.get("id") == selected), None)
    if selected == INPUT_ID:
        info = analysis.nodes.get(INPUT_ID)
        st.markdown(f"**input** · {fmt(info.output_shape) if info else '?'} · one sample, without the batch")
        return None
    if node is None:
        st.caption("Select a node in the diagram (or below) to edit it.")
        return None
    kind = node.get("type")
    layer = REGISTRY.get(kind)
    info = analysis.nodes.get(selected)
    st.markdown(f"**{selected}** · {kind}")
    if layer:
        st.caption(layer.explain)
    if info:
        st.markdown(f"output **{fmt(info.output_shape)}** · {info.params:,} parameters · {info.macs:,} multiply-adds per sample")
    for problem in analysis.problems_of(selected):
        st.error(problem.message)
    try:
        return _edits(model, node, layer, selected, version)
    except EditError as err:
        st.warning(str(err))
        return None


def _edits(model: Model, node: dict, layer, node_id: str, version: str) -> Model | None:
    key = f"inspect_{version}_{node_id}"
    if layer:
        current = {**{k: p.default for k, p in layer.params.items() if not p.required}, **(node.get("params") or {})}
        values = {name: widget(name, param, current.get(name), f"{key}_{name}") for name, param in layer.params.items()}
        changed = {k: v for k, v in values.items() if k not in current or v != current[k]}
        if changed:
            explicit = {k: v for k, v in values.items() if k in (node.get("params") or {}) or k in changed or layer.params[k].required}
            return set_params(model, node_id, explicit)
    ids = ["input", *[n.get("id") for n in model.get("nodes", []) if isinstance(n, dict) and n.get("id") != node_id]]
    reads = node.get("inputs") or [_previous(model, node_id)]
    multiple = layer is None or layer.max_inputs is None or layer.max_inputs > 1
    if multiple:
        picked = st.multiselect("reads from", ids, default=[i for i in reads if i in ids], key=f"{key}_inputs")
    else:
        choice = st.selectbox("reads from", ids, index=ids.index(reads[0]) if reads[0] in ids else 0, key=f"{key}_inputs")
        picked = [choice]
    if picked and picked != reads:
        return set_inputs(model, node_id, picked)
    left, middle, right = st.columns(3)
    new_type = left.selectbox("change type", sorted(REGISTRY), index=sorted(REGISTRY).index(node["type"]) if node.get("type") in REGISTRY else 0,
                              key=f"{key}_type")
    if node.get("type") in REGISTRY and new_type != node["type"]:
        return change_type(model, node_id, new_type)
    new_id = middle.text_input("rename", value=node_id, key=f"{key}_id")
    if new_id and new_id != node_id:
        return rename_node(model, node_id, new_id.strip())
    with right:
        up, down, delete = st.columns(3)
        if up.button("↑", key=f"{key}_up", help="move up (plain chains)"):
            return move_node(model, node_id, -1)
        if down.button("↓", key=f"{key}_down", help="move down (plain chains)"):
            return move_node(model, node_id, +1)
        if delete.button("🗑", key=f"{key}_delete", help="delete, reconnecting its neighbours"):
            st.session_state.pop("builder_selected", None)
            return remove_node(model, node_id)
    return None


def _previous(model: Model, node_id: str) -> str:
    previous = INPUT_ID
    for node in model.get("nodes", []):
        if isinstance(node, dict) and node.get("id") == node_id:
            return previous
        previous = node.get("id", previous) if isinstance(node, dict) else previous
    return previous
