"""Training settings: loss, optimizer, learning rate (the Playground's ladder or any value),
batch size, epochs, regularization, schedule and clipping. Returns an edited section or None."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import streamlit as st

from components import fragments
from components.param_widgets import widget
from components.workspace import widget_key
from engine.training.config import FIELDS, LR_LADDER

RATE_FRAGMENT = "training_rate"
MAIN = ("loss", "optimizer", "batch_size", "epochs")
MORE = ("momentum", "weight_decay", "regularization", "reg_rate", "lr_schedule", "lr_step_every", "lr_gamma",
        "grad_clip", "kl_weight", "generator_output", "discriminator_lr", "discriminator_steps", "seed", "device", "turbo")


class LiveRate(NamedTuple):
    """A learning rate that applies as soon as it is set (it changes live while training):
    `current()` gives the rate and the version to key its inputs on, `changed(rate)` applies a
    new one from the inputs' callback (and reruns what shows it)."""

    current: Callable[[], tuple[float, str]]
    changed: Callable[[float], None]


def show(training: dict[str, Any] | None, version: str, live_rate: LiveRate | None = None) -> dict[str, Any] | None:
    """The panel for `training`, its rate inputs keyed on `version` (the other inputs on the rest
    of the section). Returns the edited section, or None when nothing changed. With `live_rate`,
    the rate inputs are a part of the page of their own that applies a new rate at once, and the
    returned section never holds one."""
    training = dict(training or {})
    current = {k: training.get(k, p.default) for k, p in FIELDS.items()}
    # The rate inputs are keyed on the whole section (the ladder gains a typed rate), the other
    # inputs on the rest: a new rate re-creates two widgets, not the whole panel
    rest = f"training_{widget_key('training_rest', without_lr(training))}"
    edited = dict(training)
    if live_rate is not None:
        _live_rate_inputs(live_rate)
        lr = current["lr"]
    else:
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
    more = st.expander("more: regularization, schedule, clipping, VAE and GAN, seed, device, turbo", key="training_more_open",
                       on_change="rerun")
    if more.open:  # folded fields are not drawn (each costs time on every rerun)
        with more:
            for field in MORE:
                value = widget(field, FIELDS[field], current[field], f"{rest}_{field}")
                if value != current[field]:
                    edited[field] = value
    return None if edited == training else edited


def without_lr(training: dict[str, Any]) -> dict[str, Any]:
    """The section less its rate: what the inputs other than the rate show."""
    return {k: v for k, v in training.items() if k != "lr"}


@fragments.part(RATE_FRAGMENT)
def _live_rate_inputs(live_rate: LiveRate) -> None:
    lr, version = live_rate.current()  # read on each run: a rerun of this part alone gets the newest
    _learning_rate(lr, f"training_{version}", live_rate.changed)


def _learning_rate(lr: float, key: str, changed: Callable[[float], None] | None = None) -> float:
    """The Playground's ladder of rates (with the current one on it) and a field for any rate.
    `changed(rate)`, if given, is called back with a new rate before the page runs."""
    ladder = sorted({*LR_LADDER, lr})

    def hooked(widget_key: str) -> dict[str, Any]:
        return {"key": widget_key, **({} if changed is None else {"on_change": _picked, "args": (widget_key, lr, changed)})}

    picked = st.select_slider("learning rate", ladder, value=lr, help="applies live while training, from the next step",
                              **hooked(f"{key}_lr_ladder"))
    typed = st.number_input("learning rate (any value)", min_value=1e-6, max_value=100.0, value=float(lr),
                            format="%g", **hooked(f"{key}_lr_free"))
    return picked if picked != lr else typed


def _picked(key: str, lr: float, changed: Callable[[float], None]) -> None:
    value = st.session_state.get(key)
    if value is not None and value != lr:
        changed(float(value))
