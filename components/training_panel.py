"""Training settings: loss, optimizer, learning rate (the Playground's ladder or any value),
batch size, epochs, regularization, schedule and clipping. Returns an edited section or None."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components.param_widgets import widget
from components.workspace import widget_key
from engine.training.config import FIELDS, LR_LADDER

MAIN = ("loss", "optimizer", "batch_size", "epochs")
MORE = ("momentum", "weight_decay", "regularization", "reg_rate", "lr_schedule", "lr_step_every", "lr_gamma",
        "grad_clip", "seed", "device")


def typed_rate(training: dict[str, Any] | None, version: str) -> float | None:
    """A learning rate just picked or typed in the panel drawn for `version`, or None. The page
    asks before it draws anything, so that the run and the live view take the new rate in this
    same run (it applies live while training) and show it first."""
    lr = (training or {}).get("lr", FIELDS["lr"].default)
    for suffix in ("_lr_ladder", "_lr_free"):  # the order `_learning_rate` reads them in
        value = st.session_state.get(f"training_{version}{suffix}")
        if value is not None and value != lr:
            return float(value)
    return None


def show(training: dict[str, Any] | None, version: str) -> dict[str, Any] | None:
    """The panel for `training`, its widgets keyed on `version`. Returns the edited section, or
    None when nothing changed."""
    training = dict(training or {})
    current = {k: training.get(k, p.default) for k, p in FIELDS.items()}
    # The rate inputs are keyed on the whole section (the ladder gains a typed rate), the other
    # inputs on the rest: a new rate re-creates two widgets, not the whole panel
    rest = f"training_{widget_key('training_rest', _without_lr(training))}"
    edited = dict(training)
    lr = _learning_rate(current["lr"], f"training_{version}")
    if lr != current["lr"]:
        edited["lr"] = lr
    columns = st.columns(2)
    for i, field in enumerate(MAIN):
        with columns[i % 2]:
            if field == "batch_size":
                full = st.checkbox("full batch", value=current[field] == "full", key=f"{rest}_full")
                value = "full" if full else widget(field, FIELDS["epochs"], current[field] if current[field] != "full" else 10,
                                                   f"{rest}_{field}", label="batch size")
            else:
                value = widget(field, FIELDS[field], current[field], f"{rest}_{field}")
        if value != current[field]:
            edited[field] = value
    more = st.expander("more: regularization, schedule, clipping, seed, device", key="training_more_open",
                       on_change="rerun")
    if more.open:  # folded fields are not drawn (each costs time on every rerun)
        with more:
            for field in MORE:
                value = widget(field, FIELDS[field], current[field], f"{rest}_{field}")
                if value != current[field]:
                    edited[field] = value
    return None if edited == training else edited


def _without_lr(training: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in training.items() if k != "lr"}


def _learning_rate(lr: float, key: str) -> float:
    """The Playground's ladder of rates (with the current one on it) and a field for any rate."""
    ladder = sorted({*LR_LADDER, lr})
    picked = st.select_slider("learning rate", ladder, value=lr, key=f"{key}_lr_ladder",
                              help="applies live while training, from the next step")
    typed = st.number_input("learning rate (any value)", min_value=1e-6, max_value=100.0, value=float(lr),
                            format="%g", key=f"{key}_lr_free")
    return picked if picked != lr else typed
