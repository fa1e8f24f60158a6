"""Several visitors at once on one server, measured in Chromium: N visitors (one browser, a context
each, loopback only) open the Playground together, press Train, pause and resume a few times, and
reset. Per N: page load to interactive p50/p95, click-to-feedback p95 (Train, Pause, Resume: from
the click to the live view's reading caption that shows the new state, both read in the page), each visitor's training speed
(its epoch counter over a common window), and how many visitors were shown "waiting for a free
training slot" between pressing Train and the end of that window (the server runs at most
NEUROLOOM_MAX_TRAININGS trainings at once, by default one per core).

Run: .venv/bin/python -m benchmarks.load [--quick] [--visitors 1,4,8] [--max-trainings K]
The whole run stops itself at a hard deadline (6 min, 2 min with --quick) and always stops the
server and the browser.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from playwright.async_api import async_playwright, expect

from benchmarks.browser import FINISHED, ROOT, free_port, launch_chromium, wait_healthy
from benchmarks.page import long_run_link, percentile

LIVE_FRAME = "iframe[title$='live_charts']"
WAITING_TEXT = "waiting for a free training slot"
# The run's state is the first words of the live view's reading caption ("training · 14.3 epochs/s · …")
TRAINING, WAITING, PAUSED = "training ·", "⏳ waiting", "paused ·"
CLEANUP_S = 20  # kept back from the deadline to close the contexts, the browser and the server
# The reading caption's text, read from the page through the live charts' frame (same origin)
_CAPTION = """(() => { const f = document.querySelector("iframe[title$='live_charts']");
    const c = f && f.contentDocument && f.contentDocument.querySelector('#reading .caption.speed');
    return c ? c.textContent : ''; })"""

# Whether the reading caption ever said the run waits for a slot. A poll rather than a one-off
# read: it says so only while the run waits, which can be a fraction of a second.
_WATCH_WAITING = """(() => {
    if (window.top !== window) return;
    const caption = """ + _CAPTION + """;
    window.__waited = false;
    setInterval(() => {
        if (!window.__waited && caption().includes('""" + WAITING_TEXT + """')) window.__waited = true;
    }, 100);
})();"""

# As benchmarks.page times a click: from the click event to the first animation frame whose page
# shows one of `expected` at the start of the reading caption, both on the page's clock, so the
# time Playwright (shared by every visitor here) takes to find and click the button is not counted.
_ARM = """(expected) => {
    window.__clickAt = null;
    document.addEventListener('click', e => { if (window.__clickAt === null) window.__clickAt = e.timeStamp; },
                              {capture: true, once: true});
    const caption = """ + _CAPTION + """;
    const shown = () => { const now = caption(); return expected.some(x => now.startsWith(x)); };
    window.__shown = (async () => {
        const giveUp = performance.now() + 30000;
        while (window.__clickAt === null || !shown()) {
            if (performance.now() > giveUp) return -1;
            await new Promise(r => requestAnimationFrame(r));
        }
        return performance.now() - window.__clickAt;
    })();
}"""


class PageBroken(RuntimeError):
    pass


@dataclass
class Visitor:
    index: int
    context: object = None
    page: object = None
    load_s: float | None = None
    clicks_s: list[float] = field(default_factory=list)
    epochs_per_s: float | None = None
    waited: bool = False
    error: str | None = None


@dataclass
class Plan:
    window_s: float  # the common window in which every visitor's epoch counter is read twice
    pauses: int  # Pause-then-Resume pairs per visitor
    load_timeout_s: float


# ---------------------------------------------------------------- the server, with a hard stop


def start_server(log, max_trainings: int | None) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free port, in a session of its own, so that stopping its group
    also stops its fork server and training processes."""
    port = free_port()
    env = dict(os.environ)
    if max_trainings is not None:
        env["NEUROLOOM_MAX_TRAININGS"] = str(max_trainings)
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
    except BaseException:
        stop_server(process)
        raise
    return process, url


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):  # what is left of the group (training processes)
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# ---------------------------------------------------------------- one visitor's steps


