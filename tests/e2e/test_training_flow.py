"""A person's first minutes in real Chromium: pick a dataset, add a hidden layer, train and watch
the loss fall and the boundary appear, pause, step one epoch, break the model, share the link."""

from __future__ import annotations

import re
import statistics
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from benchmarks.browser import (
    FINISHED,
    boundary_traces,
    chart_traces,
    epoch,
    is_boundary,
    live_frame,
    page_says,
    run_state,
    title_bar,
    train_loss,
    wait_until,
)

pytestmark = pytest.mark.browser


def settled(page) -> None:
    """Wait until the page has finished its run: a dropdown opened mid-run is drawn again under
    the pointer."""
    page.locator(FINISHED).wait_for(timeout=30_000)


def quiet(page, seconds: float = 1.0) -> None:
    """Wait until the page has been idle for `seconds` on end: an edit's run may be followed by
    a run of a part (the live frame asks for one when its run changed) that starts just after."""
    def still() -> bool:
        settled(page)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if page.locator(FINISHED).count() == 0:
                return False
            time.sleep(0.05)
        return True

    wait_until(still, what="the page to stay idle")


def pick(page, label: str, option: str, tries: int = 3) -> None:
    """Choose `option` in the select box `label`. A page run that starts while the list is open
    (the live frame asks for one when the run's state needs other controls) draws the box again
    and closes the list: then open it again."""
    box = page.get_by_role("combobox", name=label, exact=True)
    for _ in range(tries):
        settled(page)
        box.click()
        box.fill("")  # what an earlier try typed
        page.keyboard.type(option.split(" · ")[-1])  # long lists are virtual: filter first
        try:
            page.get_by_role("option", name=option).click(timeout=10_000)
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
            continue
        # .last: while the page runs again the box may be drawn twice for a moment (old and new key)
        expect(box.last).to_have_value(option, timeout=30_000)
        return
    raise AssertionError(f"could not pick {option!r} in {label!r} in {tries} tries")


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def settled_epoch(page, quiet: float = 0.6) -> int:
    """The epoch shown once it stops changing: the state may show before the last epoch's numbers."""
    def unchanged():
        before = epoch(page)
        time.sleep(quiet)
        return (before,) if epoch(page) == before else None
    return wait_until(unchanged, what="the epoch counter to settle")[0]


def live_boundaries(page, samples: int) -> list[int]:
    """How many decision-boundary charts the page shows, sampled every 0.1 s. (A redraw may show
    two for a moment; a second polling fragment once made them pile up.)"""
    counts = []
    for _ in range(samples):
        counts.append(sum(1 for traces in chart_traces(page) if is_boundary(traces)))
        time.sleep(0.1)
    return counts


def open_app(page, url: str) -> None:
    page.goto(url)
    title_bar(page).wait_for(timeout=30_000)
    page.get_by_text("hidden layer").first.wait_for(timeout=30_000)


def shows_dataset(page, option: str) -> None:
    """Wait until the Dataset select box holds `option` (its value is its input's)."""
    expect(page.get_by_role("combobox", name="Dataset").last).to_have_value(option, timeout=30_000)


def open_tab(page, name: str) -> None:
    """Open one of the tabs below the playground (only the open one is drawn)."""
    settled(page)
    page.get_by_role("tab", name=name, exact=True).click()
    settled(page)


