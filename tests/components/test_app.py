"""The whole page as Streamlit runs it (AppTest runs the real app.py, no browser): loading, editing
the model, invalid edits turning Train off, the URL round trip and uploads."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from engine import analyze
from engine.share import decode, encode
from tests.conftest import ROOT

PLAYGROUND = json.loads((ROOT / "presets" / "playground.json").read_text())
SPIRAL = json.loads((ROOT / "presets" / "spiral.json").read_text())


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


def test_page_opens_on_the_default_experiment_and_writes_it_into_the_url(page):
    assert page.title[0].value == "NeuroLoom"
    assert page.sidebar.button(key="gallery_open").label == "📚 Presets gallery"
    assert "Parameters" not in {m.label for m in page.metric}  # the summary is folded, so not drawn
    page.session_state["app_summary_open"] = True  # what unfolding it does
    page.run()
    metrics = {m.label: m.value for m in page.metric}
    assert metrics["Parameters"] == f"{analyze(PLAYGROUND['model']).total_params:,}"
    assert current(page) == PLAYGROUND
    assert decode(page.query_params["e"]) == PLAYGROUND
    assert not page.error
    assert not by_key(page.button, "run_train").disabled


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
    assert page.button(key="app_undo").disabled
    by_key(page.number_input, "training_", "_lr_free").set_value(0.05).run()
    assert not page.exception
    assert current(page)["training"] == {**PLAYGROUND["training"], "lr": 0.05}
    assert by_key(page.select_slider, "training_", "_lr_ladder").value == 0.05  # both inputs redrawn, once each
    assert by_key(page.number_input, "training_", "_lr_free").value == 0.05
    assert not page.button(key="app_undo").disabled  # the header reran with the rate inputs
    assert decode(page.query_params["e"]) == current(page)
    page.button(key="app_undo").click().run()
    assert current(page) == PLAYGROUND
    assert by_key(page.select_slider, "training_", "_lr_ladder").value == PLAYGROUND["training"]["lr"]


def test_a_rate_typed_back_to_an_earlier_value_gets_fresh_widgets(page):
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


def test_quick_mlp_plus_adds_a_neuron_to_the_first_hidden_layer(page):
    by_key(page.button, "mlp_", "_plus_0").click().run()
    widths = [n["params"]["out_features"] for n in current(page)["model"]["nodes"] if n["type"] == "Linear"]
    assert widths == [5, 2, 1]


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
    by_key(page.file_uploader, "share_upload").set_value(("broken.json", b"{ this is not json", "application/json")).run()
    assert not page.exception
    assert current(page) == PLAYGROUND
    assert any("cannot be opened" in e.value and "broken.json" in e.value for e in page.error)


def test_a_good_upload_loads_after_confirmation(page):
    by_key(page.file_uploader, "share_upload").set_value(("spiral.json", json.dumps(SPIRAL).encode(), "application/json")).run()
    assert current(page) == PLAYGROUND  # nothing replaced until the user says so
    by_key(page.button, "share_load").click().run()
    assert current(page) == SPIRAL


def test_classroom_flags_hide_sections():
    page = open_page(hide="data,training,share")
    labels = [s.label for s in page.selectbox]
    assert "Dataset" not in labels and "optimizer" not in labels
    assert not [u for u in page.file_uploader if u.key.startswith("share_upload")]
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
