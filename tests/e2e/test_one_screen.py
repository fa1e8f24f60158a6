"""The playground on one screen, as TensorFlow Playground is: at 1440x900 and 1920x1080, before and
while training, the controls, the data, the network, the output and the loss curve all lie inside
the viewport without scrolling. Also: the untrained model's boundary is drawn before Train, a run
stopped at its epoch budget goes on with Train, a Train click right after a preset loads is never
lost, and the presenting view fills a projector's screen. Screenshots go to artifacts/."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from benchmarks.browser import FINISHED, boundary_traces, epoch, live_frame, wait_until
from engine.share import encode
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

VIEWPORTS = [(1440, 900), (1920, 1080)]
SHOTS = ROOT / "artifacts" / "one_screen"


def open_page(browser, app_url: str, size: tuple[int, int], query: str = ""):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(f"{app_url}/{query}")
    page.locator(FINISHED).wait_for(timeout=60_000)
    button(page, "Train").wait_for(timeout=60_000)
    return page


def choose(page, label: str, option: str, tries: int = 3) -> None:
    """Pick `option` in the select box `label`. A list opened while the page runs again closes
    when the box is drawn anew (seen once in a fresh clone's run): open it again."""
    for _ in range(tries):
        page.locator(FINISHED).wait_for(timeout=30_000)
        page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            return
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    raise AssertionError(f"the {label} box never offered {option}")


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def boxes(page) -> dict[str, dict]:
    """The bounding boxes (page coordinates, px) of each part a person must see at once."""
    frame = page.locator("iframe[title$='live_charts']").bounding_box()
    inner = live_frame(page)

    def in_frame(selector: str) -> dict:
        # the frame redraws a part when the run's state moves on, and a part can go between being
        # seen and being measured: measure until it is there (in page coordinates)
        def measured() -> dict | None:
            try:
                return inner.locator(selector).first.bounding_box(timeout=1_000)
            except PlaywrightTimeoutError:  # not there this moment
                return None

        return wait_until(measured, timeout=15, what=f"{selector} to be drawn")

    parts = {
        "Train": button(page, "Train").or_(button(page, "Pause")).bounding_box(),
        "Step": button(page, "Step").bounding_box(),
        "Reset": button(page, "Reset").bounding_box(),
        "learning rate": page.get_by_test_id("stSelectbox").filter(has_text="learning rate").first.bounding_box(),
        "activation": page.get_by_test_id("stSelectbox").filter(has_text="activation").first.bounding_box(),
        "regularization": page.get_by_test_id("stSelectbox").filter(has_text="regularization").first.bounding_box(),
        "dataset thumbnails": page.frame_locator("iframe[title$='dataset_picker']").get_by_test_id("dataset-xor")
                                  .bounding_box(),
        "noise": page.get_by_test_id("stSlider").filter(has_text="noise").bounding_box(),
        "features": page.get_by_test_id("stButtonGroup").first.bounding_box(),
        "epoch counter": in_frame("[data-number=Epoch]"),
        "network": in_frame("[data-chart=neurons]"),
        "output": in_frame("[data-chart=boundary]"),
        "loss curve": in_frame(".curve .main-svg"),
    }
    assert frame is not None
    return parts


def assert_on_screen(page, size: tuple[int, int], when: str) -> None:
    width, height = size
    assert page.evaluate("() => window.scrollY") == 0
    for name, box in boxes(page).items():
        assert box is not None, f"{name} is not drawn ({when})"
        assert box["x"] >= 0 and box["y"] >= 0, f"{name} starts off screen at {box} ({when})"
        assert box["x"] + box["width"] <= width + 1, f"{name} ends past the right edge: {box} ({when}, {size})"
        assert box["y"] + box["height"] <= height + 1, f"{name} ends below the fold: {box} ({when}, {size})"


@pytest.mark.parametrize("size", VIEWPORTS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_everything_a_playground_shows_fits_one_screen_before_and_while_training(browser, app_url, size):
    page = open_page(browser, app_url, size)
    try:
        wait_until(lambda: boundary_traces(page), what="the untrained model's boundary")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"idle_{size[0]}x{size[1]}.png"))
        assert_on_screen(page, size, "before Train")
        button(page, "Train").click()
        wait_until(lambda: epoch(page) >= 3, what="training to start")
        assert_on_screen(page, size, "while training")
        page.screenshot(path=str(SHOTS / f"training_{size[0]}x{size[1]}.png"))
        button(page, "Pause").click()
    finally:
        page.context.close()


