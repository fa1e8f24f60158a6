"""Train / Pause / Step / Reset and the live view. Each browser tab has its own trainer, held in
a session-scoped resource that Streamlit releases (stopping the run) when the tab closes; a
server-wide cap queues runs beyond it. Owns the session keys `run_*`."""

from __future__ import annotations

import functools
import json
import os
import time
from pathlib import Path
from typing import Any

import streamlit as st

from components import data_panel, fragments, gallery, graph_view, owner, page_presence, workspace
from components.live import feed, reading, view
from components.live.timing import UNFED_POLL_S
from engine import Experiment
from engine.data import check_data
from engine.runs import home as run_store_home
from engine.runs import recording_enabled
from engine.training.limits import RunLimits
from engine.training.remote import RemoteTrainer, shared_slots, warm_up
from engine.training.trainer import DIVERGED, FAILED, FINISHED, IDLE, PAUSED, RUNNING, STOPPED, WAITING
from engine.web import WEB_LIMITS

LIVE_FRAGMENT = "live"  # the live view's part of the page: rerun alone when the frame asks
RUNS = Path(__file__).resolve().parent.parent / "runs"  # TensorBoard logs (git-ignored)
WEB_RUNS = RunLimits.for_web()
# Logs stay in the server's runs/ folder for a local user to read; a server for a class turns them off
TENSORBOARD = os.environ.get("NEUROLOOM_TENSORBOARD", "on").strip().lower() != "off"
warm_up()  # once per server, when the page is first imported


def _release(holder: dict) -> None:
    feed.forget(holder)
    for trainer in (holder.get("trainer"), (holder.get("aside") or (None, None))[1]):
        if trainer is not None:
            trainer.close()


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def _holder() -> dict:
    return {"trainer": None, "signature": None}


def signature(raw: dict[str, Any]) -> str:
    """What a run depends on, except the learning rate (which changes live) and the model's layout."""
    training = {k: v for k, v in (raw.get("training") or {}).items() if k != "lr"}
    model = raw.get("model")
    if isinstance(model, dict):  # where the editor draws the nodes changes nothing of a run
        model = {k: v for k, v in model.items() if k != "layout"}
    return json.dumps({"model": model, "data": raw.get("data"), "training": training}, sort_keys=True)


