"""The model summary panel: one row per node with shapes, parameters and multiply-adds."""

from __future__ import annotations

import streamlit as st

from engine import Experiment
from engine.registry import fmt
from engine.spec import INPUT_ID


def show(experiment: Experiment, key: str = "summary") -> None:
    """Render the summary table and totals of a validated experiment."""
    analysis = experiment.analysis
    rows = []
    for node_id in [INPUT_ID, *(n.id for n in experiment.model.nodes)]:
        info = analysis.nodes[node_id]
        rows.append(
            {
                "node": info.id,
                "type": info.type,
                "inputs": ", ".join(info.inputs) or "-",
                "output shape": fmt(info.output_shape),
                "params": info.params,
                "MACs": info.macs,
            }
        )
    st.dataframe(rows, hide_index=True, key=f"{key}_table", width="stretch")
    left, middle, right = st.columns(3)
    left.metric("Parameters", f"{analysis.total_params:,}")
    middle.metric("Multiply-adds per sample", f"{analysis.total_macs:,}")
    right.metric("Activations, batch 32", f"{analysis.activation_bytes(32) / 2**10:,.1f} KiB")
