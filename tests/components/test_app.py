"""The whole page as Streamlit runs it (AppTest runs the real app.py, no browser): the title bar,
loading, editing the model, invalid edits turning Train off, the URL round trip, uploads, the
presenting view, and runs that follow the edits."""

from __future__ import annotations

import copy
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.runtime.caching.cache_resource_api import clear_session_cache
from streamlit.testing.v1 import AppTest

from components.data_panel import UPLOAD_FIRST
from components.live.reading import STATES
from components.playground import HEADLINE_CHARS
from engine import analyze
from engine.data.planar import FEATURE_LABELS
from engine.share import decode, encode
from engine.training.trainer import FINISHED, IDLE, PAUSED, RUNNING, WAITING
from tests.components.harness import failure, live_frames, metrics, reading, run_when
from tests.conftest import ROOT

PLAYGROUND = json.loads((ROOT / "presets" / "playground.json").read_text())
SPIRAL = json.loads((ROOT / "presets" / "spiral.json").read_text())
TABS = ["Model", "Training", "Data", "Inside", "Summary", "Export", "Experiment file", "Run", "Runs", "Race"]
SESSION = "test session id"  # AppTest's session id: the run panel's trainer is cached under it


@pytest.fixture(autouse=True)
def no_trainer_left():
    """Every AppTest shares one session id, so a trainer (a process) would outlive its test."""
    clear_session_cache(SESSION)
    yield
    clear_session_cache(SESSION)