def show(experiment: Experiment | None, problems: list[str], raw: dict[str, Any], controls=None, live_area=None,
         present: bool = False, network: bool = True) -> None:
    """The run controls into `controls`, the live view into `live_area` (containers; by default
    one under the other, here). An edit of the model, data or settings starts the run over, as in
    TensorFlow Playground; the old run is set aside, paused, and comes back when Undo returns to
    its setup. Without `network` the live view leaves the model's picture to the graph editor."""
    controls, live_area = controls or st.container(), live_area or st.container()
    holder = _holder()
    trainer: RemoteTrainer | None = holder["trainer"]
    if experiment is None:
        with controls:
            st.button("Train", icon=":material/play_arrow:", disabled=True, key="run_train_disabled", type="primary")
        with live_area:
            if data_panel.awaiting_upload(raw.get("data")):
                st.info(data_panel.UPLOAD_FIRST, icon=":material/upload_file:")
            else:
                st.warning(f"Train is off until the experiment is valid: {problems[0]}"
                           + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
            if trainer is not None and _same_data(trainer, raw):  # the last run, while its model is fixed
                _live(trainer, present=present, network=network)
            else:  # new data: its picture, not the last run's points under its name
                data_panel.show_preview(raw.get("data"), key="run_data_preview")
                data = raw.get("data")
                gallery.offer_for(data.get("dataset") if isinstance(data, dict) else None)
        return
    if experiment.data is None:
        with live_area:
            st.info("Pick a dataset to train on.")
        return
    trainer = _settle(holder, experiment, raw)
    pending = st.session_state.pop("run_pending", None)
    if pending in ACTIONS:  # a click that came while the page was busy with the edit before it
        getattr(trainer, pending)()
    now = trainer.snapshot(visuals=False)  # one question to the process per page run: each waits on it
    if abs(now.lr - (raw.get("training") or {}).get("lr", now.lr)) > 1e-12:
        follow_rate(raw)  # a rate from Undo, a loaded file or a link (the rate inputs apply theirs at once)
    with controls:
        _controls(now.state, pending is not None)
    with live_area:
        _live(trainer, now.state, present=present, network=network)


def _same_data(trainer: RemoteTrainer, raw: dict[str, Any]) -> bool:
    config, _, _ = check_data(raw.get("data"), WEB_LIMITS)
    return config is not None and config == trainer.experiment.data


def _settle(holder: dict, experiment: Experiment, raw: dict[str, Any]) -> RemoteTrainer:
    """This tab's trainer for `raw`: the current one, the one set aside when Undo came back to its
    setup, or a new one."""
    fresh, logging = signature(raw), bool(st.session_state.get("run_tensorboard"))
    trainer = holder["trainer"]
    if trainer is not None and holder["signature"] == fresh and holder.get("logging") == logging:
        return trainer
    aside = holder.get("aside")
    back = aside is not None and aside[0] == fresh and trainer is not None  # Undo returned to it
    chosen = aside[1] if back else _new_trainer(experiment)
    if trainer is not None:
        progress = trainer.last_snapshot().epoch > 0
        trainer.pause()  # kept as it was, for Undo
        if aside is not None and aside[1] is not chosen:
            aside[1].close()
        holder["aside"] = (holder["signature"], trainer) if progress else None
        if not progress:
            trainer.close()
        if back:
            st.toast("The run of this setup is back, paused where it was.", icon=":material/history:")
        elif progress:
            st.toast("A new setup starts a new run. Undo brings the last run back.", icon=":material/history:")
    holder.update(trainer=chosen, signature=fresh, logging=logging)
    feed.nudge(holder)
    return chosen


def _diagram(trainer: RemoteTrainer):
    """The model's diagram, for models with no neuron picture."""
    return graph_view.figure(trainer.experiment.analysis, None)


def _new_trainer(experiment: Experiment) -> RemoteTrainer:
    """A trainer in its own process: training and this page never wait on each other."""
    log = RUNS / time.strftime("%Y%m%d-%H%M%S") if TENSORBOARD and st.session_state.get("run_tensorboard") else None
    # its process starts on the first Train, under the server's limits on epochs, time and memory
    # into the run store, as this browser's
    record = {"owner": owner.current(), "home": str(run_store_home())} if recording_enabled() else None
    return RemoteTrainer(experiment, slots=shared_slots(), log_dir=log, limits=WEB_RUNS, record=record,
                         page_open=page_presence.watcher(), visitor=owner.current())


def follow_rate(raw: dict[str, Any]) -> None:
    """Give this tab's trainer the experiment's learning rate, if the trainer belongs to it (the
    rate is the one setting that changes a run live)."""
    holder = _holder()
    lr = (raw.get("training") or {}).get("lr")
    if holder["trainer"] is not None and holder["signature"] == signature(raw) and lr is not None:
        holder["trainer"].set_lr(lr)
        feed.nudge(holder)  # the frame shows the new rate before the page's run does


def current(raw: dict[str, Any]) -> RemoteTrainer | None:
    """This tab's trainer when it belongs to the current experiment (for exports), else None."""
    holder = _holder()
    return holder["trainer"] if holder["signature"] == signature(raw) else None


ACTIONS = ("start", "pause", "step", "reset")


def _act(action: str) -> None:
    """A control's callback (before the page runs): `action` on this tab's trainer, and the live
    feed shows it at once. A click that comes before a page run has set up the trainer of the
    experiment shown sets it up itself; one that still cannot act is kept for the page's run."""
    st.session_state.run_clicked = action  # for an edit this page run commits (follow_edit)
    holder = _holder()
    shown = workspace.current() if workspace.started() else None  # a page without a workspace: its own run
    if shown is not None and (holder["trainer"] is None or holder["signature"] != signature(shown)):
        # the page's run that sets the trainer up may have been cut short (a part's rerun can
        # preempt it), and a kept click would then wait for the next whole-page run
        experiment, _ = workspace.check(shown)
        if experiment is not None and experiment.data is not None:
            _settle(holder, experiment, shown)
    if holder["trainer"] is None or (shown is not None and holder["signature"] != signature(shown)):
        st.session_state.run_pending = action
        return
    getattr(holder["trainer"], action)()
    feed.nudge(holder)


def page_run_began() -> None:
    """First thing in each whole-page run: note the control clicked for it, if any."""
    st.session_state.run_clicked_now = st.session_state.pop("run_clicked", None)


def follow_edit() -> None:
    """An edit is committed in the page run of a Train or Step click. The click came while the page
    was still applying the edit (a setting changed just before it), so it acted on the setup before
    the edit; the edited setup's run takes it on in the page run that draws it."""
    clicked = st.session_state.pop("run_clicked_now", None)
    if clicked in ("start", "step"):
        st.session_state.run_pending = clicked


def _controls(state: str, busy: bool) -> None:
    # Callbacks act before the page runs: one page run per click, not a run and a rerun. Each
    # button says what it will do, and its callback does that (not what the state is by then).
    train, step, reset = st.columns([1.3, 1.0, 1.0], vertical_alignment="center")
    if state in (RUNNING, WAITING):
        train.button("Pause", icon=":material/pause:", key="run_train", type="primary", on_click=_act,
                     args=("pause",), width="stretch")
    else:
        label = {PAUSED: "Resume", FINISHED: "Go on"}.get(state, "Train")
        train.button(label, icon=":material/play_arrow:", key="run_train", type="primary",
                     disabled=state in (STOPPED, DIVERGED, FAILED), on_click=_act, args=("start",), width="stretch",
                     help="the run reached its epoch budget: Go on trains on from here, Reset starts over"
                     if state == FINISHED else None)
    step.button("Step", icon=":material/skip_next:", key="run_step", disabled=state not in (IDLE, PAUSED, FINISHED),
                help="train exactly one epoch", on_click=_act, args=("step",), width="stretch")
    reset.button("Reset", icon=":material/replay:" if not busy else ":material/hourglass_top:", key="run_reset",
                 help="fresh weights, empty history" + (" (starting the run you asked for…)" if busy else ""),
                 on_click=_act, args=("reset",), width="stretch")


def _logging_toggle(state: str) -> None:
    if not TENSORBOARD:
        return
    st.toggle("Log to TensorBoard", key="run_tensorboard", disabled=state != IDLE,
              help=f"from the next run: scalars and weight/gradient histograms under {RUNS.name}/ "
                   f"(view with `tensorboard --logdir {RUNS.name}`)")


def details() -> None:
    """The run's secondary settings, for a panel below the playground."""
    holder = _holder()
    state = holder["trainer"].last_snapshot().state if holder["trainer"] is not None else IDLE
    _logging_toggle(state)


def _live(trainer: RemoteTrainer, state: str | None = None, present: bool = False, network: bool = True) -> None:
    """The live view. Its pictures and numbers come from the live feed between the page's runs; the
    part reruns alone when the frame says the run's state moved on, and then the whole page does,
    so the controls follow. Without the feed's route (tests) it polls while training."""
    drawn_for = state or trainer.state
    training = drawn_for in (RUNNING, WAITING)
    fed = feed.served()

    @fragments.part(LIVE_FRAGMENT, run_every=UNFED_POLL_S if training and not fed else None)
    def live() -> None:
        snapshot = trainer.snapshot(visuals=True)
        if _controls_of(snapshot.state) != _controls_of(drawn_for):
            st.rerun(scope="app")  # the run paused, ended or started: redraw the controls
        # the state, speed and device are in the frame's reading; a message says why it stopped
        if snapshot.state in (DIVERGED, FAILED):
            st.error(snapshot.message)
        elif snapshot.state == IDLE and snapshot.message:  # a Train that could not start (a full server)
            st.warning(snapshot.message, icon=":material/hourglass_top:")
        elif snapshot.message and snapshot.state != FINISHED:  # at the budget: the reading and Go on's help say it
            st.caption(snapshot.message)
        holder = _holder()
        # the diagram never changes within a run: drawn once, however often the feed redraws
        scene = view.Scene(trainer.dataset, {n.id: n.type for n in trainer.experiment.model.nodes},
                           trainer.experiment.analysis, bool(st.session_state.get("live_show_gradients")),
                           functools.cache(lambda: _diagram(trainer)), network=network)
        _, before = holder.get("scene") or (None, None)
        holder["scene"] = (id(trainer), scene)  # what the feed draws between the page's runs
        stream = feed.path(holder) if fed else None
        # the curve goes with a page run; while training the feed streams it
        history = None if training and stream is not None else trainer.history()
        view.show(snapshot, reading.read(id(trainer), snapshot, history), scene, key="live", feed=stream,
                  state=snapshot.state, present=present)
        if before is not None and before.gradients != scene.gradients:
            feed.nudge(holder)  # the gradient chart switched on or off: the feed follows at once

    live()


def _controls_of(state: str) -> str:
    """What the controls look like in `state` (training and waiting for a slot look the same)."""
    return RUNNING if state in (RUNNING, WAITING) else state
