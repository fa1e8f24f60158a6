"""The model summary: one row per node with shapes, parameters and multiply-adds, and totals."""

from __future__ import annotations

import streamlit as st

from engine import Analysis
from engine.registry import fmt
from engine.shapes import human_bytes
from engine.spec import INPUT_ID


def show(analysis: Analysis, key: str = "summary") -> None:
    """Render the table and totals of an analysed model (nodes not yet computed show '?')."""
    if analysis.spec is None:
        return
    rows = []
    for node_id in [INPUT_ID, *(n.id for n in analysis.spec.nodes)]:
        info = analysis.nodes.get(node_id)
        rows.append({
            "node": node_id,
            "type": info.type if info else analysis.spec.node(node_id).type,
            "inputs": ", ".join(info.inputs) if info and info.inputs else "-",
            "output shape": fmt(info.output_shape) if info else "?",
            "params": info.params if info else None,
            "MACs": info.macs if info else None,
        })
    st.dataframe(rows, hide_index=True, key=f"{key}_table", width="stretch")
    left, middle, right = st.columns(3)
    left.metric("Parameters", f"{analysis.total_params:,}")
    middle.metric("Multiply-adds per sample", f"{analysis.total_macs:,}")
    right.metric("Activations, batch 32", human_bytes(analysis.activation_bytes(32)))