def frame(page):
    return page.frame_locator(LIVE_FRAME)


async def epoch(page) -> int:
    text = await frame(page).locator("[data-number=Epoch] .value").inner_text(timeout=10_000)
    return int(text.split("/")[0].replace(",", ""))  # thousands separators


def run_button(page):
    return page.get_by_role("button", name="Train", exact=True).or_(
        page.get_by_role("button", name="Resume", exact=True))


async def click_to_feedback(page, button, expected: list[str]) -> float:
    """Seconds from the click on `button` to the reading caption showing one of `expected`."""
    await page.evaluate(_ARM, expected)
    await button.click(timeout=30_000)
    ms = await page.evaluate("() => window.__shown")
    if ms < 0:
        raise AssertionError(f"the reading caption did not show {expected} within 30 s of the click")
    return ms / 1000


async def open_page(visitor: Visitor, browser, link: str, plan: Plan) -> None:
    """Load to interactive, as benchmarks.page defines it: the Train button enabled, the page's
    run over, and the live view's numbers drawn in its frame."""
    visitor.context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await visitor.context.add_init_script(_WATCH_WAITING)
    page = visitor.page = await visitor.context.new_page()
    timeout_ms = plan.load_timeout_s * 1000
    start = time.perf_counter()
    await page.goto(link, timeout=timeout_ms)
    train = page.get_by_role("button", name="Train", exact=True)
    await train.wait_for(timeout=timeout_ms)
    # waits through the button being drawn again (a plain is_enabled() fails when it is detached)
    await expect(train).to_be_enabled(timeout=max(1000, (start + plan.load_timeout_s - time.perf_counter()) * 1000))
    await page.locator(FINISHED).wait_for(timeout=timeout_ms)
    await frame(page).locator("[data-number=Epoch]").wait_for(timeout=timeout_ms)
    visitor.load_s = time.perf_counter() - start


async def press_train(visitor: Visitor) -> None:
    page = visitor.page
    button = page.get_by_role("button", name="Train", exact=True)
    visitor.clicks_s.append(await click_to_feedback(page, button, [TRAINING, WAITING]))


async def pause_and_resume(visitor: Visitor, plan: Plan) -> None:
    page = visitor.page
    for _ in range(plan.pauses):
        await asyncio.sleep(0.4)  # as a person would: not faster than the page can answer
        pause = page.get_by_role("button", name="Pause", exact=True)
        visitor.clicks_s.append(await click_to_feedback(page, pause, [PAUSED]))
        await asyncio.sleep(0.4)
        visitor.clicks_s.append(await click_to_feedback(page, run_button(page), [TRAINING, WAITING]))


async def reset(visitor: Visitor) -> None:
    """Stop the run (frees its slot) and wait until the page offers Train again."""
    page = visitor.page
    await page.get_by_role("button", name="Reset", exact=True).click(timeout=30_000)
    await expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled(timeout=30_000)


# ---------------------------------------------------------------- a round of N visitors


async def each(visitors: list[Visitor], name: str, step, timeout_s: float) -> None:
    """Run `step(visitor)` for every visitor still going, all at once; a visitor whose step fails
    or runs past `timeout_s` is out of the round, with its error kept."""
    going = [v for v in visitors if v.error is None]

    async def one(visitor: Visitor) -> None:
        try:
            await asyncio.wait_for(step(visitor), timeout_s)
        except Exception as error:  # one visitor's failure is a result, not a crash
            detail = str(error).splitlines()[0] if str(error) else f"over {timeout_s:.0f} s"  # not Playwright's call log
            visitor.error = f"{name}: {type(error).__name__}: {detail}"

    await asyncio.gather(*(one(v) for v in going))


async def throughput(visitors: list[Visitor], window_s: float) -> None:
    """Every visitor's epoch counter read at the start and the end of one common window."""
    going = [v for v in visitors if v.error is None]
    starts = await asyncio.gather(*(_stamped_epoch(v) for v in going), return_exceptions=True)
    await asyncio.sleep(window_s)
    ends = await asyncio.gather(*(_stamped_epoch(v) for v in going), return_exceptions=True)
    for visitor, first, last in zip(going, starts, ends, strict=True):
        if isinstance(first, BaseException) or isinstance(last, BaseException):
            visitor.error = f"epoch counter: {first if isinstance(first, BaseException) else last}"
        else:
            visitor.epochs_per_s = (last[1] - first[1]) / (last[0] - first[0])


