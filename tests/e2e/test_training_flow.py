"""A person's first minutes in real Chromium: pick a dataset, add a hidden layer, train and watch
the loss fall and the boundary appear, pause, step one epoch, break the model, share the link."""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.browser

# Streamlit draws plotly charts with plotly.js; its figure data sits on the chart's element.
CHARTS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => (el._fullData || []).map(t => ({
    name: t.name || null, type: t.type,
    y: t.type === 'scatter' && t.y ? Array.from(t.y) : null,
    rows: t.z ? t.z.length : 0,
    text: Array.isArray(t.text) ? Array.from(t.text).join('\\n') : (t.text || ''),
})))"""


def charts(page) -> list[list[dict]]:
    return page.evaluate(CHARTS)


def train_loss(page) -> list[float]:
    for traces in charts(page):
        for trace in traces:
            if trace["name"] == "train loss":
                return [y for y in trace["y"] if y is not None]
    return []


def boundary_rows(page) -> int:
    """Rows of the decision-boundary heatmap (the chart whose heatmap sits under the points)."""
    for traces in charts(page):
        kinds = [t["type"] for t in traces]
        if kinds[:1] == ["heatmap"] and "scatter" in kinds:
            return traces[0]["rows"]
    return 0


def epoch(page) -> int:
    value = page.get_by_test_id("stMetric").filter(has_text="Epoch").get_by_test_id("stMetricValue").inner_text()
    return int(value.split("/")[0])


def wait_until(check, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def pick(page, label: str, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.keyboard.type(option.split(" · ")[-1])  # long lists are virtual: filter first
    page.get_by_role("option", name=option).click()


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def open_app(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name="NeuroLoom").wait_for(timeout=30_000)
    page.get_by_text("hidden layer").first.wait_for(timeout=30_000)


def test_build_train_watch_pause_step_break_and_share(page, app_url, browser):
    open_app(page, app_url)

    pick(page, "Dataset", "2-D classes · xor")
    page.get_by_text("Opposite quadrants share a class").first.wait_for(timeout=30_000)

    page.get_by_role("button", name="＋").first.click()  # Quick MLP: one more hidden layer
    page.get_by_text("3 hidden layers").wait_for(timeout=30_000)

    button(page, "Train").click()
    wait_until(lambda: len(train_loss(page)) >= 15, timeout=60, what="15 epochs on the loss curve")
    losses = train_loss(page)
    assert min(losses[-5:]) < losses[0], f"loss did not fall: {losses}"
    assert wait_until(lambda: boundary_rows(page), what="the decision boundary") == 100

    button(page, "Pause").click()
    page.get_by_text("⏸ paused").wait_for(timeout=30_000)
    paused_at = epoch(page)
    time.sleep(1.5)
    assert epoch(page) == paused_at, "the run kept going after Pause"

    button(page, "Step").click()
    wait_until(lambda: epoch(page) == paused_at + 1, what="Step to finish one epoch")
    time.sleep(1.0)
    assert epoch(page) == paused_at + 1, "Step trained more than one epoch"

    shared = page.url
    assert re.search(r"[?&]e=", shared)
    other = browser.new_page()
    try:
        open_app(other, shared)
        other.get_by_text("3 hidden layers").wait_for(timeout=30_000)
        other.get_by_text("Opposite quadrants share a class").first.wait_for(timeout=30_000)  # xor's caption
    finally:
        other.close()

    pick(page, "Add layer", "convolution · Conv2d")
    button(page, "Add Conv2d after out").click()
    page.get_by_text("Train is off until the experiment is valid").wait_for(timeout=30_000)
    node_text = wait_until(lambda: next((t["text"] for traces in charts(page) for t in traces if "Conv2d" in t["text"]), None),
                           what="the diagram to show the new node")
    assert "⚠" in node_text, "the problem is not shown on the node"
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.errors == []
