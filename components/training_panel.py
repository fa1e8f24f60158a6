"""Training settings: loss, optimizer, learning rate (the Playground's ladder or any value),
batch size, epochs, regularization, schedule and clipping. Returns an edited section or None."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components.param_widgets import widget
from engine.training.config import FIELDS, LR_LADDER

MAIN = ("loss", "optimizer", "batch_size", "epochs")
MORE = ("momentum", "weight_decay", "regularization", "reg_rate", "lr_schedule", "lr_step_every", "lr_gamma",
        "grad_clip", "seed", "device")


def show(training: dict[str, Any] | None, version: str) -> dict[str, Any] | None:
    training = dict(training or {})
    current = {k: training.get(k, p.default) for k, p in FIELDS.items()}
    key = f"training_{version}"
    edited = dict(training)
    lr = current["lr"]
    ladder = sorted({*LR_LADDER, lr})
    picked = st.select_slider("learning rate", ladder, value=lr, key=f"{key}_lr_ladder",
                              help="applies live while training, from the next step")
    typed = st.number_input("learning rate (any value)", min_value=1e-6, max_value=100.0, value=float(lr),
                            format="%g", key=f"{key}_lr_free")
    if picked != lr:
        edited["lr"] = picked
    elif typed != lr:
        edited["lr"] = typed
    columns = st.columns(2)
    for i, field in enumerate(MAIN):
        with columns[i % 2]:
            if field == "batch_size":
                full = st.checkbox("full batch", value=current[field] == "full", key=f"{key}_full")
                value = "full" if full else widget(field, FIELDS["epochs"], current[field] if current[field] != "full" else 10,
                                                   f"{key}_{field}", label="batch size")
            else:
                value = widget(field, FIELDS[field], current[field], f"{key}_{field}")
        if value != current[field]:
            edited[field] = value
    more = st.expander("more: regularization, schedule, clipping, seed, device", key="training_more_open",
                       on_change="rerun")
    if not more.open:
        return edited if edited != training else None  # folded fields are not drawn (each costs every rerun)
    with more:
        for field in MORE:
            value = widget(field, FIELDS[field], current[field], f"{key}_{field}")
            if value != current[field]:
                edited[field] = value
    return edited if edited != training else None
