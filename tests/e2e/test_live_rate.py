"""A new learning rate while training, in real Chromium: it applies at once and only the parts of
the page that show it run again, yet the address, the Copy-link button and Undo all follow it.
The rate is set in the settings row's "learning rate" select box, or typed (any value) in the
Training tab."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from benchmarks.browser import FINISHED, live_frame, run_state, wait_until
from benchmarks.page import long_run_link
from engine.share import decode
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

DEFAULT_LR = json.loads((ROOT / "presets" / "playground.json").read_text())["training"]["lr"]


def linked_rate(url: str) -> float | None:
    """The rate in a link; None for no link yet (the button copies once its click's clipboard write
    is done: read at once after a click on a busy machine, it can still be empty)."""
    query = parse_qs(urlsplit(url).query)
    return decode(query["e"][0])["training"]["lr"] if "e" in query else None


def address(page) -> str:
    """The address bar now. (`page.url` is Playwright's copy, updated only while Playwright is
    called: a loop that sleeps between reads of it can wait forever.)"""
    return page.evaluate("() => location.href")


def copied_link(page) -> str:
    """Press the title bar's Copy link (a button in a frame of its own) and return what it copied."""
    copy = page.frame_locator("iframe[title$='copy_link']").get_by_test_id("copy-link")
    copy.click()
    return copy.get_attribute("data-copied") or ""


def rate_shown(page, lr: float) -> None:
    """Wait until the trainer reports `lr` (the live view's reading caption)."""
    live_frame(page).get_by_text(f"learning rate {lr:g} ·").wait_for(timeout=30_000)


def test_a_rate_set_while_training_applies_live_and_the_link_and_undo_follow(page, app_url):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    streams = []  # the live feed: `streamlit run app.py` serves its route beside the page
    page.on("response", lambda r: streams.append(r.headers.get("content-type", "")) if "/api/neuroloom/live/" in r.url else None)
    page.goto(long_run_link(app_url))
    page.get_by_role("button", name="Train", exact=True).click(timeout=60_000)
    run_state(page, "training").wait_for(timeout=30_000)

    # the settings row: the Playground's ladder of rates
    rate_box = page.get_by_role("combobox", name="learning rate", exact=True)
    rate_box.click()
    page.get_by_role("option", name="0.01", exact=True).click()
    rate_shown(page, 0.01)  # the trainer took it
    expect(run_state(page, "training")).to_have_count(1)  # the run kept going
    wait_until(lambda: linked_rate(address(page)) == 0.01, what="the address to hold the picked rate")

    # the Training tab: any value, typed
    page.locator(FINISHED).wait_for(timeout=30_000)
    page.get_by_role("tab", name="Training", exact=True).click()
    field = page.get_by_label("learning rate (any value)")
    field.fill("0.017")
    field.press("Enter")
    rate_shown(page, 0.017)
    assert streams and all(kind.startswith("text/event-stream") for kind in streams), streams
    assert run_state(page, "training").count() == 1, "the run did not keep going"
    wait_until(lambda: linked_rate(address(page)) == 0.017, what="the address to hold the new rate")
    # the title bar reruns after the live view: wait for its link, not for a fixed time
    wait_until(lambda: linked_rate(copied_link(page)) == 0.017, what="the Copy-link button to hold the new rate")
    assert linked_rate(page.evaluate("() => navigator.clipboard.readText()")) == 0.017  # it really copied
    expect(rate_box).to_have_value("0.017")  # the row shows a typed rate too
    # one input of each kind: no copies left by the parts that reran
    assert page.get_by_role("combobox", name="learning rate", exact=True).count() == 1
    assert page.get_by_test_id("stSlider").filter(has_text="learning rate").count() == 1

    # the charts' frame follows the page's theme
    frame_background = """() => { const f = document.querySelector('iframe[title$=live_charts]');
        return f && f.contentDocument.body ? f.contentWindow.getComputedStyle(f.contentDocument.body).backgroundColor : ''; }"""
    live_frame(page).locator("[data-chart=boundary] .js-plotly-plot").wait_for(timeout=30_000)
    page.emulate_media(color_scheme="dark")
    wait_until(lambda: page.evaluate(frame_background) not in ("", "rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"),
               what="the live charts to turn dark with the page")

    undo = page.locator(".st-key-app_undo").get_by_role("button")  # icon only (its help says "Undo")
    undo.click()
    rate_shown(page, 0.01)
    wait_until(lambda: linked_rate(address(page)) == 0.01, what="the address to follow Undo")
    page.locator(FINISHED).wait_for(timeout=30_000)
    undo.click()
    rate_shown(page, DEFAULT_LR)
    wait_until(lambda: linked_rate(address(page)) == DEFAULT_LR, what="the address to follow the second Undo")
    expect(run_state(page, "training")).to_have_count(1)  # a rate is no new setup: the same run goes on
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.errors == []
    assert page.request.get(f"{app_url}/api/neuroloom/live/no-such-tab").status == 404  # a tab's own token only


def linked_training(page) -> dict:
    return decode(parse_qs(urlsplit(address(page)).query)["e"][0])["training"]


def pick(page, label: str, option: str, timeout: float = 30_000) -> None:
    page.get_by_role("combobox", name=label, exact=True).click(timeout=timeout)
    page.get_by_role("option", name=option, exact=True).click()


def test_a_pick_in_the_settings_row_right_after_a_new_rate_is_kept(page, app_url):
    """A new rate reruns only the parts that show it; the row's other inputs must still be the
    page's own, or the next pick in the row is taken from a widget the page no longer has (lost)."""
    page.goto(app_url)
    pick(page, "learning rate", "0.1", timeout=60_000)
    wait_until(lambda: linked_training(page)["lr"] == 0.1, what="the address to hold the picked rate")
    pick(page, "optimizer", "sgd")
    wait_until(lambda: linked_training(page).get("optimizer") == "sgd", timeout=15,
               what="the optimizer picked right after the rate to be taken")
    pick(page, "learning rate", "0.3")
    wait_until(lambda: linked_training(page)["lr"] == 0.3, what="the address to hold the second rate")
    pick(page, "regularization", "l2")
    wait_until(lambda: linked_training(page).get("regularization") == "l2", timeout=15,
               what="the regularization picked right after the second rate to be taken")
    expect(page.get_by_role("combobox", name="optimizer", exact=True)).to_have_value("sgd")
    assert linked_training(page)["lr"] == 0.3 and linked_training(page)["optimizer"] == "sgd"
    assert page.errors == []
