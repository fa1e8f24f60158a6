"""Train / Pause / Step / Reset and the live view. Each browser tab has its own trainer, held in
a session-scoped resource that Streamlit releases (stopping the run) when the tab closes; a
server-wide cap queues runs beyond it. Owns the session keys `run_*`."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import streamlit as st

from components import fragments
from components.live import feed, reading, view
from engine import Experiment
from engine.training.limits import RunLimits
from engine.training.remote import RemoteTrainer, shared_slots, warm_up
from engine.training.trainer import ENDED, IDLE, PAUSED, RUNNING, WAITING

LIVE_FRAGMENT = "live"  # the live view's part of the page: polled, and rerun alone for a new rate
POLL_SECONDS = 0.5  # the page's live part (status, charts) twice a second; the live feed sends the numbers
POLL_SECONDS_UNFED = 0.16  # without the live feed's route, the numbers come with the page's runs
CHART_SECONDS = 1.0  # live charts once a second: redrawing them is what the browser spends its time on
RUNS = Path(__file__).resolve().parent.parent / "runs"  # TensorBoard logs (git-ignored)
WEB_RUNS = RunLimits.for_web()
# Logs stay in the server's runs/ folder for a local user to read; a server for a class turns them off
TENSORBOARD = os.environ.get("NEUROLOOM_TENSORBOARD", "on").strip().lower() != "off"
warm_up()  # once per server, when the page is first imported


def _release(holder: dict) -> None:
    feed.forget(holder)
    if holder.get("trainer") is not None:
        holder["trainer"].close()


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def _holder() -> dict:
    return {"trainer": None, "signature": None}


def signature(raw: dict[str, Any]) -> str:
    """What a run depends on, except the learning rate (which changes live)."""
    training = {k: v for k, v in (raw.get("training") or {}).items() if k != "lr"}
    return json.dumps({"model": raw.get("model"), "data": raw.get("data"), "training": training}, sort_keys=True)


def show(experiment: Experiment | None, problems: list[str], raw: dict[str, Any]) -> None:
    holder = _holder()
    trainer: RemoteTrainer | None = holder["trainer"]
    if experiment is None:
        st.button("Train", disabled=True, key="run_train_disabled", type="primary")
        st.warning(f"Train is off until the experiment is valid: {problems[0]}"
                   + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
        if trainer is not None:
            _live(trainer)
        return
    if experiment.data is None:
        st.info("Pick a dataset to train on.")
        return
    fresh = signature(raw)
    logging = bool(st.session_state.get("run_tensorboard"))
    changed = holder["signature"] != fresh or holder.get("logging") != logging
    if trainer is None or (changed and trainer.state in (IDLE, *ENDED)):
        if trainer is not None:
            trainer.close()
        trainer = holder["trainer"] = _new_trainer(experiment)
        holder["signature"], holder["logging"] = fresh, logging
    elif holder["signature"] != fresh:
        st.info("You changed the model, data or settings: the current run keeps going. Reset to train the new setup.")
        if st.button("Reset to the new setup", key="run_reset_new"):
            trainer.close()
            trainer = holder["trainer"] = _new_trainer(experiment)
            holder["signature"], holder["logging"] = fresh, logging
    now = trainer.snapshot(visuals=False)  # one question to the process per page run: each waits on it
    if abs(now.lr - (raw.get("training") or {}).get("lr", now.lr)) > 1e-12:
        follow_rate(raw)  # a rate from Undo, a loaded file or a link (the rate inputs apply theirs at once)
    _controls(trainer, now.state)
    _live(trainer, now.state)


def _new_trainer(experiment: Experiment) -> RemoteTrainer:
    """A trainer in its own process: training and this page never wait on each other."""
    log = RUNS / time.strftime("%Y%m%d-%H%M%S") if TENSORBOARD and st.session_state.get("run_tensorboard") else None
    # its process starts on the first Train, under the server's limits on epochs, time and memory
    return RemoteTrainer(experiment, slots=shared_slots(), log_dir=log, limits=WEB_RUNS)


def follow_rate(raw: dict[str, Any]) -> None:
    """Give this tab's trainer the experiment's learning rate, if the trainer belongs to it (the
    rate is the one setting that changes a run live)."""
    holder = _holder()
    lr = (raw.get("training") or {}).get("lr")
    if holder["trainer"] is not None and holder["signature"] == signature(raw) and lr is not None:
        holder["trainer"].set_lr(lr)
        feed.nudge(holder)  # the frame shows the new rate before the page's run does
        st.session_state.run_answering = True  # the live view's next run answers a person


def current(raw: dict[str, Any]) -> RemoteTrainer | None:
    """This tab's trainer when it belongs to the current experiment (for exports), else None."""
    holder = _holder()
    return holder["trainer"] if holder["signature"] == signature(raw) else None


