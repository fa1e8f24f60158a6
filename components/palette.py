"""Add any layer type of the registry after the selected node, grouped by family; merges pick
their other inputs to make branches and skip connections. Returns (edited model, new id)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.edit import EditError, insert_node
from engine.registry import GROUPS, REGISTRY
from engine.spec import INPUT_ID

GROUP_TITLES = {"core": "core", "activation": "activations", "convolution": "convolution", "pooling": "pooling",
                "normalization": "normalization", "recurrent": "recurrent", "embedding": "embedding",
                "attention": "attention", "sequence": "sequence", "merge": "merge"}


def choices() -> list[str]:
    return [name for group in GROUPS for name, layer in REGISTRY.items() if layer.group == group]


def show(model: dict[str, Any], selected: str | None, version: str) -> tuple[dict, str] | None:
    ids = [INPUT_ID, *[n.get("id") for n in model.get("nodes", []) if isinstance(n, dict) and n.get("id")]]
    after = selected if selected in ids else (model.get("output") or ids[-1])
    left, right = st.columns([3, 2])
    kind = left.selectbox("Add layer", choices(), key=f"palette_type_{version}",
                          format_func=lambda n: f"{GROUP_TITLES[REGISTRY[n].group]} · {n}")
    also: list[str] = []
    if REGISTRY[kind].min_inputs > 1:
        also = right.multiselect("also reads from", [i for i in ids if i != after], key=f"palette_also_{version}",
                                 help="merges take two or more inputs: pick the other branch")
    if st.button(f"Add {kind} after {after}", key=f"palette_add_{version}", type="primary"):
        try:
            return insert_node(model, after, kind, also=also)
        except EditError as err:
            st.warning(str(err))
    return None
