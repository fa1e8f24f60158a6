"""The playground page, on one screen as TensorFlow Playground is: a one-line title bar; the run
controls and the training settings in a row; the data on the left; the network and its output,
live, on the right; the secondary parts in tabs below. Wiring only: every panel is a component
with its own session keys."""

import functools

import streamlit as st

from components import (
    builder,
    classroom,
    control_bar,
    data_panel,
    export_panel,
    fragments,
    gallery,
    inside_panel,
    layout,
    model_canvas,
    model_summary,
    quick_mlp,
    race_panel,
    run_panel,
    runs_panel,
    share_panel,
    training_panel,
    workspace,
)
from components.guard import guard
from components.live import feed
from components.memo import analysis_of
from engine.follow import follow_data
from engine.share import encode
from engine.training.config import FIELDS
from engine.web import WEB_LIMITS

HEADER, SHARE, EXPORT = "header", "share", "export"  # parts of the page that a new rate reruns
HEADLINE_CHARS = 78  # the title bar is one line at 1440 px


def show() -> None:
    run_panel.page_run_began()
    link_problems = workspace.start()
    preset = gallery.chosen()  # before anything is drawn: the page shows the new experiment at once
    if preset is not None:
        workspace.commit(preset)
    fragments.page_run()
    hidden, present = classroom.hidden(), classroom.presenting()
    layout.style(present)
    model_canvas.take_edit()
    raw = workspace.current()
    header = st.container()  # drawn last, so Undo and the title follow a change made below
    for problem in link_problems:
        st.error(f"The link could not be opened ({problem}); showing the default experiment instead.")
    analysis = analysis_of(raw.get("model"))
    experiment, problems = workspace.check(raw)
    controls, settings = st.columns([1.9, 5.1] if not present else [2.2, 4.8], vertical_alignment="bottom")
    show_data = "data" not in hidden and not present
    if show_data:
        data_column, live_column = st.columns([1.0, 3.3], gap="medium")
    else:
        data_column, live_column = None, st.container()
    canvas = "builder" not in hidden and not present and model_canvas.wanted(raw.get("model"))
    with live_column:
        mlp_row = st.container()
        if canvas:  # the editor in the network's place, the output and the loss beside it
            canvas_cell, live_area = st.columns([1.5, 1], gap="small")
        else:
            live_area = st.container()
    with guard("training run"):  # first: Train or Pause shows before the rest is drawn again
        run_panel.show(experiment, [str(p) for p in problems], raw, controls, live_area, present=present,
                       network=not canvas)
    if runs_panel.REOPEN in st.session_state:
        runs_panel.load_reopened(run_panel.current(raw))
    with settings, guard("settings"):
        if "training" not in hidden or present:
            _commit(control_bar.show(raw, workspace.widget_key("settings", control_bar.shown(raw)), LIVE_RATE,
                                             present=present))
    if "builder" not in hidden and not present:
        with mlp_row, guard("network"):
            _commit(_with("model", raw, quick_mlp.compact(raw.get("model") or {},
                                                           workspace.widget_key("model", raw.get("model")),
                                                           last=lambda: model_canvas.switch(raw.get("model")))))
    if canvas:
        with canvas_cell, guard("graph editor"):
            model_canvas.show()
    if data_column is not None:
        with data_column, guard("data"):
            _commit(_with_data(raw, data_panel.show(raw.get("data"), workspace.widget_key("data", raw.get("data")),
                                                    compact=True)))
    if not present:
        _panels_below(raw, analysis, hidden)
    with header, guard("header"):
        _header(hidden)
    _keep_in_url(raw)


def _commit(edited: dict | None) -> None:
    if edited is not None and workspace.commit(edited):
        run_panel.follow_edit()
        st.rerun()