async def _stamped_epoch(visitor: Visitor) -> tuple[float, int]:
    value = await epoch(visitor.page)
    return time.perf_counter(), value


async def one_round(browser, link: str, n: int, plan: Plan, visitors: list[Visitor]) -> None:
    visitors += [Visitor(i) for i in range(n)]
    # every visitor opens the page at once: the contexts are made in the same step
    await each(visitors, "page load", lambda v: open_page(v, browser, link, plan), plan.load_timeout_s + 15)
    progress(f"N={n}: pages loaded")
    await each(visitors, "Train", press_train, 45)
    await asyncio.sleep(1.0)  # the runs that got a slot are past their first epochs
    await throughput(visitors, plan.window_s)
    # read now: later, Pause and Resume hand slots round, and a visitor may wait for that reason
    await each(visitors, "waiting check", _note_waited, 10)
    progress(f"N={n}: training speed read")
    await each(visitors, "Pause/Resume", lambda v: pause_and_resume(v, plan), 45 * 2 * plan.pauses)
    await each(visitors, "Reset", reset, 40)
    progress(f"N={n}: runs reset")


_T0 = time.monotonic()


def progress(message: str) -> None:
    """A line on stderr, so a slow run shows where its time goes."""
    print(f"[{time.monotonic() - _T0:6.1f} s] {message}", file=sys.stderr, flush=True)


async def _note_waited(visitor: Visitor) -> None:
    visitor.waited = bool(await visitor.page.evaluate("() => window.__waited"))


async def close_all(visitors: list[Visitor]) -> None:
    async def close(visitor: Visitor) -> None:
        if visitor.context is not None:
            with contextlib.suppress(Exception):  # the browser closes it at the end regardless
                await asyncio.wait_for(visitor.context.close(), 8)

    await asyncio.gather(*(close(v) for v in visitors))


async def warm_up(browser, link: str, plan: Plan) -> None:
    """One visit before the rounds, not measured: the server's first page run imports the engine
    and torch and starts the fork server, which would count against N=1 only."""
    visitor = Visitor(-1)
    try:
        await asyncio.wait_for(open_page(visitor, browser, link, plan), plan.load_timeout_s + 15)
    finally:
        await close_all([visitor])


async def benchmark(url: str, counts: list[int], plan: Plan, deadline: float) -> dict[int, list[Visitor] | str]:
    link = long_run_link(url)
    results: dict[int, list[Visitor] | str] = {}
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            progress("server up; warming it up with one visit")
            try:
                await asyncio.wait_for(warm_up(browser, link, plan), max(1.0, deadline - time.monotonic() - CLEANUP_S))
            except Exception as error:  # the page itself is broken: no round could measure anything
                raise PageBroken(f"a single visitor's page did not become interactive ({type(error).__name__})") from error
            progress("warm-up visit done")
            for n in counts:
                left = deadline - time.monotonic() - CLEANUP_S
                if left < 10:
                    results[n] = "skipped: no time left before the deadline"
                    continue
                visitors: list[Visitor] = []
                try:
                    await asyncio.wait_for(one_round(browser, link, n, plan, visitors), left)
                    results[n] = visitors
                except TimeoutError:  # what the round measured so far still shows
                    results[n] = visitors
                    for visitor in visitors:
                        visitor.error = visitor.error or "the round stopped at the deadline"
                    progress(f"N={n}: stopped at the deadline")
                finally:
                    await close_all(visitors)
                await asyncio.sleep(2)  # the server lets the closed tabs' sessions go
        finally:
            await browser.close()
    return results


# ---------------------------------------------------------------- the table