def _act(action) -> None:
    """A control's callback: `action`, then the live feed shows its effect at once."""
    action()
    feed.nudge(_holder())


def _controls(trainer: RemoteTrainer, state: str) -> None:
    # Callbacks act before the page runs: one page run per click, not a run and a rerun
    cols = st.columns(4)
    label = "Resume" if state == PAUSED else "Train"
    cols[0].button(label, key="run_train", type="primary", disabled=state in (RUNNING, WAITING) or state in ENDED,
                   on_click=_act, args=(trainer.start,))
    cols[1].button("Pause", key="run_pause", disabled=state not in (RUNNING, WAITING), on_click=_act,
                   args=(trainer.pause,))
    cols[2].button("Step", key="run_step", disabled=state not in (IDLE, PAUSED), help="train exactly one epoch",
                   on_click=_act, args=(trainer.step,))
    cols[3].button("Reset", key="run_reset", help="fresh weights, empty history", on_click=_act,
                   args=(trainer.reset,))
    if not TENSORBOARD:
        return
    st.toggle("Log to TensorBoard", key="run_tensorboard", disabled=state != IDLE,
              help=f"from the next run: scalars and weight/gradient histograms under {RUNS.name}/ "
                   f"(view with `tensorboard --logdir {RUNS.name}`)")


def _live(trainer: RemoteTrainer, state: str | None = None) -> None:
    # One polling fragment: in Streamlit 1.67 a second one polling beside it (tried, to redraw the
    # charts on a slower timer) leaves copies of its charts piling up in the page
    polling = (state or trainer.state) in (RUNNING, WAITING)
    page_run = [True]  # the call below answers a person; the poll timer's later calls do not
    every = POLL_SECONDS if feed.served() else POLL_SECONDS_UNFED

    @fragments.part(LIVE_FRAGMENT, run_every=every if polling else None)
    def live() -> None:
        # A page run (a click, a new setting) shows its change first: timed chart redraws wait
        # for the next poll
        asked = st.session_state.pop("run_answering", False)  # a new rate's rerun, set by follow_rate
        answering, page_run[0] = page_run[0] or asked, False
        quiet = polling and answering
        every_s = CHART_SECONDS if polling else 0.0
        snapshot = trainer.snapshot(visuals=not polling or (not quiet and view.charts_due(every_s)))
        if polling and snapshot.state not in (RUNNING, WAITING):
            st.rerun(scope="app")  # the run paused or ended: redraw the controls, stop polling
        state = {WAITING: "⏳ waiting for a free training slot", RUNNING: "▶ training", PAUSED: "⏸ paused"}
        st.markdown(f"**{state.get(snapshot.state, snapshot.state)}** · {snapshot.device}"
                    + (f" · {snapshot.message}" if snapshot.message else ""))
        if snapshot.state in ("diverged", "failed"):
            st.error(snapshot.message)
        node_types = {n.id: n.type for n in trainer.experiment.model.nodes}
        # The curve goes with a page run; while training it streams from the feed (sending it here
        # too would be a second copy the frame ignores). A person waits on a quiet run: its
        # numbers go at once, without the curve.
        stream = feed.path(_holder()) if feed.served() else None
        streamed = polling and stream is not None
        shown = reading.read(id(trainer), snapshot, None if quiet or streamed else trainer.history())
        view.show(snapshot, shown, trainer.dataset, node_types, key="live", quiet=quiet, every_s=every_s,
                  feed=stream)

    live()