def _panels_below(raw: dict, analysis, hidden: set[str]) -> None:
    """The secondary parts, one tab each: the full model editor, every training setting, the data's
    details, the summary, the exports, experiment files and the run's own settings."""
    names = [name for name, part in PANELS if part not in hidden]
    if race_panel.requested():  # a race asked for on another page: its tab opens
        st.session_state["app_panel"] = "Race"
    # only the open tab is drawn: every element costs each page run its time in the browser
    tabs = {name: tab for name, tab in zip(names, st.tabs(names, key="app_panel", on_change="rerun"), strict=True)
            if tab.open}
    if "Model" in tabs:
        with tabs["Model"], guard("model builder"):
            _commit(_with("model", raw, builder.show(raw.get("model") or {}, analysis,
                                                      workspace.widget_key("model", raw.get("model")))))
    if "Training" in tabs:
        with tabs["Training"], guard("training"):
            _commit(_with("training", raw, training_panel.show(raw.get("training"), workspace.widget_key(
                "training", raw.get("training")), LIVE_RATE)))
    if "Data" in tabs:
        with tabs["Data"], guard("data details"):
            _commit(_with_data(raw, data_panel.details(raw.get("data"), workspace.widget_key("data", raw.get("data")))))
    if "Inside" in tabs:
        with tabs["Inside"], guard("inside views"):
            inside_panel.show(run_panel.current(raw))
    else:
        inside_panel.close(run_panel.current(raw))
    if "Summary" in tabs:
        with tabs["Summary"], guard("summary"):
            model_summary.show(analysis)
    if "Export" in tabs:
        with tabs["Export"]:
            _export()
    if "Experiment file" in tabs:
        with tabs["Experiment file"]:
            _share()
    if "Run" in tabs:
        with tabs["Run"], guard("run details"):
            run_panel.details()
    if "Runs" in tabs:
        with tabs["Runs"], guard("runs"):
            _commit(runs_panel.show())
    if "Race" in tabs:
        with tabs["Race"], guard("race"):
            checked, _ = workspace.check(raw)
            race_panel.show(raw, checked is not None and checked.data is not None)


PANELS = (("Model", "builder"), ("Training", "training"), ("Data", "data"), ("Inside", None), ("Summary", "summary"),
          ("Export", "export"), ("Experiment file", "share"), ("Run", None), ("Runs", None), ("Race", None))


def _with(section: str, raw: dict, edited: dict | None) -> dict | None:
    return None if edited is None else {**raw, section: edited}


def _with_data(raw: dict, edited: dict | None) -> dict | None:
    """A data edit, with the model's ends fitted to the new data (a feature more, an input more;
    three classes, three outputs), as TensorFlow Playground does: a click on a dataset never
    leaves a model that cannot train on it."""
    return None if edited is None else follow_data({**raw, "data": edited}, WEB_LIMITS)


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
    # the live frame shows the new rate from the feed (nudged above); without it, its part runs again
    live = [] if feed.served() else [run_panel.LIVE_FRAGMENT]
    fragments.rerun([*live, control_bar.RATE_PART, training_panel.RATE_FRAGMENT, HEADER, SHARE, EXPORT])


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
        uploaded = share_panel.show(raw, workspace.widget_key("experiment", raw))
        if uploaded is not None:
            _commit(uploaded)


@fragments.part(HEADER)
def _header(hidden: set[str]) -> None:
    """One line: the name and what is loaded, then presets, undo and redo, sharing, presenting."""
    raw = workspace.current()
    present = classroom.presenting()
    cells = st.columns([1.2, 4.1, 1.3, 0.45, 0.45, 1.2, 1.2, 1.1], vertical_alignment="center")
    cells[0].markdown("**:material/hub: NeuroLoom**")
    headline = _headline(raw) if "text" not in hidden else ""
    if headline:  # anybody's text (a link, a file): shown as it is, never as Markdown or HTML
        cells[1].text(layout.shortened(headline, HEADLINE_CHARS), help=headline if len(headline) > HEADLINE_CHARS else None)
    with cells[2]:
        gallery.show(label="Presets")  # its choice is taken when the page starts (see `show`)
    # callbacks act before the page runs: the page is drawn once, already undone
    cells[3].button("", icon=":material/undo:", disabled=not workspace.can_undo(), key="app_undo", on_click=_whole_page,
                    args=(workspace.undo,), help="Undo", width="stretch")
    cells[4].button("", icon=":material/redo:", disabled=not workspace.can_redo(), key="app_redo", on_click=_whole_page,
                    args=(workspace.redo,), help="Redo", width="stretch")
    if "share" not in hidden:
        with cells[5]:
            share_panel.copy_button(raw, classroom.flags())
        with cells[6]:
            share_panel.download_button(raw)
    cells[7].button("Leave" if present else "Present", icon=":material/close:" if present else ":material/slideshow:",
                    key="app_present", on_click=_whole_page, args=(lambda: classroom.present(not present),),
                    width="stretch",
                    help="back to the whole playground" if present else "the network and its output, large, for a projector")


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