def table(results: dict[int, list[Visitor] | str]) -> str:
    header = (f"{'N':>3} {'ok':>3} {'load p50 (ms)':>14} {'load p95 (ms)':>14} {'click p95 (ms)':>15} "
              f"{'epochs/s/visitor mean':>22} {'min':>6} {'max':>6} {'total epochs/s':>15} {'waited at Train':>16}")
    lines = [header]
    notes = []
    for n, outcome in results.items():
        if isinstance(outcome, str):
            lines.append(f"{n:>3}  {outcome}")
            continue
        ok = [v for v in outcome if v.error is None]
        errors = collections.Counter(v.error for v in outcome if v.error)  # N alike failures, one line
        notes += [f"N={n}, {count} of {len(outcome)} visitors: {error}" for error, count in errors.items()]
        loads = [v.load_s for v in outcome if v.load_s is not None]
        clicks = [c for v in outcome for c in v.clicks_s]
        speeds = [v.epochs_per_s for v in outcome if v.epochs_per_s is not None]

        def ms(values, q):
            return f"{percentile(values, q) * 1000:.0f}" if values else "-"

        def rate(value, speeds=speeds):
            return f"{value:.1f}" if speeds else "-"

        lines.append(f"{n:>3} {len(ok):>3} {ms(loads, 0.5):>14} {ms(loads, 0.95):>14} {ms(clicks, 0.95):>15} "
                     f"{rate(statistics.fmean(speeds) if speeds else 0):>22} {rate(min(speeds, default=0)):>6} "
                     f"{rate(max(speeds, default=0)):>6} {rate(sum(speeds)):>15} "
                     f"{sum(v.waited for v in outcome):>16}")
    return "\n".join(lines + notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (under 2 minutes)")
    parser.add_argument("--visitors", default="1,4,8", help="comma-separated visitor counts (default 1,4,8)")
    parser.add_argument("--max-trainings", type=int, default=None,
                        help="the server's NEUROLOOM_MAX_TRAININGS (default: as the environment has it, else one per core)")
    parser.add_argument("--deadline", type=float, default=None, help="hard limit in seconds (default 360, 120 with --quick)")
    args = parser.parse_args()
    counts = [int(n) for n in args.visitors.split(",") if n.strip()]
    if not counts or min(counts) < 1 or max(counts) > 16:
        parser.error("--visitors takes counts from 1 to 16")
    limit_s = args.deadline or (120 if args.quick else 360)
    plan = Plan(window_s=3 if args.quick else 6, pauses=1 if args.quick else 2, load_timeout_s=60 if args.quick else 150)
    deadline = time.monotonic() + limit_s
    log_path = os.path.join(tempfile.gettempdir(), f"neuroloom-load-{os.getpid()}.log")
    server: list[subprocess.Popen] = []

    # Should anything hang in spite of every timeout, this ends the run at the deadline: the
    # server's group goes, and the Playwright driver takes Chromium with it when this process exits.
    def hard_stop() -> None:
        print(f"hard deadline of {limit_s:.0f} s reached: stopping", file=sys.stderr, flush=True)
        for process in server:
            stop_server(process)
        os._exit(3)

    watchdog = threading.Timer(limit_s, hard_stop)
    watchdog.daemon = True
    watchdog.start()
    try:
        with open(log_path, "w") as log:
            process, url = start_server(log, args.max_trainings)
            server.append(process)
            try:
                results = asyncio.run(benchmark(url, counts, plan, deadline))
            finally:
                stop_server(process)
    except PageBroken as error:
        print(f"{error}; the server's log ends:", file=sys.stderr)
        with open(log_path) as log:
            print("".join(log.readlines()[-25:]), file=sys.stderr)
        sys.exit(1)
    finally:
        watchdog.cancel()
    cap = args.max_trainings or os.environ.get("NEUROLOOM_MAX_TRAININGS") or f"{os.cpu_count()} (one per core)"
    print(f"one server, training cap {cap}; the default experiment; {plan.window_s:g} s speed window; "
          f"{1 + 2 * plan.pauses} clicks per visitor (Train, then Pause and Resume); server log {log_path}")
    print(table(results))

if __name__ == "__main__":
    main()
