"""The Playground's row of settings above the network, as TensorFlow Playground has it: learning
rate, activation, loss, optimizer, batch size and regularization, one compact input each. The
full training settings (epochs budget, schedule, clipping, seed, device) are in their own tab.
Returns an edited experiment or None; the learning rate applies at once through `LiveRate`."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import fragments
from components.training_panel import LiveRate, without_lr
from engine import mlp
from engine.training.config import FIELDS, LOSSES, LR_LADDER, OPTIMIZERS

RATE_PART = "bar_rate"
BATCHES = (1, 5, 10, 20, 32, 64, 128, "full")
REGULARIZATIONS = ("none", "l1", "l2")
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def shown(raw: dict[str, Any]) -> dict[str, Any]:
    """What the row's inputs other than the rate show: the experiment less its rate. Keyed on this,
    they stay the same widgets when the rate changes, which reruns the rate's part alone: keyed on
    the whole experiment, the next pick in the row came from a widget the page no longer had, and
    was lost."""
    return {**raw, "training": without_lr(raw.get("training") or {})}


def show(raw: dict[str, Any], version: str, live_rate: LiveRate, present: bool = False) -> dict[str, Any] | None:
    """The row for `raw`, its inputs keyed on `version` (of `shown(raw)`). `present`: the
    learning rate alone (the presenting view keeps the controls few)."""
    training = raw.get("training") or {}
    current = {k: training.get(k, p.default) for k, p in FIELDS.items()}
    if present:
        _rate(live_rate)
        return None
    cells = st.columns([1.0, 1.1, 1.4, 1.0, 0.9, 1.0, 0.8])  # loss the widest: "cross_entropy" in full at 1440 px
    with cells[0]:
        _rate(live_rate)
    key = f"bar_{version}"
    stack = mlp.read_stack(raw.get("model") or {})
    if stack is not None and stack.widths:
        shared = stack.activations[0] if len(set(stack.activations)) == 1 else None
        options = list(mlp.ACTIVATIONS) + ([] if shared else ["mixed"])
        picked = cells[1].selectbox("activation", options, index=options.index(shared or "mixed"), key=f"{key}_act",
                                    help="the activation of every hidden layer")
        if picked != (shared or "mixed") and picked != "mixed":
            return {**raw, "model": mlp.write_stack(raw["model"], mlp.set_activation(stack, picked))}
    else:
        cells[1].selectbox("activation", ["per layer"], disabled=True, key=f"{key}_act_off",
                           help="this model is not a plain stack: set activations in the Model tab")
    choices = {
        "loss": ("auto", *LOSSES),
        "optimizer": OPTIMIZERS,
        "batch_size": _with(BATCHES, current["batch_size"]),
        "regularization": REGULARIZATIONS,
        "reg_rate": _with(REG_RATES, current["reg_rate"]),
    }
    labels = {"batch_size": "batch size", "reg_rate": "reg. rate"}
    edited = dict(training)
    for cell, (field, options) in zip(cells[2:], choices.items(), strict=True):
        value = cell.selectbox(labels.get(field, field), options, index=options.index(current[field]),
                               key=f"{key}_{field}", help=FIELDS[field].help,
                               disabled=field == "reg_rate" and current["regularization"] == "none")
        if value != current[field]:
            edited[field] = value
    return None if edited == training else {**raw, "training": edited}


def _with(ladder: tuple, value: Any) -> tuple:
    """The ladder with the current value on it (a file or link may hold any value)."""
    if value in ladder:
        return ladder
    numbers = sorted({v for v in ladder if v != "full"} | {value}) if value != "full" else list(ladder)
    return tuple(numbers) + (("full",) if "full" in ladder else ())


@fragments.part(RATE_PART)
def _rate(live_rate: LiveRate) -> None:
    """The learning rate: a part of its own, so a new rate reruns only what shows it."""
    lr, version = live_rate.current()
    ladder = sorted({*LR_LADDER, lr})
    key = f"bar_lr_{version}"
    st.selectbox("learning rate", ladder, index=ladder.index(lr), key=key, format_func=lambda r: f"{r:g}",
                 help="applies live while training, from the next step; any value in the Training tab",
                 on_change=_picked, args=(key, lr, live_rate.changed))


def _picked(key: str, lr: float, changed) -> None:
    value = st.session_state.get(key)
    if value is not None and value != lr:
        changed(float(value))
