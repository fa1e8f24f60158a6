"""Sharing and keeping work: the share panel, the preset picker, classroom flags, the undoable
workspace and the guard around each panel, each run alone as a page."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.runtime.caching.cache_resource_api import clear_session_cache

from components.share_panel import LISTED
from components.workspace import UNDO_LIMIT, key_of
from engine import SpecError
from engine.experiment import MAX_FILE_BYTES, MAX_VALUES, check_experiment
from engine.share import decode, encode
from tests.components.harness import by_key, failure, page, start, thumbnails
from tests.conftest import ROOT

PRESETS = ROOT / "presets"
PLAYGROUND = json.loads((PRESETS / "playground.json").read_text())
SPIRAL = json.loads((PRESETS / "spiral.json").read_text())


# -- share_panel -----------------------------------------------------------------------------


def share_page(flags):
    """The title bar's Copy link and Download, and the Experiment file tab's upload."""
    import streamlit as st

    from components import share_panel, workspace

    workspace.start()
    raw = workspace.current()
    share_panel.copy_button(raw, flags)
    share_panel.download_button(raw)
    loaded = share_panel.show(raw, workspace.key_of(raw))
    if loaded is not None:
        workspace.commit(loaded)
        st.rerun()


def copied_link(app) -> str:
    """The link that the Copy-link component (a custom component: no AppTest API) was given."""
    (button,) = [c for c in app.get("component_instance") if c.key == "share_copy_link"]
    assert button.proto.component_name.endswith("copy_link")
    return json.loads(button.proto.json_args)["link"]


def upload(app, name: str, content: bytes):
    app.file_uploader[0].set_value((name, content, "application/json")).run()
    assert not app.exception, failure(app)
    return app


def test_the_link_holds_the_whole_experiment_and_the_classroom_flags():
    app = start(share_page, {"hide": "data,text", "view": "present"})
    query = parse_qs(urlsplit(copied_link(app)).query)
    assert decode(query["e"][0]) == PLAYGROUND
    assert query["hide"] == ["data,text"] and query["view"] == ["present"]
    assert not app.code  # the raw link is not shown: the button copies it
    (download,) = app.get("download_button")
    assert (download.label, download.proto.id.endswith("share_download")) == ("Download", True)
    app.session_state["workspace_current"] = SPIRAL  # the link follows the experiment
    app.run()
    assert decode(parse_qs(urlsplit(copied_link(app)).query)["e"][0]) == SPIRAL


@pytest.mark.parametrize(("name", "content", "says"), [
    ("broken.json", b"{ not json", "cannot be opened"),
    ("list.json", b"[1, 2, 3]", "not a NeuroLoom experiment"),
    ("other.json", json.dumps({"format": "neuroloom/1", "model": PLAYGROUND["model"], "colour": "red"}).encode(),
     "not a NeuroLoom experiment"),
])
def test_a_bad_upload_is_rejected_with_its_problems_and_the_work_is_kept(name, content, says):
    app = start(share_page, {})
    upload(app, name, content)
    (error,) = app.error
    assert says in error.value and "your current work is kept" in error.value
    if name == "broken.json":
        assert "broken.json is not valid JSON" in error.value
    else:
        _, problems = check_experiment(json.loads(content))
        assert all(str(p) in error.value for p in problems)
    assert not [b for b in app.button if (b.key or "").startswith("share_load")]
    assert app.session_state["workspace_current"] == PLAYGROUND


def test_an_upload_past_the_size_limit_is_refused_before_it_is_read():
    app = start(share_page, {})
    upload(app, "huge.json", b"{" + b" " * MAX_FILE_BYTES + b"}")  # the browser's limit is not the server's
    (error,) = app.error
    assert "huge.json is 10.0 MiB, over the limit of 10 MiB" in error.value and "your current work is kept" in error.value
    assert app.session_state["workspace_current"] == PLAYGROUND


def test_an_upload_of_many_values_is_refused_in_one_line_and_many_problems_are_counted():
    app = start(share_page, {})
    upload(app, "keys.json", json.dumps({f"k{i}": 0 for i in range(MAX_VALUES + 1)}).encode())
    (error,) = app.error
    assert f"keys.json holds more than {MAX_VALUES:,} values" in error.value and error.value.count("\n- ") == 1
    upload(app, "unknown.json", json.dumps({"format": "neuroloom/1", **{f"k{i}": 0 for i in range(100)}}).encode())
    (error,) = app.error
    assert error.value.count("unknown key") == LISTED and error.value.endswith(f"- and {100 - LISTED + 1} more")
    assert app.session_state["workspace_current"] == PLAYGROUND


def test_a_link_of_many_values_opens_nothing_of_it():
    with pytest.raises(SpecError) as err:
        decode(encode({"format": "neuroloom/1", "model": {"nodes": [[0] * 10] * (MAX_VALUES // 10 + 1)}}))
    assert err.value.lines() == [f"file: the link's experiment holds more than {MAX_VALUES:,} values (keys and list "
                                 f"items), more than any experiment needs"]


def test_a_good_upload_loads_only_when_confirmed():
    app = start(share_page, {})
    upload(app, "spiral.json", json.dumps(SPIRAL).encode())
    assert app.session_state["workspace_current"] == PLAYGROUND
    load = by_key(app.button, "share_load")
    assert load.label == "Load spiral.json"
    load.click().run()
    assert app.session_state["workspace_current"] == SPIRAL
    assert app.session_state["workspace_undo"] == [PLAYGROUND]  # undoable


def test_an_upload_with_fixable_problems_says_how_many():
    raw = copy.deepcopy(SPIRAL)
    raw["model"]["nodes"][0]["params"]["out_features"] = 0
    raw["training"]["lr"] = -1
    _, problems = check_experiment(raw)
    app = start(share_page, {})
    upload(app, "mine.json", json.dumps(raw).encode())
    assert by_key(app.button, "share_load").label == f"Load mine.json ({len(problems)} problems to fix)"
    by_key(app.button, "share_load").click().run()
    assert app.session_state["workspace_current"] == raw


# -- gallery ---------------------------------------------------------------------------------


def test_the_gallery_reads_every_preset_and_skips_files_that_are_not_experiments(tmp_path):
    from components import gallery

    stems = [stem for stem, _ in gallery.presets()]
    assert sorted(stems) == sorted(p.stem for p in PRESETS.glob("*.json"))
    assert stems == list(gallery.LESSONS)  # every preset has its place in the learning path
    (tmp_path / "good.json").write_text(json.dumps({"title": "Good one"}))
    (tmp_path / "broken.json").write_text('{"title": "Broken", ')
    (tmp_path / "list.json").write_text("[1, 2]")
    assert gallery.presets(tmp_path) == [("good", {"title": "Good one"})]


def test_a_card_that_says_load_the_next_preset_is_followed_by_the_one_it_means():
    from components import gallery

    in_family: dict[str, list[str]] = {}
    for stem, raw in gallery.presets():
        in_family.setdefault(raw["family"], []).append(stem)
    assert in_family["basics"][:3] == ["perceptron", "perceptron_xor", "mlp_xor"]
    for stems in in_family.values():
        for stem, following in zip(stems, [*stems[1:], None], strict=True):
            raw = json.loads((PRESETS / f"{stem}.json").read_text())
            if "load the next preset" in raw["description"]:
                assert following is not None and "hidden layer" in json.loads(
                    (PRESETS / f"{following}.json").read_text())["title"], stem


def test_gallery_search_matches_words_anywhere_in_a_preset():
    from components import gallery

    raw = json.loads((PRESETS / "cnn_digits.json").read_text())
    assert gallery.matches(raw, "") and gallery.matches(raw, "conv2d DIGITS vision")
    assert not gallery.matches(raw, "lstm")


def test_every_preset_has_a_thumbnail_of_its_architecture_and_data():
    from components import gallery

    for stem, raw in gallery.presets():
        figure = gallery.thumbnail(json.dumps(raw, sort_keys=True))
        boxes = [t for t in figure.data if t.type == "scatter" and t.mode == "markers" and t.marker.symbol == "square"]
        assert len(boxes) == 1 and len(boxes[0].x) == len(raw["model"]["nodes"]) + 1, stem
        assert len(figure.data) > len(raw["model"]["nodes"]), stem  # edges, boxes and the data glimpse


# -- classroom -------------------------------------------------------------------------------


def classroom_page():
    import streamlit as st

    from components import classroom

    st.session_state.hidden = classroom.hidden()
    st.session_state.flags = classroom.flags()


def test_hide_flags_are_read_from_the_url_and_unknown_ones_dropped():
    app = page(classroom_page)
    assert (app.session_state["hidden"], app.session_state["flags"]) == (set(), {})
    app.query_params["hide"] = "training, bogus,data,,text"
    app.run()
    assert app.session_state["hidden"] == {"data", "training", "text"}
    assert app.session_state["flags"] == {"hide": "data,text,training"}
    app.query_params["view"] = "present"  # presenting travels with shared links too
    app.run()
    assert app.session_state["flags"] == {"hide": "data,text,training", "view": "present"}
    app.query_params["view"] = "something else"
    app.run()
    assert app.session_state["flags"] == {"hide": "data,text,training"}


def playground_page():
    from components import playground

    playground.show()


@pytest.fixture
def fresh_session():
    clear_session_cache("test session id")  # AppTest's one session: drop a trainer left by others
    yield
    clear_session_cache("test session id")


def open_playground(hide: str, panel: str | None = None):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(playground_page, default_timeout=60)
    app.query_params["hide"] = hide
    if panel is not None:
        app.session_state["app_panel"] = panel  # the tab a click opens (AppTest cannot click tabs)
    app.run()
    assert not app.exception, failure(app)
    return app


def keys(app) -> list[str]:
    return [w.key or "" for w in [*app.selectbox, *app.button, *app.number_input, *app.slider, *app.file_uploader]]


def test_the_playground_hides_the_sections_the_link_names(fresh_session):
    app = open_playground("builder,summary,text")
    assert not [k for k in keys(app) if k.startswith(("palette_", "builder_", "mlp_", "inspect_"))]  # no quick row either
    assert [t.label for t in app.tabs] == ["Training", "Data", "Inside", "Export", "Experiment file", "Run", "Runs", "Race"]
    assert not app.text  # no headline
    assert not app.dataframe and "Parameters" not in {m.label for m in app.metric}
    assert any(k.startswith("data_") for k in keys(app)) and app.button(key="run_train")  # the rest stays
    assert any(k.startswith("bar_") for k in keys(app))
    link = parse_qs(urlsplit(copied_link(app)).query)
    assert link["hide"] == ["builder,summary,text"]  # shared links keep the flags


@pytest.mark.parametrize(("hide", "gone_keys", "gone_tabs"), [
    ("data", ("data_",), {"Data"}),
    ("training", ("bar_",), {"Training"}),
    ("share", (), {"Experiment file"}),
    ("export", (), {"Export"}),
])
def test_each_flag_hides_its_part_of_the_page_and_nothing_else(fresh_session, hide, gone_keys, gone_tabs):
    app = open_playground(hide, panel="Training" if hide != "training" else "Data")
    everything = ["Model", "Training", "Data", "Inside", "Summary", "Export", "Experiment file", "Run", "Runs", "Race"]
    assert [t.label for t in app.tabs] == [t for t in everything if t not in gone_tabs]
    for prefix in ("data_", "bar_", "mlp_row_"):
        assert any(k.startswith(prefix) for k in keys(app)) == (prefix not in gone_keys), prefix
    copy = [c for c in app.get("component_instance") if c.key == "share_copy_link"]
    assert bool(copy) == bool(app.get("download_button")) == (hide != "share")
    assert bool(thumbnails(app)) == (hide != "data")
    assert app.text and app.button(key="run_train") and app.button(key="app_present")


# -- workspace -------------------------------------------------------------------------------


def workspace_page(edits):
    import streamlit as st

    from components import workspace

    problems = workspace.start()
    if problems:
        st.session_state.problems = problems
    for i, edit in enumerate(edits):
        if st.button(f"commit {i}", key=f"commit_{i}"):
            st.session_state.changed = workspace.commit(edit)
    if st.button("many", key="many"):
        for n in range(workspace.UNDO_LIMIT + 5):
            workspace.commit({**workspace.current(), "title": f"edit {n}"})
    if st.button("undo", key="undo"):
        workspace.undo()
    if st.button("redo", key="redo"):
        workspace.redo()
    st.session_state.state = (workspace.current(), workspace.version(), workspace.can_undo(), workspace.can_redo())


def state(app):
    return app.session_state["state"]


def test_the_workspace_starts_on_the_default_preset():
    app = start(workspace_page, [])
    assert state(app) == (PLAYGROUND, 0, False, False)
    assert "problems" not in app.session_state


def linked(**query):
    """The workspace page opened with these URL parameters."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(workspace_page, args=([PLAYGROUND],), default_timeout=30)
    for name, value in query.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception, failure(app)
    return app


