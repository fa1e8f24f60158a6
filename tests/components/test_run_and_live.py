"""The run panel (Train / Pause / Step / Reset on a real background trainer), the live view drawn
from snapshots of real, briefly trained runs, and the shared chart helpers."""

from __future__ import annotations

import copy
import dataclasses
import json
import threading
import time

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.runtime.caching.cache_resource_api import clear_session_cache

from components.charts import DIVERGING, LEVELS, NEGATIVE, POSITIVE, levels, point_colours, preview
from components.live import feed, view
from components.live.reading import CURVE_POINTS, STATES, curve
from engine import load_experiment
from engine.data import check_data, make_dataset
from engine.experiment import check_experiment
from engine.training.trainer import ENDED, FINISHED, IDLE, PAUSED, RUNNING, Trainer
from engine.training.visuals import BOUNDARY_SIZE
from tests.components.harness import failure, figures, framed, metrics, reading, run_when, start, texts
from tests.conftest import ROOT

PLAYGROUND = json.loads((ROOT / "presets" / "playground.json").read_text())
SESSION = "test session id"  # AppTest's session id: the run panel's trainer is cached under it


HALF_SHADE = 1.001 / LEVELS  # half a shade on [-1, 1]: how far a sent heatmap value may be from the true one


def shades(heatmap: dict) -> np.ndarray:
    """A live heatmap's values back on [-1, 1] (they are sent as 256 shades)."""
    z = np.asarray(heatmap["z"], dtype=float)
    assert heatmap["zmin"] == 0 and heatmap["zmax"] == LEVELS
    return z / LEVELS * 2 - 1


def tiny(epochs: int = 3, **training) -> dict:
    """The playground's experiment on 40 points for a few epochs: an epoch takes milliseconds."""
    raw = copy.deepcopy(PLAYGROUND)
    raw["data"]["n_samples"] = 40
    raw["training"].update({"epochs": epochs, "device": "cpu", **training})
    return raw


# -- run_panel -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_trainer_left():
    """Every AppTest shares one session id, so the run panel's session-scoped trainer would
    outlive a test: drop it (which closes it) before and after each test."""
    clear_session_cache(SESSION)
    before = set(trainer_threads())
    yield
    clear_session_cache(SESSION)
    assert not set(trainer_threads()) - before, "a trainer thread outlived its page"


def trainer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "neuroloom-trainer" and t.is_alive()]


def run_page(initial):
    import streamlit as st

    from components import run_panel
    from engine.experiment import check_experiment

    raw = st.session_state.setdefault("raw", initial)
    experiment, problems = check_experiment(raw)
    run_panel.show(experiment, [str(p) for p in problems], raw)
    st.session_state.trainer = run_panel._holder()["trainer"]
    st.session_state.holder = run_panel._holder()


def trainer(app) -> Trainer:
    return app.session_state["trainer"]


def frame_args(app, key: str = "live_charts") -> dict:
    """Everything the live frame `key` was sent in this run (charts, reading, feed, state)."""
    frame = next(f for f in app.get("component_instance") if f.key == key)
    return json.loads(frame.proto.json_args)


def wait_until(app, condition, timeout: float = 20.0):
    """Poll the session's trainer until `condition(snapshot)` holds, then run the page again."""
    return run_when(app, trainer, condition, timeout)


def test_an_invalid_experiment_turns_train_off_and_says_why():
    raw = tiny()
    raw["model"]["nodes"].insert(2, {"id": "conv", "type": "Conv2d", "params": {"out_channels": 2, "kernel_size": 3}})
    raw["data"]["noise"] = 0.9
    _, problems = check_experiment(raw)
    assert len(problems) >= 2
    app = start(run_page, raw)
    assert app.button(key="run_train_disabled").disabled
    assert not [b for b in app.button if b.key in ("run_train", "run_step")]
    assert app.warning[0].value == (f"Train is off until the experiment is valid: {problems[0]}"
                                    f" (and {len(problems) - 1} more)")
    assert app.session_state["trainer"] is None


