"""TensorFlow-Playground-style controls for plain MLPs: +/- hidden layers, +/- neurons per
layer, one activation for all layers or one per layer. Returns an edited model or None."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from engine import mlp


def show(model: dict[str, Any], version: str) -> dict[str, Any] | None:
    stack = mlp.read_stack(model)
    if stack is None:
        st.caption("Quick MLP controls work on plain stacks of Linear + activation layers.")
        return None
    key = f"mlp_{version}"
    head = st.columns([2, 1, 1], vertical_alignment="center")
    head[0].markdown(f"**{len(stack.widths)} hidden layer{'s' if len(stack.widths) != 1 else ''}**")
    if head[1].button("\\+", key=f"{key}_add", help="add a hidden layer", disabled=len(stack.widths) >= mlp.MAX_LAYERS):
        return mlp.write_stack(model, mlp.add_layer(stack))
    if head[2].button("\\-", key=f"{key}_remove", help="remove the last hidden layer", disabled=not stack.widths):
        return mlp.write_stack(model, mlp.remove_layer(stack))
    per_layer = st.toggle("activation per layer", key="mlp_per_layer", value=len(set(stack.activations)) > 1)
    if stack.widths and not per_layer:
        shared = st.selectbox("activation", mlp.ACTIVATIONS, index=mlp.ACTIVATIONS.index(stack.activations[0]),
                              key=f"{key}_activation")
        if shared != stack.activations[0] or len(set(stack.activations)) > 1:
            return mlp.write_stack(model, mlp.set_activation(stack, shared))
    columns = st.columns(max(1, len(stack.widths)))
    for layer, (column, width) in enumerate(zip(columns, stack.widths, strict=False)):
        with column:
            st.markdown(f"layer {layer + 1}: **{width}** neuron{'s' if width != 1 else ''}")
            plus, minus = st.columns(2)
            if plus.button("\\+", key=f"{key}_plus_{layer}", help="one more neuron", disabled=width >= mlp.MAX_NEURONS):
                return mlp.write_stack(model, mlp.resize(stack, layer, +1))
            if minus.button("\\-", key=f"{key}_minus_{layer}", help="one neuron less", disabled=width <= 1):
                return mlp.write_stack(model, mlp.resize(stack, layer, -1))
            if per_layer:
                chosen = st.selectbox("activation", mlp.ACTIVATIONS, key=f"{key}_act_{layer}",
                                      index=mlp.ACTIVATIONS.index(stack.activations[layer]))
                if chosen != stack.activations[layer]:
                    return mlp.write_stack(model, mlp.set_activation(stack, chosen, layer))
    return None


def compact(model: dict[str, Any], version: str, last: Callable[[], None] | None = None) -> dict[str, Any] | None:
    """One row above the network, as in TensorFlow Playground: - / + hidden layers, and each
    layer's width; `last` draws into the row's end. Nothing for models that are not a plain stack
    (the graph editor and the Model tab edit those)."""
    stack = mlp.read_stack(model)
    if stack is None:
        return None
    key = f"mlp_row_{version}"
    cells = st.columns([0.45, 1.3, 0.45, *([0.9] * mlp.MAX_LAYERS), 1.6], vertical_alignment="bottom")
    if last is not None:
        with cells[-1]:
            last()
    # icons, not "-" and "+": a button's label is Markdown, where a lone "+" or "-" is an empty list
    if cells[0].button("", icon=":material/remove:", key=f"{key}_remove", help="remove the last hidden layer",
                       disabled=not stack.widths):
        return mlp.write_stack(model, mlp.remove_layer(stack))
    count = len(stack.widths)
    cells[1].markdown(f"**{count} hidden layer{'s' if count != 1 else ''}**")
    if cells[2].button("", icon=":material/add:", key=f"{key}_add", help="add a hidden layer",
                       disabled=count >= mlp.MAX_LAYERS):
        return mlp.write_stack(model, mlp.add_layer(stack))
    for layer, (cell, width) in enumerate(zip(cells[3:-1], stack.widths, strict=False)):
        value = cell.number_input(f"layer {layer + 1}", min_value=1, max_value=mlp.MAX_NEURONS, value=width, step=1,
                                  key=f"{key}_width_{layer}", help=f"neurons in this layer: 1 to {mlp.MAX_NEURONS}")
        if value != width:
            return mlp.write_stack(model, mlp.resize(stack, layer, value - width))
    return None