def test_the_workspace_starts_on_the_linked_experiment_and_keeps_it():
    app = linked(e=encode(SPIRAL))
    assert state(app)[0] == SPIRAL
    app.button(key="commit_0").click().run()
    assert state(app)[0] == PLAYGROUND  # later runs do not reload the link


def test_a_damaged_link_gives_problems_and_the_default():
    app = linked(e="garbage")
    assert state(app)[0] == PLAYGROUND
    assert app.session_state["problems"] and all(isinstance(p, str) for p in app.session_state["problems"])


def test_commit_undo_and_redo():
    edits = copy.deepcopy([PLAYGROUND, SPIRAL, {**PLAYGROUND, "title": "third"}])
    app = start(workspace_page, edits)
    app.button(key="commit_0").click().run()
    assert app.session_state["changed"] is False and state(app) == (PLAYGROUND, 0, False, False)
    app.button(key="commit_1").click().run()
    assert app.session_state["changed"] is True and state(app) == (SPIRAL, 1, True, False)
    edits[1]["title"] = "changed afterwards"  # the workspace keeps its own copy
    app.button(key="undo").click().run()
    assert state(app) == (PLAYGROUND, 2, False, True)
    app.button(key="redo").click().run()
    assert state(app) == (SPIRAL, 3, True, False)
    app.button(key="undo").click().run()
    app.button(key="commit_2").click().run()  # a new edit after undo drops the redo
    assert state(app) == (edits[2], 5, True, False)


