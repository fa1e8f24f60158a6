"""Browser fixtures: a real `streamlit run` on a free port and Debian's Chromium via Playwright.

Under CI (CI=true) a missing browser fails the run instead of skipping, so CI proves the page.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.browser import CHROMIUM, launch_chromium, serve_app
from tests.conftest import ROOT

ARTIFACTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The real app under `streamlit run`; its log is kept with the test's temporary files."""
    with (tmp_path_factory.mktemp("streamlit") / "server.log").open("w") as log, serve_app(log) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}; `make test` installs it (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, request):
    """A fresh page; its screenshot is saved under artifacts/screenshots at teardown."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    new_page = context.new_page()
    errors: list[str] = []
    new_page.on("pageerror", lambda err: errors.append(str(err)))
    new_page.errors = errors
    yield new_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    new_page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