def test_an_experiment_without_data_asks_for_a_dataset():
    raw = tiny()
    del raw["data"]
    app = start(run_page, raw)
    assert "Pick a dataset" in app.info[0].value
    assert not app.button


def caption(app) -> str:
    """The live frame's reading caption: the run's state first, then speed, rate and device."""
    return reading(app, "live_charts")["caption"]


def test_step_trains_exactly_one_epoch_then_pauses():
    app = start(run_page, tiny(epochs=3))
    assert trainer(app).state == IDLE
    assert metrics(app)["Epoch"] == "0 / 3"
    assert caption(app).startswith(f"{STATES[IDLE]} · ")
    assert app.button(key="run_train").label == "Train"
    assert not app.button(key="run_step").disabled
    app.button(key="run_step").click().run()
    snapshot = wait_until(app, lambda s: s.state == PAUSED)
    assert snapshot.epoch == 1
    time.sleep(0.2)
    assert trainer(app).snapshot().epoch == 1  # and no more
    assert [h["epoch"] for h in trainer(app).history()] == [0, 1]
    assert metrics(app)["Epoch"] == "1 / 3"
    assert caption(app).startswith("paused · ")  # the state is in the frame's reading, not a line of its own
    assert frame_args(app)["state"] == PAUSED  # the frame asks for a page run when the run leaves it
    assert "⏸" not in texts(app).replace(caption(app), "")
    assert app.button(key="run_train").label == "Resume" and not app.button(key="run_step").disabled

    app.button(key="run_step").click().run()
    assert wait_until(app, lambda s: s.state == PAUSED and s.epoch >= 2).epoch == 2


def test_the_page_and_the_feed_draw_the_same_run_with_the_same_versions():
    app = start(run_page, tiny(epochs=3))
    app.button(key="run_step").click().run()
    wait_until(app, lambda s: s.state == PAUSED)
    holder = app.session_state["holder"]
    run, scene = holder["scene"]  # set by each run of the page: what the feed draws between them
    assert run == id(trainer(app)) and scene.node_types == {n.id: n.type for n in trainer(app).experiment.model.nodes}
    on_page = {c["name"]: c["version"] for c in frame_args(app)["charts"]}
    assert set(on_page) == {"boundary", "neurons"}
    from_feed = feed._read(holder, curve=True, pictures=True)
    # the same pictures, the same versions: the frame draws nothing again for the feed's copy
    assert {c.name: c.version for c in from_feed["charts"]} == on_page

    app.session_state["raw"] = tiny(epochs=4)  # a new run: the feed no longer draws the old one's scene
    app.run()
    assert not app.exception, failure(app)
    assert app.session_state["holder"]["scene"][0] == id(trainer(app))


def test_train_is_one_button_that_pauses_and_resumes_the_same_run():
    app = start(run_page, tiny(epochs=100_000))  # the budget is never reached here
    app.button(key="run_train").click().run()
    wait_until(app, lambda s: s.state == RUNNING and s.epoch >= 1)
    train = app.button(key="run_train")
    assert train.label == "Pause" and caption(app).startswith("training · ")
    assert frame_args(app)["state"] == RUNNING and frame_args(app)["feed"] is None  # no feed route in AppTest
    assert app.button(key="run_step").disabled  # one epoch at a time only from a stop
    train.click().run()
    paused = wait_until(app, lambda s: s.state == PAUSED)
    assert app.button(key="run_train").label == "Resume"
    same = trainer(app)
    app.button(key="run_train").click().run()
    wait_until(app, lambda s: s.state == RUNNING and s.epoch > paused.epoch)
    assert trainer(app) is same
    app.button(key="run_train").click().run()  # Pause again: no trainer thread outlives the test
    wait_until(app, lambda s: s.state == PAUSED)


