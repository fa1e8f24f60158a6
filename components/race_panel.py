"""The Race tab: the current experiment trained several ways at once, differing in the optimizer,
the learning rate or the seed; each contender is a training of its own (in its own process, in
the server's queue like any other, recorded as a run tagged "race") and their curves are overlaid
live. Owns the session keys `race_*`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from components import fragments, owner, page_presence, run_curves, workspace
from engine.errors import SpecError
from engine.race import CHOICES, MAX_CONTENDERS, MIN_CONTENDERS, VARIED, contenders, defaults
from engine.runs import home as run_store_home
from engine.runs import recording_enabled
from engine.training.limits import RunLimits
from engine.training.remote import MAX_WORKERS, RemoteTrainer, shared_slots
from engine.training.trainer import ENDED, FINISHED, RUNNING, WAITING

POLL_S = 0.5  # how often the race's curves are redrawn while it runs
RACE_PART = "race"
REQUEST = "race_request"  # a race asked for from elsewhere (the Concept explorer): (varied, values)
WEB_RUNS = RunLimits.for_web()
# one browser's race leaves two of the server's worker processes to everybody else
LIMIT = max(MIN_CONTENDERS, min(MAX_CONTENDERS, MAX_WORKERS - 2))
STATE_WORDS = {RUNNING: "training", WAITING: "waiting for a free slot"}


@dataclass
class Race:
    varied: str
    entrants: list[tuple[str, RemoteTrainer]]

    def live(self) -> bool:
        return any(t.last_snapshot().state not in ENDED for _, t in self.entrants)

    def close(self) -> None:
        for _, trainer in self.entrants:
            trainer.close()


def _release(holder: dict) -> None:
    if holder.get("race") is not None:
        holder["race"].close()


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def _holder() -> dict:
    return {"race": None}


def request(varied: str, values: list) -> None:
    """Ask the Race tab to start a race over `varied` when the playground next shows (the Concept
    explorer's "on a real network")."""
    st.session_state[REQUEST] = (varied, list(values))


def requested() -> bool:
    return REQUEST in st.session_state


def show(raw: dict, valid: bool) -> None:
    holder = _holder()
    asked = st.session_state.pop(REQUEST, None)
    if asked is not None and valid:
        _start(holder, raw, *asked, epochs=(raw.get("training") or {}).get("epochs", 100))
    st.caption(f"Train this experiment several ways at once, differing in one setting, and watch their curves side "
               f"by side. Each contender is a run of its own{' (kept in Runs, tagged race)' if recording_enabled() else ''}; "
               "the server trains a few at a time, the others wait their turn.")
    cells = st.columns([1.3, 3.2, 1.0, 1.0], vertical_alignment="bottom")
    varied = cells[0].selectbox("Vary", list(VARIED), format_func=VARIED.get, key="race_varied")
    start = defaults(raw, varied)[:LIMIT]
    options = list(CHOICES[varied]) + [v for v in start if v not in CHOICES[varied]]  # a seed of 12, say
    values = cells[1].multiselect(f"{VARIED[varied]} values", options, default=start,
                                  key=f"race_values_{varied}", max_selections=LIMIT,
                                  format_func=lambda v: f"{v:g}" if isinstance(v, float) else str(v))
    epochs = cells[2].number_input("epochs each", 1, WEB_RUNS.max_epochs or 100_000,
                                   int((raw.get("training") or {}).get("epochs", 100)), key="race_epochs")
    if cells[3].button("Race", icon=":material/sports_score:", type="primary", key="race_start", width="stretch",
                       disabled=not valid, help=None if valid else "the experiment has problems: see the page above"):
        _start(holder, raw, varied, values, epochs)
    race: Race | None = holder["race"]
    if race is not None:
        _live(race)


def _start(holder: dict, raw: dict, varied: str, values: list, epochs: int) -> None:
    if len(values) > LIMIT:
        st.error(f"This server races at most {LIMIT} at once (it keeps worker processes for others: "
                 "NEUROLOOM_MAX_WORKERS).")
        return
    try:
        entries = contenders(raw, varied, values)
    except SpecError as err:
        st.error("; ".join(err.lines()))
        return
    experiments = []
    for label, contender in entries:  # checked as the page checks a link: under the server's limits
        experiment, problems = workspace.check({**contender, "training": {**contender["training"], "epochs": int(epochs)}})
        if experiment is None:
            st.error(f"{label}: {problems[0]}")
            return
        experiments.append((label, experiment))
    if holder["race"] is not None:
        holder["race"].close()
    record = {"owner": owner.current(), "home": str(run_store_home()), "tags": ["race"]} if recording_enabled() else None
    page_open = page_presence.watcher()
    entrants = [(label, RemoteTrainer(experiment, slots=shared_slots(), limits=WEB_RUNS,
                                      record=record and {**record, "name": label}, page_open=page_open,
                                      visitor=owner.current()))
                for label, experiment in experiments]
    holder["race"] = Race(varied, entrants)
    # each start waits for its process to build the run: side by side, not one after another
    with ThreadPoolExecutor(len(entrants)) as starting:
        list(starting.map(lambda entrant: entrant[1].start(), entrants))


def _stop() -> None:
    race = _holder()["race"]
    if race is not None:
        for _, trainer in race.entrants:
            trainer.stop()


def _live(race: Race) -> None:
    @fragments.part(RACE_PART, run_every=POLL_S if race.live() else None)
    def curves() -> None:
        rows, series = [], []
        for label, trainer in race.entrants:
            snapshot = trainer.snapshot(visuals=False)
            history = trainer.history()
            series.append((label, label, history))
            metrics = snapshot.metrics or {}
            rows.append({"contender": label, "state": STATE_WORDS.get(snapshot.state, snapshot.state),
                         "epoch": snapshot.epoch, "test loss": metrics.get("test_loss"),
                         "test acc.": metrics.get("test_accuracy"), "epochs/s": round(snapshot.epochs_per_second, 1),
                         "note": "" if snapshot.state == FINISHED else snapshot.message or ""})
        seconds = st.session_state.get("race_axis") == "seconds"
        st.plotly_chart(run_curves.figure(series, seconds, height=300), key="race_curves",
                        config={"displayModeBar": False})
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="race_table", width="stretch",
                     column_config={"test acc.": st.column_config.NumberColumn(format="percent"),
                                    "test loss": st.column_config.NumberColumn(format="%.4f")})
        if not race.live() and st.session_state.get("race_was_live"):
            st.session_state.race_was_live = False
            st.rerun()  # the race ended: the Stop button goes
        st.session_state.race_was_live = race.live()

    left, right = st.columns([3, 1], vertical_alignment="center")
    left.radio("x axis", ["epochs", "seconds"], horizontal=True, key="race_axis")
    right.button("Stop race", icon=":material/stop:", key="race_stop", on_click=_stop, disabled=not race.live(),
                 width="stretch")
    curves()