def test_the_untrained_model_is_drawn_and_a_run_stopped_at_its_budget_goes_on(browser, app_url):
    raw = json.loads((ROOT / "presets" / "playground.json").read_text())
    raw["training"] = {**raw.get("training", {}), "epochs": 4}
    page = open_page(browser, app_url, VIEWPORTS[0], f"?e={encode(raw)}")
    try:
        first = wait_until(lambda: boundary_traces(page), what="the boundary before any Train")
        assert first[0]["type"] == "heatmap" and first[0]["rows"] == 100 and epoch(page) == 0
        choose(page, "activation", "ReLU")
        # a new model, new initial weights: the boundary is drawn again, still at epoch 0
        wait_until(lambda: live_frame(page).locator(".speed").inner_text().startswith("ready"), what="a fresh run")
        assert boundary_traces(page) and epoch(page) == 0
        button(page, "Train").click()
        button(page, "Go on").wait_for(timeout=60_000)  # stopped at its budget of 4 epochs
        assert epoch(page) == 4
        button(page, "Go on").click()
        wait_until(lambda: epoch(page) >= 8, what="the run to go on past its budget")
        button(page, "Pause").click()
        button(page, "Resume").wait_for(timeout=30_000)
    finally:
        page.context.close()


# Whether the page's busy sign (a bar along its top) has shown since the last reset, and the
# longest time the page has been busy (a run of it under way) meanwhile: sampled each animation
# frame. The sign waits 0.3 s and fades in over 0.15 s, so a page busy for less shows none.
_WATCH_BUSY = """() => {
    window.busySeen = false;
    window.longestBusyMs = 0;
    let since = null;
    const look = (now) => {
        const app = document.querySelector("[data-testid=stApp]");
        if (app && Number(getComputedStyle(app, "::before").opacity) > 0.5) window.busySeen = true;
        const busy = app && app.getAttribute("data-test-script-state") === "running";
        if (busy && since === null) since = now;
        if (!busy) since = null;
        if (since !== null) window.longestBusyMs = Math.max(window.longestBusyMs, now - since);
        requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
}"""
BUSY_SIGN_AFTER_MS = 450 + 100  # its delay and fade, and a frame or two of sampling


def test_a_train_click_right_after_a_preset_loads_is_never_lost(browser, app_url):
    page = open_page(browser, app_url, VIEWPORTS[0])
    try:
        page.evaluate(_WATCH_BUSY)
        assert not page.evaluate("() => window.busySeen")  # the page at rest shows no busy sign
        for search in ("spiral's curves", "cnn handwritten"):
            page.get_by_role("button", name="Presets", exact=True).click()
            dialog = page.get_by_test_id("stDialog")
            dialog.get_by_test_id("stTextInputField").fill(search)
            dialog.get_by_test_id("stTextInputField").press("Enter")
            loads = dialog.get_by_role("button", name="Load")
            wait_until(lambda found=loads: found.count() == 1, what=f"the search for {search} to leave one card")
            loads.click()
            dialog.wait_for(state="hidden", timeout=30_000)
            # at once, while the page is still drawing the new preset
            button(page, "Train").click(timeout=60_000)
            wait_until(lambda: epoch(page) >= 1, timeout=60, what=f"the click after loading {search} to train")
            seen, longest = page.evaluate("() => [window.busySeen, window.longestBusyMs]")
            assert seen or longest < BUSY_SIGN_AFTER_MS, f"no busy sign while {search} loaded ({longest:.0f} ms)"
            page.evaluate("() => { window.busySeen = false; window.longestBusyMs = 0; }")
    finally:
        page.context.close()


def test_the_presenting_view_fills_a_projector_screen(browser, app_url):
    size = (1920, 1080)
    page = open_page(browser, app_url, size, "?view=present")
    try:
        wait_until(lambda: boundary_traces(page), what="the boundary")
        frame = page.locator("iframe[title$='live_charts']").bounding_box()
        assert frame["width"] >= 0.9 * size[0], f"the live view is {frame['width']} px wide"
        network = live_frame(page).locator("[data-chart=neurons]").bounding_box()
        output = live_frame(page).locator("[data-chart=boundary]").bounding_box()
        assert network["y"] + network["height"] <= size[1] and output["y"] + output["height"] <= size[1]
        assert output["height"] >= 420, f"the output is {output['height']} px tall: too small for a projector"
        # the controls are few: Train, Step, Reset and the rate; no data column, no tabs
        assert page.get_by_test_id("stSelectbox").count() == 1
        assert page.get_by_test_id("stTabs").count() == 0 and page.get_by_test_id("stSlider").count() == 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "present_1920x1080.png"))
        page.get_by_role("button", name="Leave", exact=True).click()
        page.get_by_test_id("stTabs").wait_for(timeout=30_000)
    finally:
        page.context.close()