def test_train_runs_to_the_budget_goes_on_from_there_and_reset_starts_over():
    app = start(run_page, tiny(epochs=3))
    app.button(key="run_train").click().run()
    assert not app.exception, failure(app)
    snapshot = wait_until(app, lambda s: s.state in ENDED)
    assert (snapshot.state, snapshot.epoch) == (FINISHED, 3)
    assert [h["epoch"] for h in trainer(app).history()] == [0, 1, 2, 3]
    assert "Reset starts over" in app.button(key="run_train").help and not [c for c in app.caption if "budget" in c.value]
    assert caption(app).startswith(f"{STATES[FINISHED]} · ")
    train = app.button(key="run_train")
    assert train.label == "Go on" and not train.disabled and not app.button(key="run_step").disabled
    assert metrics(app)["Train loss"] == f"{trainer(app).history()[-1]['train_loss']:.4f}"
    weights = trainer(app).weights()

    same = trainer(app)
    app.button(key="run_step").click().run()  # one more epoch, from the same weights
    snapshot = wait_until(app, lambda s: s.state == PAUSED)
    assert trainer(app) is same and snapshot.epoch == 4
    assert [h["epoch"] for h in same.history()] == [0, 1, 2, 3, 4]
    assert any(not np.allclose(np.asarray(weights[k]), np.asarray(v)) for k, v in same.weights().items())
    app.button(key="run_train").click().run()  # Resume: past the budget until paused
    wait_until(app, lambda s: s.state == RUNNING and s.epoch >= 5)
    assert "Epoch" in metrics(app)
    app.button(key="run_train").click().run()
    snapshot = wait_until(app, lambda s: s.state == PAUSED)
    assert [h["epoch"] for h in same.history()] == list(range(snapshot.epoch + 1))  # one run, no restart

    app.button(key="run_reset").click().run()
    assert trainer(app) is same and same.state == IDLE and same.history() == []
    assert metrics(app)["Epoch"] == "0 / 3" and app.button(key="run_train").label == "Train"
    assert not app.button(key="run_train").disabled


def test_a_new_learning_rate_applies_to_the_running_session():
    app = start(run_page, tiny())
    app.button(key="run_step").click().run()
    wait_until(app, lambda s: s.state == PAUSED)
    same = trainer(app)
    app.session_state["raw"] = tiny(lr=0.1)
    app.run()
    assert trainer(app) is same  # the run goes on, with the new rate from its next step
    app.button(key="run_step").click().run()
    snapshot = wait_until(app, lambda s: s.state == PAUSED and s.epoch >= 2)
    assert snapshot.epoch == 2 and snapshot.lr == pytest.approx(0.1)
    assert [h["lr"] for h in same.history()] == [pytest.approx(0.03)] * 2 + [pytest.approx(0.1)]
    assert "learning rate 0.1 " in texts(app)


def toasts(app) -> list[str]:
    return [t.value for t in app.toast]


def test_a_new_setup_starts_a_new_run_and_going_back_to_the_old_setup_brings_its_run_back():
    app = start(run_page, tiny(epochs=3))
    app.button(key="run_step").click().run()
    wait_until(app, lambda s: s.state == PAUSED)
    old = trainer(app)
    app.session_state["raw"] = tiny(epochs=5)  # an edit: a new run at once, no notice, no button
    app.run()
    assert not app.exception, failure(app)
    new = trainer(app)
    assert new is not old and new.state == IDLE and new.snapshot().epochs == 5
    assert metrics(app)["Epoch"] == "0 / 5" and app.button(key="run_train").label == "Train"
    assert not app.info and not [b for b in app.button if b.key == "run_reset_new"]
    assert any("new run" in t and "Undo" in t for t in toasts(app)), toasts(app)
    assert old.state == PAUSED and old.snapshot().epoch == 1  # set aside as it was, not closed
    app.button(key="run_step").click().run()  # the controls act on the new run
    assert wait_until(app, lambda s: s.state == PAUSED).epochs == 5
    assert new.snapshot().epoch == 1 and old.snapshot().epoch == 1

    app.session_state["raw"] = tiny(epochs=3)  # Undo: back to the old setup
    app.run()
    assert trainer(app) is old and old.state == PAUSED and old.snapshot().epoch == 1
    assert metrics(app)["Epoch"] == "1 / 3" and app.button(key="run_train").label == "Resume"
    assert any("back" in t and "paused" in t for t in toasts(app)), toasts(app)
    assert new.state == PAUSED  # and the run it replaced is set aside in turn (it had trained)
    app.session_state["raw"] = tiny(epochs=5)  # Redo: that one comes back
    app.run()
    assert trainer(app) is new and new.snapshot().epoch == 1


