"""The page as a hostile visitor meets it, in real Chromium against a real `streamlit run`: links
and uploaded files that name the server's files, links that ask for more memory than the machine
has, many live streams, and several tabs that all want to train at once."""

from __future__ import annotations

import copy
import http.client
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from benchmarks.browser import FINISHED, run_state, serve_process
from engine.share import encode
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

PLAYGROUND = json.loads((ROOT / "presets" / "playground.json").read_text())
SECRET = "DB_PASSWORD=s3cr3t-hunter2"
WAITING = "⏳ waiting for a free training slot"  # a run's state while the server's slots are taken
SETTINGS = {
    "NEUROLOOM_MAX_TRAININGS": "1",  # one slot: the queue's order shows
    "NEUROLOOM_SLICE_S": "600",  # no turns within these tests
    "NEUROLOOM_FEED_STREAMS": "6",
    "NEUROLOOM_FEED_STREAMS_PER_TAB": "2",
}


@contextmanager
def server(state: Path, **settings: str) -> Iterator[tuple[str, int]]:
    """`streamlit run app.py` with these settings; yields its URL and process id."""
    with (state / "server.log").open("w") as log, \
            serve_process(log, {"NEUROLOOM_STATE_DIR": str(state), **settings}) as (url, process):
        yield url, process.pid


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    with server(state, **SETTINGS) as (url, pid):
        yield url, pid


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secrets.csv"
    path.write_text(f"user,{SECRET}\n" + "".join(f"alice{i},{i}\n" for i in range(40)))
    return path


@pytest.fixture
def visitor(browser):
    """A new browser context (a visitor of its own), which records every frame the server sent."""
    contexts = []

    def open_page(url: str):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.received = []  # everything the server sent over the page's WebSocket
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: page.received.append(
            payload if isinstance(payload, bytes) else payload.encode())))
        page.goto(url)
        return page

    yield open_page
    for context in contexts:
        context.close()


def link(url: str, **changes) -> str:
    raw = copy.deepcopy(PLAYGROUND)
    raw.update(changes)
    return f"{url}/?e={encode(raw)}"


def settled(page) -> None:
    page.locator(FINISHED).wait_for(timeout=60_000)


def everything_the_page_got(page) -> bytes:
    """The server's replies (WebSocket frames) and every frame's document, as bytes."""
    documents = []
    for frame in page.frames:
        try:
            documents.append(frame.content().encode())
        except Exception:  # a frame that went away meanwhile
            continue
    return b"\n".join([*page.received, *documents])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    return parents


def trainers(pid: int) -> int:
    """Training workers under the server now: the children of its fork server (workers fork
    from it, with torch loaded)."""
    parents = _parents()
    servers = set()
    for child, parent in parents.items():
        try:
            if parent == pid and b"forkserver" in Path(f"/proc/{child}/cmdline").read_bytes():
                servers.add(child)
        except OSError:
            continue
    return sum(1 for parent in parents.values() if parent in servers)


# -- server files --------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["secret", "etc_passwd"])
def test_a_link_naming_a_server_file_reads_nothing(site, visitor, secret_file, target):
    url, _ = site
    path, marker = (str(secret_file), SECRET) if target == "secret" else ("/etc/passwd", "root:x:0:0")
    page = visitor(link(url, data={"dataset": "csv", "path": path, "target": "user"}))
    page.get_by_text("this experiment reads a file from the computer it was made on").first.wait_for(timeout=60_000)
    settled(page)
    got = everything_the_page_got(page)
    assert marker.encode() not in got and b"alice" not in got
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_disabled(timeout=60_000)


def test_an_uploaded_experiment_file_naming_a_server_file_reads_nothing(site, visitor, secret_file):
    url, _ = site
    page = visitor(url)
    settled(page)
    page.get_by_role("tab", name="Experiment file", exact=True).click()  # only the open tab is drawn
    hostile = {**copy.deepcopy(PLAYGROUND), "data": {"dataset": "csv", "path": str(secret_file), "target": "user"}}
    page.get_by_test_id("stFileUploader").filter(has_text="Open an experiment file").locator("input[type=file]").set_input_files(
        files=[{"name": "shared.json", "mimeType": "application/json", "buffer": json.dumps(hostile).encode()}])
    load = page.get_by_role("button", name="Load shared.json (1 problems to fix)")
    load.wait_for(timeout=60_000)
    load.click()
    page.get_by_text("this experiment reads a file from the computer it was made on").first.wait_for(timeout=60_000)
    settled(page)
    assert SECRET.encode() not in everything_the_page_got(page)


# -- memory -------------------------------------------------------------------------------------