def test_undo_keeps_the_last_hundred_versions():
    app = start(workspace_page, [])
    app.button(key="many").click().run()
    assert len(app.session_state["workspace_undo"]) == UNDO_LIMIT
    assert app.session_state["workspace_undo"][0]["title"] == "edit 4"  # the oldest were dropped


def test_key_of_fingerprints_a_section_whatever_its_key_order():
    data = PLAYGROUND["data"]
    assert key_of(data) == key_of(dict(reversed(list(data.items()))))
    assert key_of(data) != key_of({**data, "noise": 0.1})
    assert len(key_of(data)) == 8 and int(key_of(data), 16) >= 0


# -- guard -----------------------------------------------------------------------------------


def guard_page(kind):
    import streamlit as st

    from components.guard import guard

    st.session_state.runs = st.session_state.get("runs", 0) + 1
    with guard("broken"):
        st.markdown("inside, before")
        if kind == "error":
            raise ValueError("kaput")
        if kind == "stop":
            st.stop()
        if kind == "rerun" and st.session_state.runs == 1:
            st.rerun()
        st.markdown("inside, after")
    st.markdown("after the panel")


def test_an_error_in_a_panel_becomes_a_message_and_the_page_goes_on(caplog):
    with caplog.at_level(logging.ERROR, logger="neuroloom"):
        app = start(guard_page, "error")
    (error,) = app.error
    assert error.value.startswith("The broken panel hit a problem and was skipped: ValueError: kaput.")
    shown = [m.value for m in app.markdown]
    assert shown == ["inside, before", "after the panel"]
    assert any(r.getMessage() == "panel broken failed" and r.exc_info for r in caplog.records)


def test_streamlits_stop_and_rerun_pass_through_the_guard():
    app = start(guard_page, "stop")
    assert not app.error and [m.value for m in app.markdown] == ["inside, before"]
    app = start(guard_page, "rerun")
    assert not app.error and app.session_state["runs"] == 2
    assert [m.value for m in app.markdown] == ["inside, before", "inside, after", "after the panel"]


def test_a_clean_panel_is_untouched():
    app = start(guard_page, "fine")
    assert not app.error and [m.value for m in app.markdown] == ["inside, before", "inside, after", "after the panel"]


def test_the_gallery_folder_reader_skips_broken_files(tmp_path: Path):
    """The gallery (covered as a dialog in test_app) skips what the picker marks unreadable."""
    from components.gallery import presets

    (tmp_path / "a.json").write_text(json.dumps({"title": "A"}))
    (tmp_path / "b.json").write_text("{ broken")
    (tmp_path / "c.json").write_text("[1]")
    assert presets(tmp_path) == [("a", {"title": "A"})]