def test_undo_straight_after_an_edit_says_the_old_run_is_back():
    app = start(run_page, tiny(epochs=3))
    app.button(key="run_step").click().run()
    wait_until(app, lambda s: s.state == PAUSED)
    old = trainer(app)
    app.session_state["raw"] = tiny(epochs=5)
    app.run()
    app.session_state["raw"] = tiny(epochs=3)  # Undo before the new run trained at all
    app.run()
    assert not app.exception, failure(app)
    assert trainer(app) is old and old.snapshot().epoch == 1
    assert any("back" in t and "paused" in t for t in toasts(app)), toasts(app)


def test_changing_the_setup_while_idle_just_builds_a_new_trainer():
    app = start(run_page, tiny(epochs=3))
    old = trainer(app)
    app.session_state["raw"] = tiny(epochs=4)
    app.run()
    assert trainer(app) is not old and metrics(app)["Epoch"] == "0 / 4"
    assert not app.info and not toasts(app)  # nothing to bring back: no word about it
    app.button(key="run_step").click().run()  # the buttons act on the new trainer
    assert wait_until(app, lambda s: s.state == PAUSED).epochs == 4
    assert trainer(app).snapshot().epoch == 1 and old.snapshot().epoch == 0
    app.session_state["raw"] = tiny(epochs=3)  # back to the first setup: a fresh run, not the closed one
    app.run()
    assert trainer(app) is not old and trainer(app).state == IDLE


def test_a_click_kept_while_the_page_drew_an_edit_goes_to_the_next_runs_trainer():
    app = start(run_page, tiny(epochs=3))
    first = trainer(app)
    app.session_state["run_pending"] = "step"
    app.session_state["raw"] = tiny(epochs=4)  # the edit the click came during
    app.run()
    assert not app.exception, failure(app)
    assert "run_pending" not in app.session_state  # applied once
    snapshot = wait_until(app, lambda s: s.state == PAUSED)
    assert trainer(app) is not first and (snapshot.epoch, snapshot.epochs) == (1, 4)
    assert first.snapshot().epoch == 0
    app.session_state["run_pending"] = "start"
    app.run()
    assert "run_pending" not in app.session_state
    wait_until(app, lambda s: s.state == FINISHED)  # started: to its budget
    app.session_state["run_pending"] = "not an action"  # anything else is dropped, not called
    app.run()
    assert "run_pending" not in app.session_state and trainer(app).state == FINISHED


def workspace_run_page():
    """The run panel on the workspace's experiment, as the playground runs it; while `cut_short`
    is set, a page run that stops before it: what a part's rerun that preempts the page's run
    leaves (the callbacks ran, nothing else)."""
    import streamlit as st

    from components import run_panel, workspace
    from engine.experiment import check_experiment

    if st.session_state.get("cut_short"):
        st.session_state.trainer = run_panel._holder()["trainer"]
        st.stop()
    workspace.start()
    raw = workspace.current()
    experiment, problems = check_experiment(raw)
    run_panel.show(experiment, [str(p) for p in problems], raw)
    st.session_state.trainer = run_panel._holder()["trainer"]


