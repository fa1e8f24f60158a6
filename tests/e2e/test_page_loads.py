"""The real page in real Chromium: it loads with the default experiment and raises no errors."""

from __future__ import annotations

import json
import re

import pytest

from benchmarks.browser import boundary_traces, live_frame, run_state, title_bar, wait_until
from components.live.reading import STATES
from engine import analyze
from tests.conftest import ROOT

pytestmark = pytest.mark.browser


def test_page_loads_with_the_default_experiment_and_no_errors(page, app_url):
    expected = analyze(json.loads((ROOT / "presets" / "playground.json").read_text())["model"]).total_params
    page.goto(app_url)
    title_bar(page).wait_for(timeout=30_000)
    page.get_by_role("button", name="Train", exact=True).wait_for(timeout=30_000)  # the run controls
    copy = page.frame_locator("iframe[title$='copy_link']").get_by_test_id("copy-link")
    copy.wait_for(timeout=30_000)  # the title bar, its Copy-link button in line with the others
    for side in ("y", "height"):
        assert abs(copy.bounding_box()[side] - page.get_by_role("button", name="Download").bounding_box()[side]) < 1
    page.get_by_role("tab", name="Summary").click()  # only the open tab is drawn
    parameters = page.get_by_test_id("stMetric").filter(has_text="Parameters").get_by_test_id("stMetricValue")
    parameters.wait_for(timeout=30_000)
    assert parameters.text_content().strip() == f"{expected:,}"
    picker = page.frame_locator("iframe[title$='dataset_picker']")
    picker.get_by_test_id("dataset-circle").wait_for(timeout=30_000)  # the thumbnails, the current one framed
    assert picker.get_by_test_id("dataset-circle").get_attribute("aria-pressed") == "true"
    live_frame(page).locator("[data-area=network] .js-plotly-plot").first.wait_for(timeout=30_000)
    wait_until(lambda: boundary_traces(page), what="the untrained model's decision boundary")  # before Train
    page.wait_for_url(re.compile(r"[?&]e="), timeout=30_000)  # the experiment is in the address
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.errors == []


def test_a_click_on_a_thumbnail_picks_its_dataset(page, app_url):
    page.goto(app_url)
    picker = page.frame_locator("iframe[title$='dataset_picker']")
    picker.get_by_test_id("dataset-spiral").click(timeout=30_000)
    boxes = page.get_by_role("combobox", name="Dataset")  # while the page reruns the old box may linger
    wait_until(lambda: [b.input_value() for b in boxes.all()] == ["2-D classes · spiral"],
               what="the dataset box to read spiral")
    wait_until(lambda: picker.get_by_test_id("dataset-spiral").get_attribute("aria-pressed") == "true",
               what="the spiral's thumbnail to be framed")
    page.wait_for_url(re.compile(r"[?&]e="), timeout=30_000)
    # three classes: the network's end follows (three outputs), so Train stays on and trains
    picker.get_by_test_id("dataset-blobs").click()
    wait_until(lambda: [b.input_value() for b in boxes.all()] == ["2-D classes · blobs"],
               what="the dataset box to read blobs")
    page.get_by_role("button", name="Train", exact=True).click(timeout=30_000)
    run_state(page, STATES["finished"]).wait_for(timeout=60_000)
    assert page.get_by_text("Train is off").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.errors == []


def test_concept_explorer_loads_its_charts_without_errors(page, app_url):
    page.goto(f"{app_url}/concepts")
    page.get_by_role("heading", name="Concept explorer").wait_for(timeout=30_000)
    page.get_by_test_id("stPlotlyChart").first.wait_for(timeout=30_000)
    page.get_by_role("tab", name="Optimizer race").click()
    page.get_by_text("▶ play").wait_for(timeout=30_000)  # the race animates in the browser
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.errors == []


def test_the_gallery_opens_and_loads_a_preset(page, app_url):
    page.goto(app_url)
    page.get_by_role("button", name="Presets", exact=True).click()  # in the title bar
    page.get_by_text("Tricks of the trade").wait_for(timeout=30_000)
    dialog = page.get_by_test_id("stDialog")
    dialog.get_by_test_id("stTextInputField").fill("transformer")
    dialog.get_by_test_id("stTextInputField").press("Enter")
    loads = dialog.get_by_role("button", name="Load")
    wait_until(lambda: loads.count() == 1, what="the search to leave one card")
    loads.click()
    page.get_by_text("A Transformer encoder reverses a sequence").first.wait_for(timeout=30_000)
    page.get_by_text("reverse").first.wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.errors == []
