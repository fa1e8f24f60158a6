"""The Inside tab: every view's figures draw from what the engine computed, and on the real page
(AppTest) the tab shows the views this model has, follows the picked layer and sample, and closes
the view in the training process when the tab closes."""

from __future__ import annotations

import json

import pytest

from components import insight_figures
from engine import load_experiment
from engine.training import insights
from engine.training.session import Session
from tests.components.harness import app_on_tab, figures
from tests.conftest import ROOT


@pytest.mark.parametrize(("preset", "view"), [("cnn_digits", "convolution"), ("transformer_reverse", "attention"),
                                              ("lstm_sine", "recurrent"), ("vae_digits", "latent"),
                                              ("vanishing_sigmoid", "activations"), ("playground", "latent")])
def test_every_views_figures_draw_and_serialise(preset, view):
    drawn = insight_figures.figures(insights.compute(Session(load_experiment(ROOT / "presets" / f"{preset}.json"), "cpu"), view))
    assert drawn and all(json.loads(figure.to_json())["data"] for figure in drawn.values())



def test_the_tab_shows_this_models_views_and_follows_the_picked_layer_and_sample():
    app = app_on_tab("Inside")
    app.session_state["workspace_current"] = json.loads((ROOT / "presets" / "cnn_digits.json").read_text())
    app.run()
    assert not app.exception, app.exception
    assert app.selectbox(key="inside_view").options == [insights.VIEWS["activations"], insights.VIEWS["convolution"]]
    drawn = figures(app)
    assert "inside_histograms" in drawn and len(drawn["inside_histograms"]["data"]) == 8  # one per layer
    app.selectbox(key="inside_view").set_value("convolution").run()
    app.selectbox(key="inside_node_convolution").set_value("conv2").run()
    app.number_input(key="inside_sample").set_value(4).run()
    assert not app.exception, app.exception
    drawn = figures(app)
    assert {"inside_filters", "inside_maps", "inside_image", "inside_pool_pool1", "inside_pool_pool2"} <= set(drawn)
    assert len(drawn["inside_filters"]["data"]) == 16 and "conv2" in drawn["inside_maps"]["layout"]["title"]["text"]
    assert "test sample 4" in drawn["inside_maps"]["layout"]["title"]["text"]
    assert app.session_state["inside_sent"][1:] == ("convolution", "conv2", 4)
    app.session_state["app_panel"] = "Summary"  # another tab: the view is closed in the trainer
    app.run()
    assert "inside_sent" not in app.session_state


def test_a_clicked_digit_becomes_the_followed_test_sample():
    app = app_on_tab("Inside")
    app.session_state["workspace_current"] = json.loads((ROOT / "presets" / "cnn_digits.json").read_text())
    app.run()
    app.selectbox(key="inside_view").set_value("convolution").run()
    assert "inside_pick" in figures(app)  # the strip of test digits to click
    app.session_state["inside_pick"] = {"selection": {"points": [{"point_index": 5, "curve_number": 1}],
                                                      "box": [], "lasso": []}}
    app.run()
    assert not app.exception, app.exception
    assert app.number_input(key="inside_sample").value == 5
    assert app.session_state["inside_sent"][1:] == ("convolution", "conv1", 5)
    assert "test sample 5" in figures(app)["inside_maps"]["layout"]["title"]["text"]
