"""The real page in real Chromium: it loads, shows a preset's summary, and raises no errors."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_page_loads_and_shows_the_preset_summary(page, app_url):
    page.goto(app_url)
    page.get_by_role("heading", name="NeuroLoom").wait_for(timeout=30_000)
    page.get_by_text("Multiply-adds per sample").wait_for(timeout=30_000)
    assert page.get_by_test_id("stMetricValue").first.inner_text() == "105"
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.errors == []
