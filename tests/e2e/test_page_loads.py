"""The real page in real Chromium: it loads with the default experiment and raises no errors."""

from __future__ import annotations

import json

import pytest

from engine import analyze
from tests.conftest import ROOT

pytestmark = pytest.mark.browser


def test_page_loads_with_the_default_experiment_and_no_errors(page, app_url):
    expected = analyze(json.loads((ROOT / "presets" / "playground.json").read_text())["model"]).total_params
    page.goto(app_url)
    page.get_by_role("heading", name="NeuroLoom").wait_for(timeout=30_000)
    parameters = page.get_by_test_id("stMetric").filter(has_text="Parameters").get_by_test_id("stMetricValue")
    parameters.wait_for(state="attached", timeout=30_000)  # inside the folded summary
    assert parameters.text_content().strip() == f"{expected:,}"
    page.get_by_test_id("stPlotlyChart").first.wait_for(timeout=30_000)  # the diagram and the data preview
    assert "e=" in page.url  # the experiment is in the address
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.errors == []