def test_links_asking_for_more_memory_than_the_machine_has_are_refused_before_allocating(site, visitor):
    url, pid = site
    wide = {"input": {"shape": [2]}, "nodes": [{"id": "wide", "type": "Linear", "params": {"out_features": 1000000}},
                                               {"id": "out", "type": "Linear", "params": {"out_features": 1}}]}
    big_model = link(url, model=wide, data={"dataset": "circle", "n_samples": 200000})
    big_data = link(url, model={"input": {"shape": [512], "dtype": "long"}, "nodes": [
        {"id": "emb", "type": "Embedding", "params": {"num_embeddings": 1000, "embedding_dim": 8}},
        {"id": "out", "type": "Linear", "params": {"out_features": 1000}}]},
        data={"dataset": "reverse", "seq_len": 512, "vocab": 1000, "n_samples": 200000},
        training={"loss": "cross_entropy"})
    first = visitor(url)
    settled(first)
    before = rss_kib(pid)
    for address in (big_model, big_data):
        page = visitor(address)
        page.get_by_text("over the limit of").first.wait_for(timeout=60_000)
        settled(page)
        expect(page.get_by_role("button", name="Train", exact=True)).to_be_disabled(timeout=60_000)
    assert rss_kib(pid) - before < 150 * 1024, "the server grew by more than a page's worth"
    assert trainers(pid) == 0


# -- streams ------------------------------------------------------------------------------------


def feed_path(page) -> str:
    """The path of the tab's live feed, as its live charts' frame asks for it on a fresh load."""
    with page.expect_request(lambda r: "/api/neuroloom/live/" in r.url, timeout=60_000) as asked:
        page.reload()
    return urlsplit(asked.value.url).path


def open_stream(url: str, path: str) -> tuple[http.client.HTTPConnection, int]:
    host = urlsplit(url)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    connection.response = response
    return connection, response.status


def test_a_tab_holds_at_most_two_streams_its_oldest_ends(site, visitor):
    url, _ = site
    tab = visitor(url)
    settled(tab)
    path = feed_path(tab)
    opened = []
    try:
        for _ in range(3):
            connection, status = open_stream(url, path)
            opened.append(connection)
            assert status == 200
        # the oldest of this tab's streams was ended by the newer ones: its body ends (no timeout)
        opened[0].response.read()
        assert opened[0].response.isclosed()
    finally:
        for connection in opened:
            connection.close()


def test_too_many_streams_get_429_and_pages_still_load(site, visitor):
    url, _ = site
    tabs = [visitor(url) for _ in range(4)]
    paths = []
    for tab in tabs:
        settled(tab)
        paths.append(feed_path(tab))
    opened, statuses = [], []
    try:
        for path in paths:
            for _ in range(3):  # three a tab: each tab keeps its newest two
                connection, status = open_stream(url, path)
                opened.append(connection)
                statuses.append(status)
        assert 429 in statuses, statuses
        assert statuses.count(200) <= int(SETTINGS["NEUROLOOM_FEED_STREAMS"]) + len(paths), statuses
        fresh = visitor(url)  # static files and a new page still come
        fresh.get_by_role("button", name="Train", exact=True).wait_for(timeout=60_000)
    finally:
        for connection in opened:
            connection.close()


# -- fair sharing -------------------------------------------------------------------------------


def test_tabs_start_no_workers_until_train_and_the_queue_is_first_come_first_served(site, visitor):
    url, pid = site
    long_run = link(url, training={**PLAYGROUND["training"], "epochs": 100_000})
    tabs = [visitor(long_run) for _ in range(4)]  # three train, one only watches
    for tab in tabs:
        tab.get_by_role("button", name="Train", exact=True).wait_for(timeout=60_000)
        settled(tab)
    assert trainers(pid) == 0, "workers started before anyone pressed Train"
    first, second, third = tabs[:3]
    # the run's state is the first word of the live view's reading caption
    first.get_by_role("button", name="Train", exact=True).click()
    run_state(first, "training").wait_for(timeout=60_000)
    first.get_by_role("button", name="Pause", exact=True).click()
    run_state(first, "paused").wait_for(timeout=60_000)
    first.get_by_role("button", name="Resume", exact=True).click()  # holds the one slot again
    run_state(first, "training").wait_for(timeout=60_000)
    second.get_by_role("button", name="Train", exact=True).click()
    run_state(second, WAITING).wait_for(timeout=60_000)
    third.get_by_role("button", name="Train", exact=True).click()
    run_state(third, WAITING).wait_for(timeout=60_000)
    assert trainers(pid) == 3
    first.get_by_role("button", name="Pause", exact=True).click()  # frees the slot: the earlier waiter gets it
    run_state(second, "training").wait_for(timeout=60_000)
    assert run_state(third, WAITING).count() == 1
    second.get_by_role("button", name="Pause", exact=True).click()  # and now the third's turn
    run_state(third, "training").wait_for(timeout=60_000)
    for tab in tabs:
        assert tab.locator("[data-testid='stException']").count() == 0


def test_a_web_run_stops_at_the_servers_epoch_limit_and_says_why(tmp_path, visitor):
    with server(tmp_path, NEUROLOOM_WEB_MAX_EPOCHS="25") as (url, _):
        page = visitor(link(url, training={**PLAYGROUND["training"], "epochs": 100_000}))
        page.get_by_role("button", name="Train", exact=True).click(timeout=60_000)
        page.get_by_text("runs on this server are limited to 25 epochs").first.wait_for(timeout=120_000)
        assert page.locator("[data-testid='stException']").count() == 0
