"""The data and training panels, each run alone as a page whose host commits what the panel
returns (as the playground does), so a test sees both the returned edit and the next view."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from components import data_panel
from components.dataset_picker import THUMBNAILS
from engine.data import check_data, make_dataset
from engine.data.planar import FEATURE_LABELS
from engine.training.config import FIELDS, LOSSES, OPTIMIZERS
from tests.components.harness import by_key, failure, figures, page, pick_thumbnail, start, thumbnails
from tests.conftest import ROOT

PLAYGROUND = json.loads((ROOT / "presets" / "playground.json").read_text())


def data_page(initial, part="show"):
    """`part`: "show" (the full controls with the preview), "compact" (the Playground's data
    column) or "details" (the Data tab's sample count and preview)."""
    import streamlit as st

    from components import data_panel
    from components.workspace import key_of

    st.session_state.setdefault("data", initial)
    st.session_state.setdefault("returned", [])
    version = key_of(st.session_state.data)
    if part == "details":
        edited = data_panel.details(st.session_state.data, version)
    else:
        edited = data_panel.show(st.session_state.data, version, compact=part == "compact")
    if edited is not None:
        st.session_state.returned.append(edited)
        st.session_state.data = edited
        st.rerun()


def training_page(initial):
    import streamlit as st

    from components import training_panel
    from components.workspace import key_of

    st.session_state.setdefault("training", initial)
    st.session_state.setdefault("returned", [])
    edited = training_panel.show(st.session_state.training, key_of(st.session_state.training))
    if edited is not None:
        st.session_state.returned.append(edited)
        st.session_state.training = edited
        st.rerun()


def returned(app) -> list[dict]:
    return app.session_state["returned"]


def dataset_of(data: dict):
    config, info, problems = check_data(data)
    assert not problems, problems
    return make_dataset(config), info


# -- data_panel ------------------------------------------------------------------------------


def test_the_data_panel_previews_the_points_and_counts_them():
    data = PLAYGROUND["data"]
    app = start(data_page, data)
    assert returned(app) == []  # showing the panel changes nothing
    assert app.selectbox[0].value == "circle" and "2-D classes · circle" in app.selectbox[0].options
    dataset, info = dataset_of(data)
    drawn = figures(app)
    assert set(drawn) == {"data_preview"} and set(thumbnails(app)) == {"data_thumbnails_circle"}
    (points,) = drawn["data_preview"]["data"]
    assert np.allclose(points["x"], dataset.points_train[:, 0]) and np.allclose(points["y"], dataset.points_train[:, 1])
    assert np.array_equal(points["marker"]["color"], dataset.y_train.numpy())
    assert any(c.value.startswith(f"{len(dataset.x_train)} training and {len(dataset.x_test)} test samples · "
                                  f"{info.task}") for c in app.caption)


def test_picking_another_dataset_returns_it_keeping_noise_split_and_seed():
    data = {**PLAYGROUND["data"], "noise": 0.1, "seed": 4}
    app = start(data_page, data)
    app.selectbox[0].set_value("xor").run()
    assert not app.exception, failure(app)
    assert returned(app) == [{"dataset": "xor", "noise": 0.1, "train_fraction": 0.5, "seed": 4}]
    dataset, _ = dataset_of(returned(app)[0])
    drawn = figures(app)
    assert np.allclose(drawn["data_preview"]["data"][0]["x"], dataset.points_train[:, 0])  # the new data is drawn
    assert set(thumbnails(app)) == {"data_thumbnails_xor"}  # framed anew, with no click


def test_noise_samples_and_regenerate_edit_the_data_section():
    data = PLAYGROUND["data"]
    app = start(data_page, data)
    by_key(app.slider, "data_", "_noise").set_value(0.25).run()
    assert returned(app)[-1] == {**data, "noise": 0.25}
    by_key(app.number_input, "data_", "_n_samples").set_value(200).run()
    assert returned(app)[-1] == {**data, "noise": 0.25, "n_samples": 200}
    before = figures(app)["data_preview"]["data"][0]["x"]
    by_key(app.button, "data_", "_regenerate").click().run()
    assert returned(app)[-1] == {**data, "noise": 0.25, "n_samples": 200, "seed": 1}
    after = figures(app)["data_preview"]["data"][0]["x"]
    assert len(after) == 100 and not np.allclose(before, after)  # new random points


def test_the_thumbnails_show_each_planar_dataset_and_frame_the_current_one():
    data = {**PLAYGROUND["data"], "dataset": "xor"}
    app = start(data_page, data)
    picker = thumbnails(app)["data_thumbnails_xor"]
    assert [c["name"] for c in picker["cells"]] == list(THUMBNAILS) and picker["selected"] == "xor"
    for cell in picker["cells"]:
        dataset, info = dataset_of({"dataset": cell["name"], "n_samples": 160})
        points = np.asarray(cell["points"])
        assert len(points) == len(cell["colours"]) == len(dataset.points_train)
        assert points.min() >= 0 and points.max() <= 100  # the dataset's domain as a 0-100 square
        if info.is_classification:  # one colour a class, as on the boundary
            classes = dataset.y_train.numpy().ravel()
            assert len(set(cell["colours"])) == len(set(classes.tolist()))
    digits = start(data_page, {"dataset": "digits", "n_samples": 60})
    assert thumbnails(digits)["data_thumbnails_digits"]["selected"] == "digits"  # not a thumbnail: none framed


def test_clicking_a_thumbnail_picks_its_dataset_keeping_noise_split_and_seed():
    data = {**PLAYGROUND["data"], "noise": 0.1, "seed": 4}
    app = start(data_page, data)
    pick_thumbnail(app, "data_thumbnails_circle", "spiral")
    assert not app.exception, failure(app)
    assert returned(app) == [{"dataset": "spiral", "noise": 0.1, "train_fraction": 0.5, "seed": 4}]
    assert by_key(app.selectbox, "data_", "_dataset").value == "spiral"
    assert set(thumbnails(app)) == {"data_thumbnails_spiral"}
    pick_thumbnail(app, "data_thumbnails_spiral", "spiral")  # the current one again: no edit
    pick_thumbnail(app, "data_thumbnails_spiral", "nonsense")  # a value no thumbnail sends: nothing
    assert len(returned(app)) == 1 and not app.exception


def test_the_compact_data_column_has_no_sample_count_and_no_preview():
    data = PLAYGROUND["data"]
    app = start(data_page, data, "compact")
    assert not figures(app) and set(thumbnails(app)) == {"data_thumbnails_circle"}
    assert not [w for w in app.number_input if (w.key or "").endswith("_n_samples")]
    assert not any("test samples" in c.value for c in app.caption)
    by_key(app.slider, "data_", "_noise").set_value(0.25).run()  # the rest edits as before
    assert returned(app) == [{**data, "noise": 0.25}]
    broken = start(data_page, {"dataset": "circle", "noise": 0.9}, "compact")
    assert [e.value for e in broken.error] == [str(p) for p in check_data({"dataset": "circle", "noise": 0.9})[2]]


def test_the_data_details_count_the_samples_and_preview_them():
    data = PLAYGROUND["data"]
    app = start(data_page, data, "details")
    assert returned(app) == []
    dataset, _ = dataset_of(data)
    assert set(figures(app)) == {"data_preview"}  # no thumbnails, no dataset picker
    assert np.allclose(figures(app)["data_preview"]["data"][0]["x"], dataset.points_train[:, 0])
    assert any(c.value.startswith(f"{len(dataset.x_train)} training and {len(dataset.x_test)} test samples")
               for c in app.caption)
    assert not app.selectbox and not app.slider
    by_key(app.number_input, "data_", "_details_n_samples").set_value(200).run()
    assert not app.exception, failure(app)
    assert returned(app) == [{**data, "n_samples": 200}]
    assert len(figures(app)["data_preview"]["data"][0]["x"]) == 100  # 200 points, half to train


def test_features_are_picked_as_pills_and_kept_in_schema_order():
    data = PLAYGROUND["data"]
    app = start(data_page, data)
    pills = app.button_group[0]
    assert pills.options == list(FEATURE_LABELS.values())
    pills.set_value([FEATURE_LABELS["x1x2"], FEATURE_LABELS["x1"]]).run()
    assert returned(app)[-1]["features"] == ["x1", "x1x2"]


@pytest.mark.parametrize(("name", "traces"), [("digits", 10), ("sine", 2), ("parity", 1)])
def test_each_kind_of_data_gets_its_preview(name, traces):
    data = {"dataset": name, "n_samples": 60}
    app = start(data_page, data)
    assert not app.error
    preview = figures(app)["data_preview"]
    assert len(preview["data"]) == traces
    dataset, _ = dataset_of(data)
    if name == "digits":
        first = preview["data"][0]["z"]
        assert np.allclose(np.asarray(first, dtype=float), dataset.x_train[0, 0].numpy()[::-1])
    if name == "sine":
        assert len(preview["data"][0]["y"]) == len(dataset.y_train)


def test_an_invalid_data_section_shows_its_problems_instead_of_a_preview():
    data = {"dataset": "circle", "noise": 0.9}
    problems = check_data(data)[2]
    app = start(data_page, data)
    assert [e.value for e in app.error] == [str(p) for p in problems]
    assert not figures(app) and set(thumbnails(app)) == {"data_thumbnails_circle"}  # the picker, no preview


def test_a_bad_csv_upload_shows_the_row_at_fault():
    rows = "x1,x2,y\n1,2,a\n3,oops,b\n" + "".join(f"{i},{i},{'ab'[i % 2]}\n" for i in range(10))
    app = start(data_page, {"dataset": "csv", "target": "y"})
    app.file_uploader[0].set_value(("bad.csv", rows.encode(), "text/csv")).run()
    assert not app.exception, failure(app)
    data = returned(app)[-1]
    assert data["text"] == rows and "path" not in data  # a small table travels inside the experiment
    assert any("column 'x2' is not a number ('oops') in row 2" in e.value for e in app.error), [e.value for e in app.error]
    assert "data_preview" not in figures(app)


def test_an_unusable_upload_is_refused_before_anything_is_kept(tmp_path, monkeypatch):
    from engine.data import table
    from engine.data.uploads import UploadStore

    monkeypatch.setattr("components.data_panel.STORE", UploadStore(tmp_path))
    app = start(data_page, {"dataset": "csv", "target": "y"})
    app.file_uploader[0].set_value(("two.csv", b"x,y\n1,a\n2,b\n", "text/csv")).run()
    assert not app.exception, failure(app)
    assert returned(app) == [] and list(tmp_path.iterdir()) == []
    assert any("two.csv cannot be used: the file has 2 data rows; it needs at least 10" in e.value for e in app.error)
    app.file_uploader[0].set_value(("binary.csv", b"\xff\xfe\x00\x01" * 100, "text/csv")).run()
    assert returned(app) == [] and list(tmp_path.iterdir()) == []
    assert table.MIN_ROWS == 10


def test_a_large_upload_is_kept_by_its_hash_and_picks_the_last_column(tmp_path, monkeypatch):
    from engine.data import table
    from engine.data.uploads import UploadStore, digest

    store = UploadStore(tmp_path)
    monkeypatch.setattr("components.data_panel.STORE", store)
    monkeypatch.setattr(table, "STORE", store)
    rng = np.random.default_rng(0)
    content = ("a,b,kind\n" + "".join(f"{x:.6f},{y:.6f},{'ab'[int(x > 0)]}\n" for x, y in rng.normal(size=(3000, 2)))).encode()
    app = start(data_page, {"dataset": "csv"})
    app.file_uploader[0].set_value(("big.csv", content, "text/csv")).run()
    assert not app.exception, failure(app)
    data = returned(app)[-1]
    assert data["sha256"] == digest(content) and "text" not in data and data["target"] == "kind"
    assert (tmp_path / f"{digest(content)}.csv").read_bytes() == content
    assert not app.error and figures(app)["data_preview"]
    assert by_key(app.selectbox, "data_", "_target").options == ["a", "b", "kind"]


def test_a_good_csv_upload_is_previewed():
    rows = "\n".join(f"{i % 7},{(i * 3) % 5},{'ab'[i % 2]}" for i in range(40))
    app = start(data_page, {"dataset": "csv", "target": "label"})
    app.file_uploader[0].set_value(("mine.csv", f"f1,f2,label\n{rows}\n".encode(), "text/csv")).run()
    assert not app.exception, failure(app)
    assert not app.error
    dataset, info = dataset_of(returned(app)[-1])
    assert info.task == "classification" and info.class_names == ("a", "b")
    assert any(c.value.startswith(f"{len(dataset.x_train)} training and {len(dataset.x_test)} test samples")
               for c in app.caption)
    assert len(figures(app)["data_preview"]["data"][0]["x"]) == len(dataset.x_train)


def test_picking_your_own_csv_asks_for_a_file_first():
    """Before a table is given its fields mean nothing: the panel asks for the file (it used to
    show an empty target box and 'target must be a non-empty text')."""
    app = start(data_page, PLAYGROUND["data"])
    app.selectbox[0].set_value("csv").run()
    assert not app.exception, failure(app)
    assert returned(app)[0]["dataset"] == "csv"
    assert [i.value for i in app.info] == [data_panel.UPLOAD_FIRST] and not app.error
    assert not [w for w in app.text_input if "_target" in (w.key or "")] and len(app.file_uploader) == 1
    rows = "\n".join(f"{i},{i % 3},{'ab'[i % 2]}" for i in range(20))
    app.file_uploader[0].set_value(("mine.csv", f"f1,f2,kind\n{rows}\n".encode(), "text/csv")).run()
    assert returned(app)[-1]["target"] == "kind" and not app.info  # the last column, and the fields are back
    assert any(c.value.startswith("In use: a table of 3 columns (f1, f2, kind)") for c in app.caption)
    assert by_key(app.selectbox, "data_", "_target").value == "kind"


def test_an_out_of_range_sample_count_from_a_file_is_shown_not_a_crash():
    """BUG: a data section with n_samples below its minimum (from a file or link) makes
    st.number_input raise StreamlitValueBelowMinError, so the whole Data panel is replaced by the
    guard's error instead of showing the problem next to a widget the user can fix."""
    data = {"dataset": "circle", "n_samples": 5}
    app = page(data_page, data)
    assert not app.exception, failure(app)
    assert any("n_samples" in e.value for e in app.error)


# -- training_panel --------------------------------------------------------------------------


def test_the_training_panel_shows_defaults_and_changes_nothing_by_itself():
    app = start(training_page, {})
    assert returned(app) == []
    optimizer = by_key(app.selectbox, "training_", "_optimizer")
    assert optimizer.options == list(OPTIMIZERS) and optimizer.value == FIELDS["optimizer"].default
    assert by_key(app.selectbox, "training_", "_loss").options == ["auto", *LOSSES]
    assert by_key(app.select_slider, "training_", "_lr_ladder").value == FIELDS["lr"].default
    assert by_key(app.number_input, "training_", "_epochs").min == FIELDS["epochs"].low


def test_changing_the_optimizer_returns_it_and_keeps_the_rest():
    training = copy.deepcopy(PLAYGROUND["training"])
    app = start(training_page, training)
    by_key(app.selectbox, "training_", "_optimizer").set_value("sgd").run()
    assert not app.exception, failure(app)
    assert returned(app) == [{**training, "optimizer": "sgd"}]
    assert by_key(app.selectbox, "training_", "_optimizer").value == "sgd"


def test_the_learning_rate_from_the_ladder_or_typed():
    training = copy.deepcopy(PLAYGROUND["training"])
    app = start(training_page, training)
    by_key(app.select_slider, "training_", "_lr_ladder").set_value(0.1).run()
    assert returned(app)[-1] == {**training, "lr": 0.1}
    by_key(app.number_input, "training_", "_lr_free").set_value(0.05).run()
    assert returned(app)[-1] == {**training, "lr": 0.05}
    assert by_key(app.select_slider, "training_", "_lr_ladder").value == 0.05  # a typed rate joins the ladder


def live_training_page(initial):
    import streamlit as st

    from components import training_panel
    from components.workspace import key_of

    st.session_state.setdefault("training", initial)
    st.session_state.setdefault("live", [])
    st.session_state.setdefault("page_runs", 0)
    st.session_state.page_runs += 1

    def changed(rate):  # as the page does: apply it, then rerun only the rate inputs
        st.session_state.live.append(rate)
        st.session_state.training = {**st.session_state.training, "lr": rate}
        st.rerun(training_panel.RATE_FRAGMENT)

    def now():
        return st.session_state.training["lr"], key_of(st.session_state.training)

    st.session_state.returned = training_panel.show(st.session_state.training, key_of(st.session_state.training),
                                                    training_panel.LiveRate(now, changed))


def test_a_new_learning_rate_applies_from_the_callback_and_reruns_only_the_rate_inputs():
    training = copy.deepcopy(PLAYGROUND["training"])
    app = start(live_training_page, training)
    by_key(app.number_input, "training_", "_lr_free").set_value(0.05).run()
    assert not app.exception, failure(app)
    assert app.session_state["live"] == [0.05] and app.session_state["page_runs"] == 1  # the page did not run
    assert by_key(app.select_slider, "training_", "_lr_ladder").value == 0.05  # new inputs show it
    by_key(app.select_slider, "training_", "_lr_ladder").set_value(0.3).run()
    assert app.session_state["live"] == [0.05, 0.3] and app.session_state["page_runs"] == 1
    assert by_key(app.number_input, "training_", "_lr_free").value == 0.3
    app.run()  # a page run keeps the same two inputs and returns nothing: the rate is applied
    assert by_key(app.number_input, "training_", "_lr_free").value == 0.3 and app.session_state["returned"] is None
    by_key(app.selectbox, "training_", "_optimizer").set_value("sgd").run()  # anything else is returned
    assert app.session_state["returned"] == {**training, "lr": 0.3, "optimizer": "sgd"}


def test_full_batch_batch_size_and_the_settings_under_more():
    training = copy.deepcopy(PLAYGROUND["training"])
    app = start(training_page, training)
    by_key(app.checkbox, "training_", "_full").check().run()
    assert returned(app)[-1]["batch_size"] == "full"
    by_key(app.checkbox, "training_", "_full").uncheck().run()
    by_key(app.number_input, "training_", "_batch_size").set_value(32).run()
    assert returned(app)[-1]["batch_size"] == 32
    assert not [w for w in app.selectbox if w.key.endswith("_lr_schedule")]  # folded: not drawn
    app.session_state["training_more_open"] = True  # what unfolding "more" does
    app.run()
    by_key(app.selectbox, "training_", "_lr_schedule").set_value("cosine").run()
    by_key(app.number_input, "training_", "_weight_decay").set_value(0.01).run()
    last = returned(app)[-1]
    assert (last["lr_schedule"], last["weight_decay"], last["batch_size"]) == ("cosine", 0.01, 32)
    assert {k: v for k, v in last.items() if k not in ("lr_schedule", "weight_decay", "batch_size")} == \
        {k: v for k, v in training.items() if k != "batch_size"}


def test_the_gan_settings_under_more_stay_automatic_until_set():
    training = copy.deepcopy(PLAYGROUND["training"])
    app = start(training_page, training)
    app.session_state["training_more_open"] = True
    app.run()
    by_key(app.number_input, "training_", "_discriminator_steps").set_value(2).run()
    last = returned(app)[-1]
    assert last["discriminator_steps"] == 2 and "generator_output" not in last and "discriminator_lr" not in last, \
        "an untouched empty box must not write an empty value"
    by_key(app.text_input, "training_", "_generator_output").input("fake").run()
    by_key(app.number_input, "training_", "_discriminator_lr").set_value(0.0005).run()
    last = returned(app)[-1]
    assert (last["generator_output"], last["discriminator_lr"]) == ("fake", 0.0005)
    by_key(app.text_input, "training_", "_generator_output").input("  ").run()
    assert returned(app)[-1]["generator_output"] is None  # emptied: not a GAN again


def test_a_tables_column_names_are_shown_as_text_not_markdown():
    app = start(data_page, {"dataset": "csv"})
    rows = "\n".join(f"{i},{i % 3},{'ab'[i % 2]}" for i in range(20))
    header = "![x](http://example.com/t.png),*b*,kind"
    app.file_uploader[0].set_value(("marks.csv", f"{header}\n{rows}\n".encode(), "text/csv")).run()
    (shown,) = [c.value for c in app.caption if c.value.startswith("In use:")]
    assert r"\!\[x\]\(http\://example\.com/t\.png\), \*b\*, kind" in shown and "![x](" not in shown
