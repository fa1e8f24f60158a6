"""The playground page: data, model and training side by side, with the live run. Wiring only:
every panel is a component with its own session keys."""

import functools
import json

import streamlit as st

from components import (
    builder,
    classroom,
    data_panel,
    export_panel,
    fragments,
    gallery,
    model_summary,
    run_panel,
    share_panel,
    training_panel,
    workspace,
)
from components.guard import guard
from components.memo import remembered
from engine import analyze
from engine.share import encode
from engine.training.config import FIELDS

HEADER, SHARE, EXPORT = "header", "share", "export"  # parts of the page that a new rate reruns


def _commit(edited: dict) -> None:
    if workspace.commit(edited):
        st.rerun()


def show() -> None:
    link_problems = workspace.start()
    fragments.page_run()
    hidden = classroom.hidden()
    raw = workspace.current()
    header = st.container()  # drawn last, so Undo and the title follow a change made below
    for problem in link_problems:
        st.error(f"The link could not be opened ({problem}); showing the default experiment instead.")

    analysis = remembered("analysis", json.dumps(raw.get("model"), sort_keys=True, default=repr),
                          lambda: analyze(raw.get("model")))
    experiment, problems = workspace.check(raw)
    data_column, build_column, run_column = st.columns([1.1, 1.6, 1.8], gap="medium")
    with run_column:  # filled first: Train or Pause shows there before the rest is drawn again
        st.subheader("Train and watch")
        with guard("training run"):
            run_panel.show(experiment, [str(p) for p in problems], raw)
        if "export" not in hidden:
            exports = st.expander("Export: PyTorch, DDP, ONNX, pt2, weights", key="app_export_open", on_change="rerun")
            if exports.open:
                with exports:
                    _export()
    with data_column:
        if "data" not in hidden:
            st.subheader("Data")
            with guard("data"):
                data = data_panel.show(raw.get("data"), workspace.widget_key("data", raw.get("data")))
                if data is not None:
                    _commit({**raw, "data": data})
        if "training" not in hidden:
            st.subheader("Training")
            with guard("training"):
                training = training_panel.show(raw.get("training"), workspace.widget_key("training", raw.get("training")),
                                               LIVE_RATE)
                if training is not None:
                    _commit({**raw, "training": training})
    with build_column:
        if "builder" not in hidden:
            st.subheader("Model")
            with guard("model builder"):
                model = builder.show(raw.get("model") or {}, analysis, workspace.widget_key("model", raw.get("model")))
                if model is not None:
                    _commit({**raw, "model": model})
        if "summary" not in hidden:
            summary = st.expander("Summary: shapes, parameters, multiply-adds", key="app_summary_open", on_change="rerun")
            if summary.open:  # folded panels are not drawn: every element costs each rerun in the browser
                with summary, guard("summary"):
                    model_summary.show(analysis)

    with header, guard("header"):
        _header(hidden)
    with st.sidebar:
        with guard("presets"):
            preset = gallery.show()
            if preset is not None:
                _commit(preset)
        if "share" not in hidden:
            _share()
    _keep_in_url(raw)


def _whole_page(change) -> None:
    """A callback for a change made inside a part of the page that the whole page must show."""
    change()
    st.rerun()


def _keep_in_url(raw: dict) -> None:
    code = encode(raw)
    if st.query_params.get("e") != code:
        st.query_params["e"] = code  # the page's URL always holds the whole experiment


def _rate_set(rate: float) -> None:
    """A new learning rate, from the training panel's callback: it applies at once (live while
    training), and only the parts of the page that show the rate or the experiment run again."""
    raw = workspace.current()
    workspace.commit({**raw, "training": {**(raw.get("training") or {}), "lr": rate}})
    raw = workspace.current()
    run_panel.follow_rate(raw)
    _keep_in_url(raw)
    # the live view first: its rate is what a person waits to see
    fragments.rerun([run_panel.LIVE_FRAGMENT, training_panel.RATE_FRAGMENT, HEADER, SHARE, EXPORT])


def _rate_now() -> tuple[float, str]:
    training = workspace.current().get("training") or {}
    return training.get("lr", FIELDS["lr"].default), workspace.widget_key("training", training)


LIVE_RATE = training_panel.LiveRate(current=_rate_now, changed=_rate_set)


# The parts below read the experiment from the workspace, not from the page run: a new rate
# reruns them alone, with the arguments of the last page run.

@fragments.part(EXPORT)
def _export() -> None:
    raw = workspace.current()
    experiment, _ = workspace.check(raw)
    with guard("export"):
        export_panel.show(experiment, run_panel.current(raw), raw)


@fragments.part(SHARE)
def _share() -> None:
    raw = workspace.current()
    with guard("share"):
        uploaded = share_panel.show(raw, classroom.flags(), workspace.widget_key("experiment", raw))
        if uploaded is not None:
            _commit(uploaded)


@fragments.part(HEADER)
def _header(hidden: set[str]) -> None:
    raw = workspace.current()
    title, undo, redo = st.columns([8, 1, 1])
    title.title("NeuroLoom")
    # callbacks act before the page runs: the page is drawn once, already undone
    undo.button("↶ Undo", disabled=not workspace.can_undo(), key="app_undo", on_click=_whole_page, args=(workspace.undo,))
    redo.button("↷ Redo", disabled=not workspace.can_redo(), key="app_redo", on_click=_whole_page, args=(workspace.redo,))
    if "text" not in hidden:
        st.caption("Build a neural network, watch it learn, take the code with you.")
        headline = _headline(raw)
        if headline:  # anybody's text (a link, a file): shown as it is, never as Markdown or HTML
            st.text(headline)


@functools.cache
def _presets_by_title() -> dict[str, dict]:
    return {raw["title"]: raw for _, raw in gallery.presets() if isinstance(raw.get("title"), str)}


def _headline(raw: dict) -> str:
    """A preset's title and blurb while the experiment is that preset unchanged; once edited, only
    where it came from (its blurb would describe a network that is no longer there)."""
    title, description = str(raw.get("title") or ""), str(raw.get("description") or "")
    preset = _presets_by_title().get(title)
    if preset is not None and preset != raw:
        return f"Edited from “{title}”"
    return " · ".join(text for text in (title, description) if text)