def test_a_control_click_made_while_an_edit_is_drawn_is_kept_for_the_new_setups_run():
    from streamlit.testing.v1 import AppTest

    from engine.share import encode

    app = AppTest.from_function(workspace_run_page, default_timeout=30)
    app.query_params["e"] = encode(tiny(epochs=3))
    app.run()
    assert not app.exception, failure(app)
    old = trainer(app)
    # the edit is committed, and its page run has not yet reached the run panel when Step comes
    app.session_state["workspace_current"] = tiny(epochs=4)
    app.button(key="run_step").click().run()
    assert not app.exception, failure(app)
    snapshot = wait_until(app, lambda s: s.state == PAUSED)
    assert trainer(app) is not old and (snapshot.epoch, snapshot.epochs) == (1, 4)
    assert old.snapshot().epoch == 0  # the old setup's run never trained
    assert "run_pending" not in app.session_state
    app.button(key="run_step").click().run()  # with the page caught up, a click acts at once
    assert "run_pending" not in app.session_state
    assert wait_until(app, lambda s: s.state == PAUSED and s.epoch >= 2).epoch == 2


def test_a_click_acts_even_when_the_page_run_after_it_is_cut_short():
    """A click used to be kept for the next whole-page run when the edit before it had not been
    drawn yet; if a part's rerun preempted that run, nothing acted on it: a lost click."""
    from streamlit.testing.v1 import AppTest

    from engine.share import encode

    app = AppTest.from_function(workspace_run_page, default_timeout=30)
    app.query_params["e"] = encode(tiny(epochs=3))
    app.run()
    old = trainer(app)
    app.session_state["workspace_current"] = tiny(epochs=4)  # an edit committed, its page run cut short
    app.session_state["cut_short"] = True
    app.button(key="run_step").click().run()
    assert not app.exception, failure(app)
    snapshot = wait_until(app, lambda s: s.state == PAUSED)
    assert trainer(app) is not old and (snapshot.epoch, snapshot.epochs) == (1, 4)
    assert "run_pending" not in app.session_state


def test_a_diverging_run_shows_why():
    raw = json.loads((ROOT / "presets" / "regression_plane.json").read_text())
    raw["data"]["n_samples"] = 40
    raw["training"].update({"optimizer": "sgd", "lr": 100.0, "epochs": 20, "device": "cpu"})
    app = start(run_page, raw)
    app.button(key="run_train").click().run()
    snapshot = wait_until(app, lambda s: s.state in ENDED)
    assert snapshot.state == "diverged"
    assert any("NaN or infinite" in e.value for e in app.error)


# -- live_view -------------------------------------------------------------------------------


def train(raw: dict):
    """Really train (on the CPU, no page) and return what the live view draws from."""
    experiment = load_experiment(raw)
    runner = Trainer(experiment, device="cpu")
    runner.start()
    assert runner.wait(30) and runner.state == FINISHED, runner.snapshot().message
    return runner.snapshot(), runner.history(), runner.session.data, {n.id: n.type for n in experiment.model.nodes}


@pytest.fixture(scope="module")
def planar():
    return train(tiny(epochs=2))


@pytest.fixture(scope="module")
def digits():
    raw = {"format": "neuroloom/1",
           "model": {"input": {"shape": [1, 8, 8]}, "nodes": [{"id": "flat", "type": "Flatten"},
                                                           {"id": "out", "type": "Linear", "params": {"out_features": 10}}]},
           "data": {"dataset": "digits", "n_samples": 200},
           "training": {"epochs": 2, "device": "cpu"}}
    return train(raw)


def live_page(run):
    import streamlit as st

    from components.live import reading, view

    snapshot, history, dataset, node_types = st.session_state.get("run", run)
    shown = reading.read(0, snapshot, history)  # as the run panel reads it
    scene = view.Scene(dataset, node_types, gradients=bool(st.session_state.get("live_show_gradients")))
    view.show(snapshot, shown, scene, key="live", state=snapshot.state)


def flipped(snapshot):
    """`snapshot` with its decision boundary the other way round: new pictures."""
    grid = snapshot.visuals["boundary"]
    visuals = {**snapshot.visuals, "boundary": {**grid, "value": (1 - np.asarray(grid["value"])).tolist()}}
    return dataclasses.replace(snapshot, visuals=visuals)


