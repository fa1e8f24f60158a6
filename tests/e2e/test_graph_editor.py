"""The graph editor with a real mouse and keyboard in Chromium, through the contract's test ids
(CONTRACT.md, section 4): open the default network in the canvas, drop a layer on a wire, build a
residual block, see a cycle and a shape mismatch refused, delete / undo / redo, copy and paste, and
reload the share link to the same graph and layout."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from benchmarks.browser import wait_until
from engine.share import decode
from tests.e2e.test_training_flow import button, open_app, settled

pytestmark = pytest.mark.browser
WAIT_MS = 30_000


def editor(page):
    return page.frame_locator("iframe[title$='graph_editor']")


def node(page, node_id: str):
    return editor(page).get_by_test_id(f"nl-node-{node_id}")


def edge(page, source: str, target: str):
    return editor(page).get_by_test_id(f"nl-edge-{source}-{target}")


def centre(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None, locator
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag(page, source, target) -> None:
    """Press on `source`, move in steps (as a hand does: drag-and-drop needs moves) and release on
    `target` (a locator, or a point). The pointer passes the canvas's middle first: held near its
    edge while wiring, the canvas pans, and a target measured before would have moved."""
    x, y = centre(source)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 8, y + 8, steps=3)
    middle = centre(editor(page).get_by_test_id("nl-canvas"))
    page.mouse.move(*middle, steps=6)
    page.wait_for_timeout(100)
    page.mouse.move(*(target if isinstance(target, tuple) else centre(target)), steps=8)
    page.mouse.up()


def experiment(page) -> dict:
    """The experiment in the address bar."""
    code = page.evaluate("() => new URLSearchParams(window.location.search).get('e')")
    return decode(code)


def wires(page) -> set[tuple[str, str]]:
    model = experiment(page)["model"]
    previous, found = "input", set()
    for entry in model["nodes"]:
        for source in entry.get("inputs") or [previous]:
            found.add((source, entry["id"]))
        previous = entry["id"]
    return found


def in_link(page, holds) -> None:
    """Wait for the link to show an edit: the canvas draws it first, then the page follows."""
    wait_until(lambda: holds(wires(page)), what="the edit in the link")


def palette_entry(page, kind: str):
    """A palette entry, found as a person does in a long palette: by typing in its search box."""
    editor(page).get_by_placeholder("Search layers").fill(kind)
    return editor(page).get_by_test_id(f"nl-palette-{kind}")


def fit(page) -> None:
    """Close the node card if it is open (in a narrow frame it floats over the canvas) and show the
    whole graph."""
    close = editor(page).get_by_test_id("nl-inspector-close")
    if close.is_visible():
        close.click()
    editor(page).get_by_role("button", name="Fit", exact=True).click()
    viewport = editor(page).locator(".react-flow__viewport")
    before, deadline = None, time.monotonic() + 10
    while time.monotonic() < deadline:  # the fit's animation is over when the view holds still
        page.wait_for_timeout(150)
        now = viewport.evaluate("e => e.style.transform")
        if now == before:
            return
        before = now


def wire_ports(page, source: str, target: str) -> None:
    fit(page)
    drag(page, editor(page).get_by_test_id(f"nl-port-out-{source}"), editor(page).get_by_test_id(f"nl-port-in-{target}"))


def notice(page):
    return editor(page).get_by_test_id("nl-notice")


def open_canvas(page, app_url: str) -> None:
    open_app(page, app_url)
    settled(page)
    button(page, "Canvas").click()
    node(page, "h2").wait_for(timeout=WAIT_MS)
    fit(page)


def test_drop_a_layer_on_a_wire_and_build_a_residual_block(page, app_url):
    open_canvas(page, app_url)
    expect(node(page, "h1")).to_contain_text("[4]")  # its output shape
    expect(edge(page, "a1", "h2")).to_be_attached()

    # Linear from the palette onto the wire a1 -> h2: inserted there
    wire = edge(page, "a1", "h2").locator("path").first
    drag(page, palette_entry(page, "Linear"), centre(wire))
    node(page, "linear1").wait_for(timeout=WAIT_MS)
    expect(edge(page, "a1", "linear1")).to_be_attached(timeout=WAIT_MS)
    expect(edge(page, "linear1", "h2")).to_be_attached(timeout=WAIT_MS)
    in_link(page, lambda w: {("a1", "linear1"), ("linear1", "h2")} <= w)

    # Add on the empty canvas beside the chain, then both of its inputs and its output wired by dragging ports
    fit(page)
    canvas = editor(page).get_by_test_id("nl-canvas").bounding_box()
    spot = (canvas["x"] + canvas["width"] * 0.15, canvas["y"] + canvas["height"] * 0.6)
    drag(page, palette_entry(page, "Add"), spot)
    node(page, "add1").wait_for(timeout=WAIT_MS)
    for source in ("a2", "input"):  # the branch, and the skip connection from the input ([2] both)
        wire_ports(page, source, "add1")
        expect(edge(page, source, "add1")).to_be_attached(timeout=WAIT_MS)
    wire_ports(page, "add1", "out")
    expect(edge(page, "add1", "out")).to_be_attached(timeout=WAIT_MS)
    expect(edge(page, "a2", "out")).not_to_be_attached()
    in_link(page, lambda w: {("a2", "add1"), ("input", "add1"), ("add1", "out")} <= w)
    expect(node(page, "add1")).to_contain_text("[2]")

    # a cycle, then a shape that Add cannot take: refused at the drop, with the reason
    wire_ports(page, "out", "h1")
    expect(notice(page)).to_contain_text("cycle", timeout=WAIT_MS)
    wire_ports(page, "a1", "add1")
    expect(notice(page)).to_contain_text("add1", timeout=WAIT_MS)
    expect(edge(page, "a1", "add1")).not_to_be_attached()
    assert ("out", "h1") not in wires(page) and ("a1", "add1") not in wires(page)
    assert not page.errors, page.errors


def test_delete_undo_redo_copy_paste_and_the_link_keeps_graph_and_layout(page, app_url, browser):
    open_canvas(page, app_url)
    # a double click opens the node's card: a new parameter value shows at once as the new shapes
    node(page, "h1").dblclick()
    field = editor(page).get_by_label("out_features")
    field.fill("6")
    field.press("Enter")
    expect(node(page, "h1")).to_contain_text("[6]", timeout=WAIT_MS)
    expect(node(page, "a1")).to_contain_text("[6]")
    fit(page)

    # delete with the Delete key; undo and redo with the keyboard
    node(page, "a1").click()
    page.keyboard.press("Delete")
    expect(node(page, "a1")).not_to_be_attached(timeout=WAIT_MS)
    in_link(page, lambda w: ("h1", "h2") in w)  # its neighbours stay joined
    page.keyboard.press("Control+z")
    node(page, "a1").wait_for(timeout=WAIT_MS)
    in_link(page, lambda w: ("a1", "h2") in w)
    page.keyboard.press("Control+Shift+z")
    expect(node(page, "a1")).not_to_be_attached(timeout=WAIT_MS)
    page.keyboard.press("Control+z")
    node(page, "a1").wait_for(timeout=WAIT_MS)

    # copy h1 and a1 together, paste: two new nodes with their inner wire
    node(page, "h1").click()
    node(page, "a1").click(modifiers=["Shift"])
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    node(page, "linear1").wait_for(timeout=WAIT_MS)
    node(page, "tanh1").wait_for(timeout=WAIT_MS)
    expect(edge(page, "linear1", "tanh1")).to_be_attached(timeout=WAIT_MS)

    # move a node by hand: its place goes into the experiment, and the link brings it back
    fit(page)
    start = centre(node(page, "out"))
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 40, start[1] + 60, steps=8)
    page.mouse.up()
    wait_until(lambda: "out" in (experiment(page)["model"].get("layout") or {}), what="the move in the link")
    shared = experiment(page)
    place = node(page, "out").evaluate("n => n.closest('.react-flow__node').style.transform")

    other = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        other.goto(page.url)
        node(other, "tanh1").wait_for(timeout=WAIT_MS)
        assert experiment(other) == shared
        expect(edge(other, "linear1", "tanh1")).to_be_attached()
        fit(other)  # a long model opens on its top: the whole of it, so the moved node is drawn

        def at_its_place() -> bool:
            moved = node(other, "out")
            return moved.count() > 0 and moved.evaluate("n => n.closest('.react-flow__node').style.transform") == place

        wait_until(at_its_place, what="the moved node at its place")
    finally:
        other.close()
    assert not page.errors, page.errors
