"""The Inside views in Chromium: each opened on its preset while the model trains, drawn without
an error."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from engine.share import encode
from tests.conftest import ROOT
from tests.e2e.test_training_flow import button, open_tab, pick, settled, title_bar

pytestmark = pytest.mark.browser
VIEWS = [("cnn_digits", "Convolution filters and feature maps", "feature maps of test sample 0"),
         ("transformer_reverse", "Attention weights", "head 4"),
         ("lstm_sine", "Recurrent state over time", "LSTM gates, mean over units"),
         ("vae_digits", "Latent space", "decoded from a grid over the plane"),
         ("vanishing_sigmoid", "Activations per layer", "saturated"),
         ("gan_ring", "Real and generated", "real and generated points over the discriminator")]


def test_each_view_opens_on_its_preset_while_training(page, app_url):
    for preset, view, shows in VIEWS:
        raw = json.loads((ROOT / "presets" / f"{preset}.json").read_text())
        raw["training"]["epochs"] = 100_000
        page.goto(f"{app_url}/?e={encode(raw)}")
        title_bar(page).wait_for(timeout=30_000)
        open_tab(page, "Inside")
        if view != "Activations per layer":  # the first view is open by default
            pick(page, "View", view)
        button(page, "Train").click()
        expect(button(page, "Pause")).to_be_visible(timeout=30_000)  # it trains
        chart = page.get_by_test_id("stPlotlyChart").filter(has_text=shows).first
        expect(chart).to_be_visible(timeout=30_000)
        settled(page)
        expect(page.get_by_text("could not be drawn")).to_have_count(0)
        button(page, "Pause").click()
        # paused before the page is left: a closed tab's run trains on until the server lets its
        # session go, and holds a training slot that the next tests' runs would wait for
        expect(button(page, "Resume")).to_be_visible(timeout=30_000)
    assert not page.errors, page.errors