def test_the_live_view_of_a_planar_run_draws_curves_boundary_and_neurons(planar):
    snapshot, history, dataset, node_types = planar
    app = start(live_page, planar)
    shown = metrics(app)
    assert shown["Epoch"] == f"{snapshot.epoch} / {snapshot.epochs}" == "2 / 2"
    assert shown["Train loss"] == f"{snapshot.metrics['train_loss']:.4f}"
    assert shown["Test accuracy"] == f"{snapshot.metrics['test_accuracy'] * 100:.1f} %"
    drawn = figures(app)
    assert set(drawn) == {"live_curves", "live_boundary", "live_neurons"}

    train_loss, test_loss, accuracy = drawn["live_curves"]["data"]
    assert list(train_loss["x"]) == [h["epoch"] for h in history] == [0, 1, 2]
    assert np.allclose(train_loss["y"], [h["train_loss"] for h in history])
    assert np.allclose(test_loss["y"], [h["test_loss"] for h in history])
    assert accuracy["yaxis"] == "y2" and np.allclose(accuracy["y"], [h["test_accuracy"] for h in history])

    heat, points, _ = drawn["live_boundary"]["data"]  # the test points are hidden until asked for
    expected = np.asarray(snapshot.visuals["boundary"]["value"]) * 2 - 1  # P(positive) on [-1, 1]
    assert np.asarray(heat["z"]).shape == (BOUNDARY_SIZE, BOUNDARY_SIZE)
    assert np.allclose(shades(heat), expected, atol=HALF_SHADE)
    assert len(points["x"]) == len(dataset.points_train)

    network = drawn["live_neurons"]  # a plain stack: the Playground's network picture
    activations = [n for n, t in node_types.items() if t == "Tanh"]
    widths = [len(snapshot.visuals["neurons"][a]) for a in activations]
    assert network["layout"]["xaxis"]["ticktext"] == ["inputs", *[f"{a} · {w}" for a, w in zip(activations, widths, strict=True)], "output"]
    squares = [t for t in network["data"] if t["type"] == "heatmap"]
    assert len(squares) == len(dataset.info.features) + sum(widths) + 1
    hidden = shades(squares[len(dataset.info.features)])
    assert np.abs(hidden).max() == pytest.approx(1.0, abs=HALF_SHADE)  # each layer scaled to its largest value


def test_the_test_points_and_the_discrete_colours_travel_with_the_boundary_for_the_browser_to_switch(planar):
    _, _, dataset, _ = planar
    app = start(live_page, planar)
    boundary = next(c for c in framed(app, "live_charts") if c["name"] == "boundary")
    assert boundary["options"] == {"showTest": "show test data", "discrete": "discretize output"}
    heat, train_points, test_points = figures(app)["live_boundary"]["data"]
    assert [len(train_points["x"]), len(test_points["x"])] == [len(dataset.points_train), len(dataset.points_test)]
    assert test_points["visible"] is False and test_points["meta"] == {"option": "showTest"}
    assert "meta" not in train_points  # always shown
    # discretized: each side of the middle shade (P = 0.5) in one class colour
    assert heat["meta"]["discrete"]["colorscale"] == [[0.0, NEGATIVE], [0.5, NEGATIVE], [0.5, POSITIVE], [1.0, POSITIVE]]
    assert heat["colorscale"] == [list(stop) for stop in DIVERGING]


def test_the_frame_shows_the_numbers_and_curve_before_there_is_a_chart(planar):
    snapshot, history, dataset, node_types = planar
    app = start(live_page, (dataclasses.replace(snapshot, visuals=None), history, dataset, node_types))
    assert framed(app, "live_charts") == [] and metrics(app)["Epoch"] == "2 / 2"
    assert len(figures(app)["live_curves"]["data"][0]["x"]) == 3
    app.session_state["run"] = planar
    app.run()
    assert {c["name"] for c in framed(app, "live_charts")} == {"boundary", "neurons"}


