"""A new learning rate while training, in real Chromium: it applies at once and only the parts of
the page that show it run again, yet the address, the share link and Undo all follow it."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from benchmarks.browser import live_frame, wait_until
from benchmarks.page import long_run_link
from engine.share import decode
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

DEFAULT_LR = json.loads((ROOT / "presets" / "playground.json").read_text())["training"]["lr"]


def linked_rate(url: str) -> float:
    return decode(parse_qs(urlsplit(url).query)["e"][0])["training"]["lr"]


def test_a_rate_typed_while_training_applies_live_and_the_link_and_undo_follow(page, app_url):
    streams = []  # the live feed: `streamlit run app.py` serves its route beside the page
    page.on("response", lambda r: streams.append(r.headers.get("content-type", "")) if "/api/neuroloom/live/" in r.url else None)
    page.goto(long_run_link(app_url))
    page.get_by_role("button", name="Train", exact=True).click(timeout=60_000)
    page.get_by_text("▶ training").wait_for(timeout=30_000)

    field = page.get_by_label("learning rate (any value)")
    field.fill("0.017")
    field.press("Enter")
    live_frame(page).get_by_text("learning rate 0.017 ·").wait_for(timeout=30_000)  # the trainer took it
    assert streams and all(kind.startswith("text/event-stream") for kind in streams), streams
    assert page.get_by_text("▶ training").count() == 1, "the run did not keep going"
    wait_until(lambda: linked_rate(page.url) == 0.017, what="the address to hold the new rate")
    # the share link's part reruns after the live view's: wait for it, not for a fixed time
    wait_until(lambda: linked_rate(page.get_by_test_id("stCode").first.inner_text().replace("\n", "")) == 0.017,
               what="the share link to hold the new rate")
    assert page.get_by_label("learning rate", exact=True).count() == 1  # one ladder: no copies

    # the charts' frame follows the page's theme
    frame_background = """() => { const f = document.querySelector('iframe[title$=live_charts]');
        return f && f.contentDocument.body ? f.contentWindow.getComputedStyle(f.contentDocument.body).backgroundColor : ''; }"""
    live_frame(page).locator("[data-chart=boundary] .js-plotly-plot").wait_for(timeout=30_000)
    page.emulate_media(color_scheme="dark")
    wait_until(lambda: page.evaluate(frame_background) not in ("", "rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"),
               what="the live charts to turn dark with the page")

    page.get_by_role("button", name="↶ Undo").click()
    live_frame(page).get_by_text(f"learning rate {DEFAULT_LR:g} ·").wait_for(timeout=30_000)
    wait_until(lambda: linked_rate(page.url) == DEFAULT_LR, what="the address to follow Undo")
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.errors == []
    assert page.request.get(f"{app_url}/api/neuroloom/live/no-such-tab").status == 404  # a tab's own token only
