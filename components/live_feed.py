"""The live view's own route: a tab's live charts' frame reads its run's newest numbers (and now
and then the loss curve) from here, with no run of the page behind each update. Those runs cost
the browser about 75 ms of its main thread each, six times a second, and a click had to wait
behind them; the page now runs only for the pictures, twice a second.

The route streams server-sent events: while training, a reading each beat; idle, only news. A
click on Train, Pause, Step or Reset, or a new learning rate, `nudge`s the feed, so the frame
shows it at once, before the page's own run has drawn it. (One event is one task on the
browser's main thread; a fetch's answer took several, each queued behind the page's work.)

Each tab's feed has a secret token; the route answers only for tokens of open tabs. It is served
when `streamlit run app.py` serves `app.py`'s `st.App` (see `routes`); without it the frame
falls back to the numbers each run of the page sends."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from components import live_reading
from engine.training.trainer import RUNNING, WAITING

PATH = "/api/neuroloom/live/"
BEAT_S = 0.15  # while training, the numbers about six times a second
CURVE_S = 0.45  # the curve about twice a second: its redraw costs the browser more
IDLE_S = 15.0  # idle, a comment this often keeps the connection
_feeds: dict[str, dict[str, Any]] = {}  # token -> the tab's holder of its trainer
_served = False


def routes() -> list[Route]:
    """The routes for `st.App`; calling this says the feed is served by this process."""
    global _served
    _served = True
    return [Route(PATH + "{token}", answer, methods=["GET"])]


def served() -> bool:
    return _served


def path(holder: dict[str, Any]) -> str:
    """The feed's path for the tab whose trainer `holder` holds (`holder["trainer"]`)."""
    if "feed_token" not in holder:
        holder["feed_token"] = secrets.token_urlsafe(18)
    token = holder["feed_token"]
    _feeds[token] = holder
    return PATH + token


def forget(holder: dict[str, Any]) -> None:
    """The tab closed: its feed answers no more, and its open streams end."""
    _feeds.pop(holder.get("feed_token", ""), None)
    nudge(holder)


def nudge(holder: dict[str, Any]) -> None:
    """Something the frame must show at once happened (from any thread): every stream of the
    tab sends its reading now, not at its next beat."""
    for loop, event in list(holder.get("feed_wakers", ())):
        with contextlib.suppress(RuntimeError):  # the server's loop has closed
            loop.call_soon_threadsafe(event.set)


def _read(holder: dict[str, Any], curve: bool, asked: bool = True) -> dict[str, Any] | None:
    """The reading of the tab's run now (None when it has no trainer). `asked`: from the
    training process (in a worker thread: it answers through a pipe); otherwise the snapshot of
    its last answer, which a nudge's click or new rate has just brought."""
    trainer = holder.get("trainer")
    if trainer is None:
        return None
    snapshot = trainer.snapshot(visuals=False) if asked else trainer.last_snapshot()
    history = trainer.history() if curve else None
    return live_reading.read(id(trainer), snapshot, history)


async def _readings(holder: dict[str, Any], token: str) -> AsyncIterator[str]:
    """Server-sent events: a reading whenever the run shows something new, at most one a beat
    while training (with the curve at most every CURVE_S), at once when nudged; a comment now and
    then while idle, so the connection is kept."""
    loop, event = asyncio.get_running_loop(), asyncio.Event()
    waker = (loop, event)
    holder.setdefault("feed_wakers", set()).add(waker)
    sent_key, curve_at, training, follow_up = "", float("-inf"), False, True
    try:
        while _feeds.get(token) is holder:
            if not event.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), BEAT_S if training or follow_up else IDLE_S)
            nudged = event.is_set()
            event.clear()
            curve = not nudged and (follow_up or loop.time() - curve_at >= CURVE_S)
            reading = _read(holder, False, asked=False) if nudged else await run_in_threadpool(_read, holder, curve)
            if reading is None:
                break
            was_training, training = training, reading["state"] in (RUNNING, WAITING)
            # news (a click, a run's end) goes at once; its curve follows a beat later
            follow_up = nudged or (was_training and not training and not curve)
            if curve:
                curve_at = loop.time()
            if reading["key"] != sent_key or curve:
                sent_key = reading["key"]
                yield f"data: {json.dumps(reading, separators=(',', ':'))}\n\n"
            elif not nudged:
                yield ": still here\n\n"
    finally:
        holder["feed_wakers"].discard(waker)


async def answer(request: Request) -> Response:
    """The tab's readings as server-sent events (`text/event-stream`); 404 for a token of no open
    tab."""
    token = request.path_params["token"]
    holder = _feeds.get(token)
    if holder is None:
        return JSONResponse({"error": "no open tab has this feed"}, status_code=404)
    return StreamingResponse(_readings(holder, token), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