def test_a_charts_version_is_its_contents_hash_the_same_pictures_the_same_version(planar):
    snapshot, _, dataset, node_types = planar
    scene = view.Scene(dataset, node_types)

    def versions(shot, scene=scene):
        return {c.name: c.version for c in view.charts(shot, scene)}

    first = view.charts(snapshot, scene)
    assert [c.name for c in first] == ["boundary", "neurons"]
    assert all(isinstance(c.version, str) and c.version == view.version_of(c.figure) for c in first)
    same = dataclasses.replace(snapshot, visuals=copy.deepcopy(snapshot.visuals))  # drawn again, as for a paused run
    assert versions(same) == versions(snapshot) == {c.name: c.version for c in first}
    changed = versions(flipped(snapshot))  # a new boundary: the network picture's output square is the boundary
    assert all(changed[name] != version for name, version in versions(snapshot).items())
    with_gradients = versions(snapshot, dataclasses.replace(scene, gradients=True))
    assert set(with_gradients) == {"boundary", "neurons", "gradients"}  # one chart more, the others as they were
    assert {n: v for n, v in with_gradients.items() if n != "gradients"} == versions(snapshot)


def test_each_page_run_sends_the_frame_every_chart_with_its_figure_and_the_runs_state(planar):
    snapshot, history, dataset, node_types = planar
    app = start(live_page, planar)
    args = frame_args(app)
    assert args["state"] == FINISHED == snapshot.state and args["feed"] is None
    first = {c["name"]: c for c in args["charts"]}
    assert set(first) == {"boundary", "neurons"}
    assert all(c["figure"]["data"] and c["version"] == view.version_of(c["figure"]) for c in first.values())
    assert first["neurons"]["place"] == "network" and first["boundary"]["place"] == "output"
    app.run()  # no handshake: every run sends every figure, under the same versions when unchanged
    again = {c["name"]: c for c in frame_args(app)["charts"]}
    assert {n: c["version"] for n, c in again.items()} == {n: c["version"] for n, c in first.items()}
    assert all("figure" in c for c in again.values())
    app.session_state["run"] = (dataclasses.replace(flipped(snapshot), state=PAUSED), history, dataset, node_types)
    app.run()
    args = frame_args(app)
    assert args["state"] == PAUSED
    assert all(c["version"] != first[c["name"]]["version"] and "figure" in c for c in args["charts"])


def test_gradient_sizes_per_layer_on_request(planar, digits):
    snapshot, _, _, node_types = planar
    app = start(live_page, planar)
    assert "live_gradients" not in figures(app)  # off by default: one chart less to redraw
    app.toggle(key="live_show_gradients").set_value(True).run()
    (bars,) = figures(app)["live_gradients"]["data"]
    stats = snapshot.visuals["layers"]
    assert list(bars["x"]) == [n for n in node_types if n in stats] == ["h1", "h2", "out"]  # input side first
    assert np.allclose(bars["y"], [stats[n]["grad_norm"] for n in bars["x"]])
    assert figures(app)["live_gradients"]["layout"]["yaxis"]["type"] == "log"
    assert next(c for c in framed(app, "live_charts") if c["name"] == "gradients")["place"] == "below"
    app.toggle(key="live_show_gradients").set_value(False).run()
    assert "live_gradients" not in figures(app)  # off again: no longer sent
    one_layer = start(live_page, digits)  # a single layer with weights: nothing to compare
    one_layer.toggle(key="live_show_gradients").set_value(True).run()
    assert "live_gradients" not in figures(one_layer) and not one_layer.exception
    assert any("gradient sizes appear" in c.value for c in one_layer.caption)


