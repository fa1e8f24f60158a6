"""Run history in Chromium: two runs trained with different optimizers are kept, compared (their
curves overlaid, one colour each) and one is reopened with its experiment."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from benchmarks.browser import epoch, wait_until
from engine.runs import RunStore
from engine.share import encode
from tests.conftest import ROOT
from tests.e2e.test_training_flow import button, open_app, open_tab, pick, settled

pytestmark = pytest.mark.browser
BUDGET = 12


def trained_to_budget(page) -> None:
    settled(page)
    button(page, "Train").click()
    wait_until(lambda: epoch(page) == BUDGET, what=f"the run to reach its {BUDGET}-epoch budget", timeout=60)
    settled(page)


def click_row(page, row: int) -> None:
    """The row's selection box: the grid is drawn on a canvas, its rows 35 px under a 35 px header."""
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + 35 * (row + 1) + 17)
    settled(page)


def test_two_runs_are_kept_compared_and_one_reopened(page, app_url):
    raw = json.loads((ROOT / "presets" / "playground.json").read_text())
    raw["training"].update(epochs=BUDGET, optimizer="adam")
    open_app(page, f"{app_url}/?e={encode(raw)}")
    trained_to_budget(page)
    pick(page, "optimizer", "sgd")  # an edit: the run starts over, as a new run
    trained_to_budget(page)

    open_tab(page, "Runs")
    grid = page.get_by_test_id("stDataFrame").first
    grid.wait_for(timeout=30_000)
    grid.scroll_into_view_if_needed()
    wait_until(lambda: grid.locator("[role=row]").count() >= 3, what="two runs in the table")  # and its header
    click_row(page, 0)
    click_row(page, 1)
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text="test accuracy").first
    chart.wait_for(timeout=30_000)
    wait_until(lambda: chart.locator(".legendtext").count() == 2, what="both runs' curves, one legend entry each")
    expect(page.get_by_text("Select runs")).to_have_count(0)

    click_row(page, 0)  # only the older run (adam) stays selected
    button(page, "Reopen").click()
    settled(page)
    expect(page.get_by_role("combobox", name="optimizer", exact=True)).to_have_value("adam", timeout=30_000)
    assert not page.errors, page.errors


def test_a_race_trains_three_optimizers_side_by_side_and_overlays_them(page, app_url):
    raw = json.loads((ROOT / "presets" / "playground.json").read_text())
    raw["training"].update(epochs=15, optimizer="adam")
    open_app(page, f"{app_url}/?e={encode(raw)}")
    open_tab(page, "Race")
    button(page, "Race").click()  # the defaults: the experiment's own optimizer (adam), sgd and rmsprop
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text="test accuracy").first
    chart.wait_for(timeout=30_000)
    wait_until(lambda: chart.locator(".legendtext").count() == 3, what="three contenders' curves", timeout=60)
    expect(button(page, "Stop race")).to_be_disabled(timeout=60_000)  # all three reached their 15 epochs
    legend = sorted(chart.locator(".legendtext").all_text_contents())
    assert legend == ["optimizer adam", "optimizer rmsprop", "optimizer sgd"]
    assert not page.errors, page.errors


def test_a_closed_pages_run_pauses_within_seconds(browser, app_url, session_run_store_home):
    """A closed tab's run must not hold the server's CPU (or a process) for the others: it is
    paused by the reaper, or stopped sooner when the session's state is collected."""
    raw = json.loads((ROOT / "presets" / "playground.json").read_text())
    raw["training"].update(epochs=100_000, lr=0.0123)  # the rate marks this test's run in the store
    closed = browser.new_page()
    open_app(closed, f"{app_url}/?e={encode(raw)}")
    trained = closed.get_by_role("button", name="Train", exact=True)
    settled(closed)
    trained.click()
    wait_until(lambda: epoch(closed) >= 5, what="a few epochs")
    store = RunStore(session_run_store_home)

    def run_status() -> str | None:
        mine = [r for r in store.list(experiments=True) if r["experiment"]["training"]["lr"] == 0.0123]
        return mine[0]["status"] if mine else None

    assert run_status() == "running"
    closed.close()
    wait_until(lambda: run_status() in ("paused", "stopped"), what="the run of the closed page paused", timeout=30)
