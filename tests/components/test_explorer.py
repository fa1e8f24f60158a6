"""The concept explorer: the numbers behind each view, and the page itself."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from components.explorer import REAL_RACE
from engine import concepts
from tests.conftest import ROOT


def test_every_registry_activation_is_explored_with_its_true_slope():
    assert set(concepts.activations()) >= {"ReLU", "Sigmoid", "Tanh", "Softmax", "GELU"}
    x, y, slope = concepts.activation_curve("Tanh", -3, 3)
    assert np.allclose(y, np.tanh(x), atol=1e-6)
    assert np.allclose(slope, 1 - np.tanh(x) ** 2, atol=1e-5)
    x, y, _ = concepts.activation_curve("Softmax", -3, 3)
    assert np.allclose(y, 1 / (1 + np.exp(-x)), atol=1e-6)  # two-class softmax is the sigmoid


def test_step_softplus_and_mish_are_explored_with_their_true_curves_and_slopes():
    assert {"Step", "Softplus", "Mish"} <= set(concepts.activations())
    x, y, slope = concepts.activation_curve("Step", -3, 3)
    assert np.array_equal(y, (x > 0).astype(y.dtype)) and not slope.any()  # no gradient anywhere
    assert concepts.saturation(x, slope) == [(-3.0, 3.0)]
    x, y, slope = concepts.activation_curve("Softplus", -3, 3)
    assert np.allclose(y, np.log1p(np.exp(x)), atol=1e-5)
    assert np.allclose(slope, 1 / (1 + np.exp(-x)), atol=1e-5)  # the sigmoid: never exactly zero
    x, y, slope = concepts.activation_curve("Mish", -3, 3)
    assert np.allclose(y, x * np.tanh(np.log1p(np.exp(x))), atol=1e-5)
    assert y.min() < 0 and concepts.saturation(x, slope) == []


def test_saturation_finds_the_flat_tails_of_sigmoid_and_the_dead_half_of_relu():
    x, _, slope = concepts.activation_curve("Sigmoid", -8, 8)
    spans = concepts.saturation(x, slope)
    assert len(spans) == 2 and spans[0][0] == -8 and spans[1][1] == 8
    assert -5 < spans[0][1] < -3 and 3 < spans[1][0] < 5
    x, _, slope = concepts.activation_curve("ReLU", -4, 4)
    assert concepts.saturation(x, slope) == [(-4.0, pytest.approx(0.0, abs=0.05))]
    x, _, slope = concepts.activation_curve("LeakyReLU", -6, 6)
    assert concepts.saturation(x, slope) == []  # a slope of 0.01 is small but never flat: it still learns


def test_losses_are_zero_at_the_target_and_grow_away_from_it():
    for x, y in concepts.regression_losses(0.5).values():
        assert y[np.argmin(np.abs(x - 0.5))] == pytest.approx(0, abs=1e-3)
        assert y[0] > 1 and y[-1] > 1
    classification = concepts.classification_losses(label=1)
    p, bce = classification["bce"]
    assert bce[0] > bce[-1] and bce[-1] == pytest.approx(-np.log(p[-1]), rel=1e-4)


@pytest.mark.parametrize("surface", list(concepts.SURFACES))
def test_the_race_runs_real_optimizers_from_the_same_start(surface):
    paths = concepts.race(surface, concepts.DEFAULT_LR, steps=50)
    assert set(paths) == set(concepts.OPTIMIZERS)
    for path in paths.values():
        assert np.allclose(path[0], concepts.SURFACES[surface].start)
        assert 2 <= len(path) <= 51


def test_adam_gets_close_to_the_beale_minimum_and_a_huge_rate_diverges_and_stops():
    adam = concepts.race("beale", {"Adam": 0.05}, steps=500)["Adam"]
    f = concepts.SURFACES["beale"].f
    assert float(f(*torch.tensor(adam[-1]))) < 0.05
    wild = concepts.race("rosenbrock", {"GD": 1.0}, steps=100)["GD"]
    assert len(wild) < 101 and np.all(np.isfinite(wild))


def explorer_app():
    import streamlit as st

    from components import explorer, playground

    target = st.Page(playground.show, title="Playground", url_path="playground")

    def concepts_page():
        explorer.show(target)

    st.navigation([st.Page(concepts_page, title="Concepts", default=True), target]).run()


def test_the_explorer_page_draws_every_view_and_its_preset_links_open_the_playground():
    app = AppTest.from_function(explorer_app, default_timeout=60).run()
    assert not app.exception and not app.error
    assert app.title[0].value == "Concept explorer"
    assert len(app.get("plotly_chart")) == 3  # activations, losses, optimizer race
    assert any("**Step**: slope 0 everywhere" in m.value for m in app.markdown)  # the zero gradient explained
    app.number_input(key="explore_race_lr_Adam").set_value(0.2).run()
    assert not app.exception
    app.button(key="explore_act_preset").click().run()
    assert not app.exception
    expected = json.loads((ROOT / "presets" / "vanishing_sigmoid.json").read_text())
    assert app.session_state["workspace_current"] == expected
    assert any("NeuroLoom" in m.value for m in app.markdown)  # now on the playground's title bar



def test_the_optimizer_race_runs_on_a_real_network_where_the_optimizer_matters():
    app = AppTest.from_function(explorer_app, default_timeout=60).run()
    app.button(key="explore_race_preset").click().run()
    assert not app.exception
    assert app.session_state["workspace_current"] == json.loads((ROOT / "presets" / "spiral.json").read_text())
    assert app.session_state["app_panel"] == "Race"  # the playground opens on the race, started
    race = next(t.value for t in app.dataframe if "contender" in t.value.columns)
    assert list(race["contender"]) == [f"optimizer {o}" for o in REAL_RACE]
    app.button(key="race_stop").click().run()
    assert not app.exception
    race = next(t.value for t in app.dataframe if "contender" in t.value.columns)
    assert set(race["state"]) == {"stopped"}  # Stop race stops every contender