def test_the_live_view_of_a_digits_run_draws_sample_predictions_and_a_confusion_matrix(digits):
    snapshot, _, dataset, _ = digits
    app = start(live_page, digits)
    drawn = figures(app)
    assert set(drawn) == {"live_curves", "live_samples", "live_confusion"}
    assert [t.key for t in app.toggle] == ["live_show_gradients"]  # no plane, no plane toggles
    (heat,) = drawn["live_confusion"]["data"]
    matrix = np.asarray(heat["z"])
    assert matrix.tolist() == snapshot.visuals["confusion"]
    assert list(heat["x"]) == list(dataset.info.class_names) == [str(d) for d in range(10)]
    assert matrix.sum() == len(dataset.y_test)
    correct = np.trace(matrix) / matrix.sum()
    assert metrics(app)["Test accuracy"] == f"{correct * 100:.1f} %"  # the matrix agrees with the metric


def test_a_scenes_diagram_is_drawn_on_the_network_side_for_data_off_the_plane(digits):
    snapshot, _, dataset, node_types = digits
    picture = go.Figure(go.Scatter(x=[0, 1], y=[0, 1]))
    shown = view.charts(snapshot, view.Scene(dataset, node_types, diagram=lambda: picture))
    assert [(c.name, c.place) for c in shown] == [("diagram", "network"), ("samples", "output"), ("confusion", "output")]
    without = view.charts(snapshot, view.Scene(dataset, node_types, diagram=lambda: None))
    assert [c.name for c in without] == ["samples", "confusion"]


def test_a_new_run_never_shows_the_last_runs_curve(planar):
    snapshot, _, dataset, node_types = planar
    app = start(live_page, planar)
    app.session_state["run"] = (snapshot, [], dataset, node_types)  # Reset: no history yet
    app.run()
    assert all(len(trace["x"]) == 0 for trace in figures(app)["live_curves"]["data"])  # drawn empty


# -- charts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("epochs", [CURVE_POINTS, CURVE_POINTS + 1, 7 * CURVE_POINTS + 3])
def test_a_long_run_is_drawn_from_a_bounded_number_of_points_first_and_last_kept(epochs):
    history = [{"epoch": e, "train_loss": 1 / e, "test_loss": 2 / e, "test_accuracy": None} for e in range(1, epochs + 1)]
    train = curve(history)["data"][0]
    assert len(train["x"]) <= CURVE_POINTS + 1
    assert train["x"][0] == 1 and train["x"][-1] == epochs and train["x"] == sorted(set(train["x"]))
    assert all(y == pytest.approx(1 / x, rel=1e-5) for x, y in zip(train["x"], train["y"], strict=True))  # real values


def test_heatmap_values_travel_as_256_shades():
    assert list(levels([-1, 0, 1, -7, 7, float("nan")])) == [0, 128, LEVELS, 0, LEVELS, 128]
    assert list(levels([0, 0.5, 1], low=0, high=1)) == [0, 128, LEVELS]
    assert levels(np.linspace(-1, 1, 9)).dtype == np.uint8


def test_point_colours_follow_the_task():
    labels = np.array([0, 1, 1])
    two = point_colours(labels, True, 2)
    assert two["colorscale"] == [[0.0, NEGATIVE], [1.0, POSITIVE]] and (two["cmin"], two["cmax"]) == (0, 1)
    three = point_colours(labels, True, 3)
    assert len(three["colorscale"]) == 3 and three["cmax"] == 2
    values = point_colours(np.array([-0.5, 0.5]), False, None)
    assert values["colorscale"] == DIVERGING and (values["cmin"], values["cmax"]) == (-1, 1)


@pytest.mark.parametrize(("data", "trace_type", "count"), [
    ({"dataset": "circle", "n_samples": 50}, "scatter", 1),
    ({"dataset": "digits", "n_samples": 50}, "heatmap", 10),
    ({"dataset": "sine", "n_samples": 50}, "scatter", 2),
    ({"dataset": "reverse", "n_samples": 50}, "table", 1),
])
def test_the_preview_of_each_kind_of_data(data, trace_type, count):
    config, _, problems = check_data(data)
    assert not problems
    figure = preview(make_dataset(config))
    assert [t.type for t in figure.data] == [trace_type] * count
    if data["dataset"] == "reverse":
        tokens, targets = figure.data[0].cells.values
        assert len(tokens) == len(targets) == 8
