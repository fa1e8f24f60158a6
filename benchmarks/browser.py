"""The real page for tests and benchmarks: `streamlit run app.py` on a free localhost port, and
Debian's Chromium driven by Playwright (it cannot download browsers on this network)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out of this closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not become healthy at {url} within {timeout} s")


@contextmanager
def serve_app(log: IO[str] | int = subprocess.DEVNULL) -> Iterator[str]:
    """Run the app on a free port; yields its URL and stops the server on exit."""
    with serve_process(log) as (url, _):
        yield url


@contextmanager
def serve_process(log: IO[str] | int = subprocess.DEVNULL, env: dict[str, str] | None = None
                  ) -> Iterator[tuple[str, subprocess.Popen]]:
    """`serve_app` with settings added to the environment; yields the URL and the process."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]
    # a measuring server keeps its runs apart from the checkout's run store, and leaves none behind
    with tempfile.TemporaryDirectory(prefix="neuroloom-home-") as home:
        settings = {"NEUROLOOM_HOME": home, **os.environ, **(env or {})}
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=settings)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, process)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


FINISHED = "[data-testid='stApp'][data-test-script-state='notRunning']"  # the page's run is over


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# Streamlit's plotly charts and the live charts' frame draw with plotly.js; each chart's element
# carries its full figure data.
_CHART_TRACES = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => (el._fullData || []).map(t => ({
    name: t.name || null, type: t.type, visible: t.visible !== false,
    y: t.type === 'scatter' && t.y ? Array.from(t.y) : null,
    rows: t.z ? t.z.length : 0, stops: t.colorscale ? t.colorscale.length : 0,
    text: Array.isArray(t.text) ? Array.from(t.text).join('\\n') : (t.text || ''),
})))"""


def chart_traces(page) -> list[list[dict]]:
    """Every plotly chart on the page and in its frames, as a list of its traces (name, type,
    visible, y, heatmap rows, colour-scale stops, text)."""
    charts = []
    for frame in page.frames:
        with suppress(PlaywrightError):  # a frame that went away meanwhile
            charts += frame.evaluate(_CHART_TRACES)
    return charts


def title_bar(page):
    """The page's name in its one-line title bar (bold text beside an icon, not a heading)."""
    return page.locator("[data-testid=stMarkdownContainer] strong").filter(has_text="NeuroLoom").first


def live_frame(page):
    """The frame that draws the live charts."""
    return page.frame_locator("iframe[title$='live_charts']")


def train_loss(page) -> list[float]:
    """The points of the live view's train-loss curve (empty before the first one)."""
    for traces in chart_traces(page):
        for trace in traces:
            if trace["name"] == "train loss":
                return [y for y in trace["y"] if y is not None]
    return []


def is_boundary(traces: list[dict]) -> bool:
    """Whether a chart's traces are the decision boundary: a heatmap under the data points."""
    return [t["type"] for t in traces][:1] == ["heatmap"] and any(t["type"] == "scatter" for t in traces)


def boundary_traces(page) -> list[dict]:
    """The decision-boundary chart's visible traces (empty when not drawn)."""
    return next(([t for t in traces if t["visible"]] for traces in chart_traces(page) if is_boundary(traces)), [])


def reading_caption(page):
    """The live view's reading caption: the run's state word first ("ready", "training",
    "paused", "at its epoch budget", "⏳ waiting for a free training slot", …), then its speed,
    learning rate and device."""
    return live_frame(page).locator("#reading .caption.speed")


def run_state(page, state: str):
    """The reading caption while it says the run is in `state` (a locator to wait for)."""
    return reading_caption(page).filter(has_text=re.compile(rf"^{re.escape(state)} ·"))


def epoch(page) -> int:
    """The live view's epoch counter."""
    value = live_frame(page).locator("[data-number=Epoch] .value").inner_text()
    return int(value.split("/")[0].replace(",", ""))


def page_says(page) -> str:
    """What the page tells its user now (the reading caption and any alerts): for a failure's message."""
    try:
        caption = reading_caption(page).all_inner_texts()
        alerts = page.get_by_test_id("stAlert").all_inner_texts()
    except Exception as err:  # a closed or crashed page says so
        return f"(the page could not be read: {err})"
    return " | ".join(text.strip() for text in caption + alerts if text.strip()) or "(nothing)"


def wait_until(check, timeout: float = 30.0, what: str = "condition", every: float = 0.02, said=None):
    """Poll `check` until it returns something truthy; raise after `timeout` seconds (with what
    `said()` tells, when given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f"; the page says: {said()}" if said else ""))