def test_build_train_watch_pause_step_break_and_share(page, app_url, browser):
    open_app(page, app_url)

    # the boundary is drawn before Train: the untrained model's output
    assert wait_until(lambda: boundary_traces(page), what="the untrained boundary")[0]["rows"] == 100
    pick(page, "Dataset", "2-D classes · xor")
    shows_dataset(page, "2-D classes · xor")
    open_tab(page, "Data")  # the dataset's explanation is with its details
    page.get_by_text("Opposite quadrants share a class").first.wait_for(timeout=30_000)

    # the row above the network: one more hidden layer (an icon button; its key holds a version)
    page.locator("[class*='st-key-mlp_row_'][class*='_add'] button").first.click()
    page.get_by_text("3 hidden layers").first.wait_for(timeout=30_000)

    open_tab(page, "Training")
    epochs = page.get_by_label("epochs", exact=True)  # long enough to pause it, on any machine
    epochs.fill("100000")
    epochs.press("Enter")
    wait_until(lambda: epochs.count() == 1 and epochs.input_value() == "100000", what="the new number of epochs")
    quiet(page)

    button(page, "Train").click()
    wait_until(lambda: len(train_loss(page)) >= 15, timeout=60, what="15 epochs on the loss curve",
               said=lambda: page_says(page))
    losses = train_loss(page)
    assert min(losses[-5:]) < losses[0], f"loss did not fall: {losses}"
    boundary = wait_until(lambda: boundary_traces(page), what="the decision boundary")
    assert boundary[0]["rows"] == 100
    assert statistics.median(live_boundaries(page, samples=20)) == 1, "copies of the live chart pile up"
    assert [t["name"] for t in boundary] == ["trace 0", "train"] and boundary[0]["stops"] == 3

    button(page, "Pause").click()
    run_state(page, "paused").wait_for(timeout=30_000)
    button(page, "Resume").wait_for(timeout=30_000)
    paused_at = settled_epoch(page)
    time.sleep(1.5)
    assert epoch(page) == paused_at, "the run kept going after Pause"

    live_frame(page).get_by_text("show test data").click()  # in the browser: no server run
    wait_until(lambda: [t["name"] for t in boundary_traces(page)][1:] == ["train", "test"], what="the test points")
    live_frame(page).get_by_text("discretize output").click()
    wait_until(lambda: boundary_traces(page)[0]["stops"] == 4, what="the boundary in two colours")

    button(page, "Step").click()
    wait_until(lambda: epoch(page) == paused_at + 1, what="Step to finish one epoch")
    time.sleep(1.0)
    assert epoch(page) == paused_at + 1, "Step trained more than one epoch"
    assert len(boundary_traces(page)) == 3 and boundary_traces(page)[0]["stops"] == 4, "the step's redraw dropped them"

    shared = page.evaluate("() => location.href")  # the address bar now, not Playwright's copy of it
    assert re.search(r"[?&]e=", shared)
    other = browser.new_page()
    try:
        open_app(other, shared)
        other.get_by_text("3 hidden layers").first.wait_for(timeout=30_000)
        shows_dataset(other, "2-D classes · xor")
    finally:
        other.close()

    open_tab(page, "Model")
    page.get_by_text("Edit layers: add, change, move, delete").click()  # folded while Quick MLP applies
    page.get_by_test_id("stSelectbox").filter(has_text="Add layer").wait_for(timeout=30_000)
    settled(page)
    pick(page, "Add layer", "convolution · Conv2d")
    button(page, "Add Conv2d after out").click()
    page.get_by_text("Train is off until the experiment is valid").wait_for(timeout=30_000)
    # a model that is not a plain stack opens in the canvas: the new node is drawn there, in red,
    # with the engine's message on hover
    canvas = page.frame_locator("iframe[title$='graph_editor']")
    new_node = canvas.locator("[data-testid^='nl-node-conv']").first

    def fitted_in_view() -> bool:  # a long model opens on its top: Fit shows the whole, once it is laid out
        canvas.get_by_role("button", name="Fit", exact=True).click()
        page.wait_for_timeout(500)
        return new_node.count() > 0

    wait_until(fitted_in_view, what="the new node on the canvas")
    expect(new_node).to_have_class(re.compile(r"\bproblem\b"))
    assert "Conv2d" in new_node.get_attribute("title") and len(new_node.get_attribute("title").splitlines()) > 1, \
        "the problem's message is not on the node"
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.errors == []