def open_page(**query: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for name, value in query.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception, app.exception
    return app


def current(app: AppTest) -> dict:
    return app.session_state["workspace_current"]


def node_ids(app: AppTest) -> list[str]:
    return [n["id"] for n in current(app)["model"]["nodes"]]


def by_key(widgets, prefix: str, suffix: str = ""):
    """The one widget whose key starts with `prefix` and ends with `suffix` (panels put a
    fingerprint of their part of the experiment in between)."""
    found = [w for w in widgets if (w.key or "").startswith(prefix) and (w.key or "").endswith(suffix)]
    assert len(found) == 1, [w.key for w in widgets]
    return found[0]


@pytest.fixture
def page() -> AppTest:
    return open_page()


def open_tab(page: AppTest, name: str) -> None:
    """Open one of the tabs below the playground, as a click on it does (AppTest has no API to
    click a tab: the tabs' state is their key's session value)."""
    page.session_state["app_panel"] = name
    page.run()
    assert not page.exception, failure(page)


def copied_link(page: AppTest) -> str:
    """The link that the title bar's Copy-link component (a custom component) was given."""
    (button,) = [c for c in page.get("component_instance") if c.key == "share_copy_link"]
    return json.loads(button.proto.json_args)["link"]


def linked(page: AppTest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(copied_link(page)).query)


def headline(raw: dict) -> str:
    return f"{raw['title']} · {raw['description']}"


def test_page_opens_on_the_default_experiment_and_writes_it_into_the_url(page):
    assert current(page) == PLAYGROUND
    assert decode(page.query_params["e"]) == PLAYGROUND
    assert not page.error
    train = page.button(key="run_train")
    assert (train.label, train.disabled) == ("Train", False)
    assert [page.button(key=k).label for k in ("run_step", "run_reset")] == ["Step", "Reset"]
    assert reading(page, "live_charts")["caption"].startswith(f"{STATES[IDLE]} · ")  # drawn before Train
    assert [t.label for t in page.tabs] == TABS
    training = PLAYGROUND["training"]  # the settings row shows the experiment's settings
    assert by_key(page.selectbox, "bar_lr_").value == training["lr"]
    assert by_key(page.selectbox, "bar_", "_optimizer").value == training["optimizer"]
    assert by_key(page.selectbox, "bar_", "_act").value == "Tanh"
    assert by_key(page.selectbox, "data_", "_dataset").value == "circle"  # the data column
    assert "Parameters" not in {m.label for m in page.metric}  # only the open tab (Model) is drawn
    open_tab(page, "Summary")
    shown = {m.label: m.value for m in page.metric}
    assert shown["Parameters"] == f"{analyze(PLAYGROUND['model']).total_params:,}"
    assert not [k for k in (w.key or "" for w in page.button) if k.startswith("palette_")]  # the Model tab is not


def test_the_title_bar_is_one_line_with_no_title_and_copies_the_page_link(page):
    assert not page.title  # no st.title: the name is a small markdown in the bar
    assert "NeuroLoom" in page.markdown[0].value
    (text,) = page.text
    full = headline(PLAYGROUND)
    assert len(full) > HEADLINE_CHARS  # shortened to one line, the whole of it on hover
    assert text.value == full[:HEADLINE_CHARS - 1].rstrip() + "…" and text.proto.help == full
    assert page.button(key="gallery_open").label == "Presets"
    assert not page.sidebar.children  # nothing left in the sidebar
    for key, icon in (("app_undo", ":material/undo:"), ("app_redo", ":material/redo:")):
        button = page.button(key=key)
        assert (button.label, button.proto.icon, button.disabled) == ("", icon, True)
    assert page.button(key="app_present").label == "Present"
    assert not page.code  # the link is copied by the button, not shown
    assert decode(linked(page)["e"][0]) == PLAYGROUND and "hide" not in linked(page)
    (download,) = page.get("download_button")
    assert download.label == "Download" and download.proto.id.endswith("share_download")

    by_key(page.selectbox, "bar_", "_optimizer").set_value("sgd").run()  # an edit: the bar follows it
    assert not page.exception, failure(page)
    assert [t.value for t in page.text] == [f"Edited from “{PLAYGROUND['title']}”"]
    assert decode(linked(page)["e"][0]) == current(page) != PLAYGROUND
    assert not page.button(key="app_undo").disabled
    page.button(key="app_undo").click().run()
    assert [t.value for t in page.text] == [text.value] and decode(linked(page)["e"][0]) == PLAYGROUND
    assert not page.button(key="app_redo").disabled


def test_the_headline_is_hidden_by_the_text_flag_and_the_link_keeps_the_flags():
    page = open_page(hide="text,summary")
    assert not page.text and "NeuroLoom" in page.markdown[0].value
    assert linked(page)["hide"] == ["summary,text"]


def test_present_toggles_the_presenting_view_in_the_url(page):
    page.button(key="app_present").click().run()
    assert not page.exception, failure(page)
    assert page.query_params["view"] == "present"
    assert page.button(key="app_present").label == "Leave"
    assert linked(page)["view"] == ["present"]  # a shared link presents too
    assert not page.tabs and not [w for w in page.selectbox if (w.key or "").startswith("data_")]
    assert [w.key for w in page.selectbox] == [by_key(page.selectbox, "bar_lr_").key]  # the rate alone
    assert page.button(key="run_train") and page.get("component_instance")  # the run and its live view stay
    page.button(key="app_present").click().run()
    assert "view" not in page.query_params
    assert page.button(key="app_present").label == "Present" and [t.label for t in page.tabs] == TABS
    assert "view" not in linked(page)
    presenting = open_page(view="present")  # a link that presents
    assert presenting.button(key="app_present").label == "Leave" and not presenting.tabs


def open_editor(page: AppTest) -> None:
    """Unfold the layer editor (folded for plain stacks, which Quick MLP edits), as a click does."""
    page.session_state["builder_edit_open"] = True
    page.run()


def test_adding_a_layer_from_the_palette_then_undo_and_redo(page):
    open_editor(page)
    before = node_ids(page)
    by_key(page.selectbox, "palette_type").set_value("Dropout")
    by_key(page.button, "palette_add").click().run()
    assert not page.exception
    assert len(node_ids(page)) == len(before) + 1
    added = [n for n in current(page)["model"]["nodes"] if n["id"] not in before]
    assert [n["type"] for n in added] == ["Dropout"]
    page.button(key="app_undo").click().run()
    assert node_ids(page) == before
    page.button(key="app_redo").click().run()
    assert len(node_ids(page)) == len(before) + 1


def test_a_new_learning_rate_shows_in_every_part_that_shows_it(page):
    open_tab(page, "Training")
    assert page.button(key="app_undo").disabled
    by_key(page.number_input, "training_", "_lr_free").set_value(0.05).run()
    assert not page.exception
    assert current(page)["training"] == {**PLAYGROUND["training"], "lr": 0.05}
    assert by_key(page.select_slider, "training_", "_lr_ladder").value == 0.05  # both inputs redrawn, once each
    assert by_key(page.number_input, "training_", "_lr_free").value == 0.05
    assert by_key(page.selectbox, "bar_lr_").value == 0.05  # and the settings row's rate
    assert not page.button(key="app_undo").disabled  # the header reran with the rate inputs
    assert decode(page.query_params["e"]) == current(page) == decode(linked(page)["e"][0])
    page.button(key="app_undo").click().run()
    assert current(page) == PLAYGROUND
    assert by_key(page.select_slider, "training_", "_lr_ladder").value == PLAYGROUND["training"]["lr"]
    assert by_key(page.selectbox, "bar_lr_").value == PLAYGROUND["training"]["lr"]


def test_the_settings_row_sets_the_rate_live_and_edits_the_training(page):
    open_tab(page, "Training")
    by_key(page.selectbox, "bar_lr_").set_value(0.1).run()
    assert not page.exception, failure(page)
    assert current(page)["training"] == {**PLAYGROUND["training"], "lr": 0.1}
    assert by_key(page.selectbox, "bar_lr_").value == 0.1
    assert by_key(page.number_input, "training_", "_lr_free").value == 0.1  # the Training tab follows
    assert not page.button(key="app_undo").disabled and decode(page.query_params["e"]) == current(page)
    # a new rate reruns only the parts that show it (AppTest then holds only those): a page run
    page.run()
    assert by_key(page.selectbox, "bar_lr_").value == 0.1
    by_key(page.selectbox, "bar_", "_optimizer").set_value("sgd").run()
    assert current(page)["training"] == {**PLAYGROUND["training"], "lr": 0.1, "optimizer": "sgd"}
    assert by_key(page.selectbox, "training_", "_optimizer").value == "sgd"
    assert by_key(page.selectbox, "bar_", "_reg_rate").disabled  # no regularization: no rate for it
    by_key(page.selectbox, "bar_", "_regularization").set_value("l2").run()
    assert current(page)["training"]["regularization"] == "l2" and not by_key(page.selectbox, "bar_", "_reg_rate").disabled
    by_key(page.selectbox, "bar_", "_act").set_value("ReLU").run()  # every hidden layer's activation
    assert [n["type"] for n in current(page)["model"]["nodes"] if n["type"] != "Linear"] == ["ReLU", "ReLU"]


def test_a_rate_typed_back_to_an_earlier_value_gets_fresh_widgets(page):
    open_tab(page, "Training")
    first = by_key(page.number_input, "training_", "_lr_free").key
    by_key(page.number_input, "training_", "_lr_free").set_value(0.05).run()
    by_key(page.number_input, "training_", "_lr_free").set_value(PLAYGROUND["training"]["lr"]).run()
    assert current(page)["training"]["lr"] == PLAYGROUND["training"]["lr"]
    # the same setting again, but not the same widgets: a browser that held the first ones could
    # keep their last value and take the next typed rate for no change
    assert by_key(page.number_input, "training_", "_lr_free").key != first
    by_key(page.number_input, "training_", "_lr_free").set_value(0.05).run()
    assert current(page)["training"]["lr"] == 0.05


def test_deleting_the_selected_node_reconnects_its_neighbours(page):
    open_editor(page)
    by_key(page.selectbox, "builder_pick").set_value("a2").run()
    delete = [b for b in page.button if (b.key or "").endswith("_a2_delete")]
    assert len(delete) == 1
    delete[0].click().run()
    assert not page.exception
    assert "a2" not in node_ids(page)
    assert analyze(current(page)["model"]).ok


def widths(page: AppTest) -> list[int]:
    return [n["params"]["out_features"] for n in current(page)["model"]["nodes"] if n["type"] == "Linear"]


def test_quick_mlp_plus_adds_a_neuron_to_the_first_hidden_layer(page):
    by_key(page.button, "mlp_", "_plus_0").click().run()
    assert widths(page) == [5, 2, 1]


def test_the_row_above_the_network_sets_layers_and_widths(page):
    assert [w.value for w in page.number_input if (w.key or "").startswith("mlp_row_")] == [4, 2]
    by_key(page.number_input, "mlp_row_", "_width_1").set_value(6).run()
    assert not page.exception, failure(page)
    assert widths(page) == [4, 6, 1]
    by_key(page.button, "mlp_row_", "_add").click().run()
    assert len(widths(page)) == 4
    by_key(page.button, "mlp_row_", "_remove").click().run()
    by_key(page.button, "mlp_row_", "_remove").click().run()
    assert widths(page) == [4, 1]
    assert [w.value for w in page.number_input if (w.key or "").startswith("mlp_row_")] == [4]


def test_a_dataset_or_features_picked_in_the_data_column_refit_the_networks_ends(page):
    """As in TensorFlow Playground, a click on a dataset or a feature never turns Train off: three
    classes give three outputs, a feature more an input more; one Undo takes back the whole click."""
    by_key(page.selectbox, "data_", "_dataset").set_value("blobs").run()
    assert not page.exception, failure(page)
    assert widths(page) == [4, 2, 3] and current(page)["training"]["loss"] == "cross_entropy"
    assert not page.button(key="run_train").disabled and not page.warning
    features = by_key(page.button_group, "data_", "_features")
    features.set_value([*features.value, FEATURE_LABELS["x1_sq"]]).run()
    assert not page.exception, failure(page)
    assert current(page)["model"]["input"]["shape"] == [3] and current(page)["data"]["features"] == ["x1", "x2", "x1_sq"]
    assert not page.button(key="run_train").disabled and not page.warning
    page.button(key="app_undo").click().run()
    assert current(page)["model"]["input"]["shape"] == [2] and widths(page) == [4, 2, 3]
    page.button(key="app_undo").click().run()
    assert current(page) == PLAYGROUND


def test_data_the_model_cannot_take_shows_its_own_picture_and_the_presets_made_for_it(page):
    assert live_frames(page) and not [c for c in page.get("plotly_chart") if c.key == "run_data_preview"]
    by_key(page.selectbox, "data_", "_dataset").set_value("digits").run()  # images into a 2-input stack
    assert not page.exception, failure(page)
    assert page.button(key="run_train_disabled").disabled and "digits" in page.warning[0].value
    assert not live_frames(page)  # the circle's points would stand under the digits' name
    (shown,) = [c for c in page.get("plotly_chart") if c.key == "run_data_preview"]
    assert json.loads(shown.proto.spec)["data"][0]["type"] == "heatmap"  # the digits themselves
    offered = [b for b in page.button if (b.key or "").startswith("gallery_offer_")]
    assert [b.key for b in offered] == ["gallery_offer_cnn_digits", "gallery_offer_autoencoder_digits",
                                        "gallery_offer_vae_digits"]  # the way on: presets made for it
    page.button(key="app_undo").click().run()
    assert live_frames(page) and not page.warning
    assert not [b for b in page.button if (b.key or "").startswith("gallery_offer_")]
    by_key(page.selectbox, "data_", "_dataset").set_value("sine").run()
    page.button(key="gallery_offer_rnn_sine").click().run()
    assert not page.exception, failure(page)
    assert current(page) == json.loads((ROOT / "presets" / "rnn_sine.json").read_text())
    assert not page.warning and live_frames(page)


def test_your_own_csv_before_its_file_asks_for_the_file_not_for_a_target(page):
    by_key(page.selectbox, "data_", "_dataset").set_value("csv").run()
    assert not page.exception, failure(page)
    assert page.button(key="run_train_disabled").disabled and not page.warning and not page.error
    assert [i.value for i in page.info] == [UPLOAD_FIRST, UPLOAD_FIRST]  # the data column and the live area


def test_an_invalid_edit_turns_train_off_says_why_and_keeps_the_model(page):
    open_editor(page)
    by_key(page.selectbox, "palette_type").set_value("Conv2d")
    by_key(page.button, "palette_add").click().run()
    assert not page.exception
    conv = [n for n in current(page)["model"]["nodes"] if n["type"] == "Conv2d"]
    assert len(conv) == 1
    assert page.button(key="run_train_disabled").disabled
    warning = " ".join(w.value for w in page.warning)
    assert "Train is off" in warning and conv[0]["id"] in warning
    assert any(conv[0]["id"] in e.value or "Conv2d" in e.value for e in page.error)  # shown on the node
    page.button(key="app_undo").click().run()
    assert current(page) == PLAYGROUND
    assert not by_key(page.button, "run_train").disabled


def test_a_shared_link_restores_the_experiment():
    page = open_page(e=encode(SPIRAL))
    assert current(page) == SPIRAL
    assert by_key(page.selectbox, "data_", "_dataset").value == SPIRAL["data"]["dataset"]


def test_a_damaged_link_says_so_and_opens_the_default():
    page = open_page(e="not-a-real-experiment")
    assert current(page) == PLAYGROUND
    assert any("link could not be opened" in e.value for e in page.error)


def test_a_bad_upload_shows_its_problems_and_keeps_the_current_work(page):
    assert not page.file_uploader  # the Experiment file tab is closed: not drawn
    open_tab(page, "Experiment file")
    by_key(page.file_uploader, "share_upload").set_value(("broken.json", b"{ this is not json", "application/json")).run()
    assert not page.exception
    assert current(page) == PLAYGROUND
    assert any("cannot be opened" in e.value and "broken.json" in e.value for e in page.error)


def test_a_good_upload_loads_after_confirmation(page):
    open_tab(page, "Experiment file")
    by_key(page.file_uploader, "share_upload").set_value(("spiral.json", json.dumps(SPIRAL).encode(), "application/json")).run()
    assert current(page) == PLAYGROUND  # nothing replaced until the user says so
    by_key(page.button, "share_load").click().run()
    assert current(page) == SPIRAL


def test_classroom_flags_hide_sections():
    page = open_page(hide="data,training,share")
    labels = [s.label for s in page.selectbox]
    assert "Dataset" not in labels and "optimizer" not in labels and "learning rate" not in labels
    assert [t.label for t in page.tabs] == ["Model", "Inside", "Summary", "Export", "Run", "Runs", "Race"]
    assert not [c for c in page.get("component_instance") if c.key == "share_copy_link"]
    assert not page.get("download_button")
    assert page.button(key="run_train")  # the run controls stay for the demo


def test_the_gallery_searches_and_loads_a_preset_undoably(page):
    page.button(key="gallery_open").click().run()
    assert page.button(key="gallery_load_lstm_sine")  # every preset has a card
    page.text_input(key="gallery_query").set_value("sine forget").run()  # words anywhere: title, text, layers
    loads = [b.key for b in page.button if (b.key or "").startswith("gallery_load_")]
    assert loads == ["gallery_load_lstm_sine"]
    page.button(key="gallery_load_lstm_sine").click().run()
    assert not page.exception
    assert current(page) == json.loads((ROOT / "presets" / "lstm_sine.json").read_text())
    assert decode(page.query_params["e"]) == current(page)  # the URL follows the loaded preset
    page.button(key="app_undo").click().run()
    assert current(page) == PLAYGROUND


# -- runs that follow the edits ---------------------------------------------------------------


def tiny(epochs: int = 3) -> dict:
    """The default experiment on 40 points for a few epochs: an epoch takes milliseconds."""
    raw = copy.deepcopy(PLAYGROUND)
    raw["data"]["n_samples"] = 40
    raw["training"].update({"epochs": epochs, "device": "cpu"})
    return raw


def playground_page():
    """The playground as app.py runs it, noting this session's run holder for the test to read."""
    import streamlit as st

    from components import playground, run_panel

    try:
        playground.show()
    finally:
        st.session_state.run_holder = run_panel._holder()


def open_run_page(raw: dict) -> AppTest:
    app = AppTest.from_function(playground_page, default_timeout=60)
    app.query_params["e"] = encode(raw)
    app.run()
    assert not app.exception, failure(app)
    return app


def trainer(app: AppTest):
    return app.session_state["run_holder"]["trainer"]


def wait_until(app: AppTest, condition, timeout: float = 30.0):
    """Poll the session's trainer until `condition(snapshot)` holds, then run the page again."""
    return run_when(app, trainer, condition, timeout)


def state_shown(app: AppTest) -> str:
    return reading(app, "live_charts")["caption"].split(" · ")[0]


def test_an_edit_starts_a_new_run_and_undo_brings_the_old_run_back():
    app = open_run_page(tiny(epochs=3))
    app.button(key="run_step").click().run()
    wait_until(app, lambda s: s.state == PAUSED)
    old = trainer(app)
    assert old.snapshot(visuals=False).epoch == 1 and state_shown(app) == STATES[PAUSED]

    by_key(app.button, "mlp_", "_plus_0").click().run()  # an edit of the model: a new run, at once
    assert not app.exception, failure(app)
    assert not app.error, [e.value for e in app.error]  # no panel skipped
    new = trainer(app)
    assert new is not old and new.state == IDLE and new.experiment.model.nodes != old.experiment.model.nodes
    assert metrics(app)["Epoch"] == "0 / 3" and state_shown(app) == STATES[IDLE]
    assert app.button(key="run_train").label == "Train"
    assert not [b for b in app.button if b.key == "run_reset_new"] and not app.info  # no notice to act on
    assert any("Undo" in t.value for t in app.toast)
    assert old.snapshot(visuals=False).state == PAUSED  # set aside, kept as it was

    app.button(key="app_undo").click().run()  # back to the old setup: its run, paused where it was
    assert not app.exception, failure(app)
    assert trainer(app) is old and current(app)["training"]["epochs"] == 3
    assert metrics(app)["Epoch"] == "1 / 3" and state_shown(app) == STATES[PAUSED]
    assert app.button(key="run_train").label == "Resume" and app.button(key="app_redo")
    app.button(key="run_step").click().run()  # and it goes on from there
    assert wait_until(app, lambda s: s.state == PAUSED and s.epoch >= 2).epoch == 2


def test_a_run_at_its_epoch_budget_goes_on_with_train():
    app = open_run_page(tiny(epochs=2))
    app.button(key="run_train").click().run()
    wait_until(app, lambda s: s.state == FINISHED)
    assert state_shown(app) == STATES[FINISHED] and app.button(key="run_train").label == "Go on"
    assert "Go on trains on from here" in app.button(key="run_train").help
    assert not [c for c in app.caption if "budget" in c.value]  # no line pushes the pictures down as the run ends
    same = trainer(app)
    app.button(key="run_step").click().run()
    assert wait_until(app, lambda s: s.state == PAUSED).epoch == 3 and trainer(app) is same


def test_a_pending_click_is_applied_by_the_next_page_run():
    app = open_run_page(tiny(epochs=3))
    app.session_state["run_pending"] = "start"  # a Train click kept while an edit was drawn
    app.run()
    assert not app.exception, failure(app)
    assert "run_pending" not in app.session_state
    snapshot = trainer(app).snapshot(visuals=False)
    assert snapshot.state in (RUNNING, WAITING, FINISHED) or snapshot.epoch > 0
    assert wait_until(app, lambda s: s.state == FINISHED).epoch == 3


def test_a_click_made_while_an_edit_is_drawn_goes_to_the_new_setups_run():
    app = open_run_page(tiny(epochs=3))
    old = trainer(app)
    edited = tiny(epochs=4)
    # the edit is committed and its page run has not reached the run panel when Step arrives
    app.session_state["workspace_current"] = edited
    app.button(key="run_step").click().run()
    assert not app.exception, failure(app)
    snapshot = wait_until(app, lambda s: s.state == PAUSED)
    assert trainer(app) is not old and (snapshot.epoch, snapshot.epochs) == (1, 4)
    assert old.snapshot(visuals=False).epoch == 0  # the old setup's run got no step
    assert "run_pending" not in app.session_state


@pytest.mark.parametrize("control, ended", [("run_train", FINISHED), ("run_step", PAUSED)])
def test_a_click_that_comes_with_a_setting_change_trains_the_changed_setup(control, ended):
    """A setting changed and Train clicked at once (the click arrives while the page is still
    applying the change): the click reaches the page before the change does, and used to start
    the old setup's run, which the change then set aside: the new setup sat at epoch 0."""
    app = open_run_page(tiny(epochs=3))
    by_key(app.selectbox, "bar_", "_act").set_value("ReLU")  # both in one page run, as the browser sends them
    app.button(key=control).click().run()
    assert not app.exception, failure(app)
    snapshot = wait_until(app, lambda s: s.state == ended)
    activations = [n.type for n in trainer(app).experiment.model.nodes if n.type in ("Tanh", "ReLU")]
    assert activations == ["ReLU", "ReLU"], "the run is the changed setup's"
    assert snapshot.epoch == (3 if ended == FINISHED else 1)
    assert app.button(key="run_train").label == ("Go on" if ended == FINISHED else "Resume")
    assert "run_pending" not in app.session_state
