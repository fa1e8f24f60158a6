"""The Runs tab: this browser's recorded runs (the run store), filterable and sortable; several
selected are overlaid (loss and accuracy, one colour per run, on epochs or seconds) with the
settings that differ; one selected can be reopened (its experiment and weights come back, and Train
goes on from them), renamed, tagged or deleted. Owns the session keys `runs_*`."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from components import owner, run_curves
from engine.runs import RunStore, StoreError, UnknownRun, recording_enabled
from engine.runs.compare import differing

LISTED = 500  # the newest runs of a browser shown in the table
MAX_COMPARED = 12  # runs overlaid at once (one colour each, and readable)
REOPEN = "runs_reopen_weights"  # a reopened run's weights, loaded once its experiment's trainer exists


def show() -> dict[str, Any] | None:
    """The panel; returns a reopened run's experiment for the page to make current, else None."""
    if not recording_enabled():
        st.caption("This server keeps no runs (NEUROLOOM_RUNS=off).")
        return None
    try:
        store = RunStore()
    except StoreError as err:
        st.warning(f"{err}. Training goes on; its runs are not kept.")
        return None
    try:
        return _panel(store)
    except StoreError as err:
        st.warning(f"{err}. Training goes on; its runs are not kept.")
        return None
    finally:
        store.close()  # a connection per page run, not one left open by each


def _panel(store: RunStore) -> dict[str, Any] | None:
    runs = store.list(owner=owner.current(), limit=LISTED, experiments=True)
    if not runs:
        st.caption("Every run you train is kept here: select several to compare their curves and settings, "
                   "one to reopen it.")
        return None
    query = st.text_input("Filter runs", key="runs_filter", placeholder="title, dataset, optimizer, status or tag")
    shown = [run for run in runs if _matches(run, query)]
    picked = st.dataframe(pd.DataFrame([_row(run) for run in shown]), hide_index=True, key="runs_table",
                          on_select="rerun", selection_mode="multi-row", width="stretch",
                          column_config={"id": None, "best test acc.": st.column_config.NumberColumn(format="percent"),
                                         "duration (s)": st.column_config.NumberColumn(format="%.1f")})
    chosen = [shown[i] for i in picked.selection.rows if i < len(shown)]
    if not chosen:
        st.caption("Select runs (the boxes at the left of the table) to compare them.")
        return None
    if len(chosen) > MAX_COMPARED:  # each brings its whole history: a bound before any is read
        st.caption(f"The first {MAX_COMPARED} selected runs are compared.")
        chosen = chosen[:MAX_COMPARED]
    _compare(store, chosen)
    return _one(store, chosen[0]) if len(chosen) == 1 else None


def _matches(run: dict, query: str) -> bool:
    words = query.lower().split()
    text = " ".join(str(v) for v in (run["title"], run["name"], run["dataset"], run["status"], *run["tags"],
                                     (run["experiment"].get("training") or {}).get("optimizer"))).lower()
    return all(word in text for word in words)


def _row(run: dict) -> dict:
    training = run["experiment"].get("training") or {}
    nodes = (run["experiment"].get("model") or {}).get("nodes") or []
    ended = run["ended"] or time.time()
    return {"id": run["id"], "title": run["name"] or run["title"], "dataset": run["dataset"], "layers": len(nodes),
            "optimizer": training.get("optimizer"), "learning rate": training.get("lr"),
            "best test loss": run["best_test_loss"], "best test acc.": run["best_test_accuracy"],
            "epochs": run["epochs"], "duration (s)": round(ended - run["started"], 1), "status": run["status"],
            "started": time.strftime("%Y-%m-%d %H:%M", time.localtime(run["started"])), "tags": ", ".join(run["tags"])}


def _compare(store: RunStore, runs: list[dict]) -> None:
    seconds = st.radio("x axis", ["epochs", "seconds"], horizontal=True, key="runs_axis") == "seconds"
    series = [(run["id"], _label(run), store.history(run["id"])) for run in runs]
    st.plotly_chart(run_curves.figure(series, seconds), key="runs_curves", config={"displayModeBar": False})
    if len(runs) > 1:
        changes = differing([run["experiment"] for run in runs])
        if changes:
            st.dataframe(pd.DataFrame({_label(r): [_cell(v[i]) for v in changes.values()] for i, r in enumerate(runs)},
                                      index=list(changes)), key="runs_differing")
        else:
            st.caption("These runs have the same settings (the seed included): any difference is the machine's.")


def _one(store: RunStore, run: dict) -> dict[str, Any] | None:
    """Reopen, rename, tag, delete the selected run."""
    cells = st.columns([1.2, 2, 2, 1], vertical_alignment="bottom")
    reopened = None
    if cells[0].button("Reopen", icon=":material/history:", key="runs_reopen", width="stretch",
                       help="its experiment and weights come back; Train goes on from them", disabled=run["status"] == "running"):
        weights = store.get(run["id"])["weights"]
        if weights:
            st.session_state[REOPEN] = str(store.folder / weights)
        reopened = run["experiment"]
    name = cells[1].text_input("Name", value=run["name"] or "", key=f"runs_name_{run['id']}", max_chars=80)
    tags = cells[2].text_input("Tags (commas)", value=", ".join(run["tags"]), key=f"runs_tags_{run['id']}", max_chars=200)
    try:
        if name != (run["name"] or ""):
            store.rename(run["id"], name.strip())
            st.rerun()
        if tags != ", ".join(run["tags"]):
            store.tag(run["id"], [t.strip() for t in tags.split(",") if t.strip()][:20])
            st.rerun()
        if cells[3].button("Delete", icon=":material/delete:", key="runs_delete", width="stretch",
                           disabled=run["status"] == "running"):
            store.delete(run["id"])
            st.rerun()
    except (StoreError, UnknownRun) as err:
        st.warning(str(err))
    return reopened


def load_reopened(trainer) -> None:
    """Once the reopened experiment's trainer exists: its weights, loaded once."""
    path = st.session_state.pop(REOPEN, None)
    if path and trainer is not None:
        try:
            trainer.load_weights(path)
            st.toast("Reopened: Train goes on from this run's weights.")
        except Exception as err:  # weights that no longer fit, a file gone: say so, keep the page
            st.warning(f"The run's weights could not be loaded ({err}); its experiment is back with fresh weights.")


def _label(run: dict) -> str:
    """A run's short name in legends and column heads: its id's start tells apart runs of one title."""
    title = run["name"] or run["title"]
    return f"{run['id'][:4]} · {title if len(title) <= 28 else title[:27] + '…'}"


def _cell(value) -> str:
    if value is None:
        return "—"
    return f"{value:.4g}" if isinstance(value, float) else str(value)[:40]
