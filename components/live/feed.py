"""The live view's one channel: a tab's live frame reads its run's newest numbers, loss curve and
pictures from here, with no run of the page behind any update. Each run of the page costs the
browser tens of milliseconds of its main thread, and a click had to wait behind them; the page now
runs only when a person acts (and once when a run stops, so its controls follow).

The route streams server-sent events: while training, a reading each beat, with the curve and
the pictures (each chart's figure only when it changed) less often; idle, only news. A
click on Train, Pause, Step or Reset, or a new learning rate, `nudge`s the feed, so the frame
shows it at once, before the page's own run has drawn it. (One event is one task on the
browser's main thread; a fetch's answer took several, each queued behind the page's work.)

Each tab's feed has a secret token; the route answers only for tokens of open tabs. It is served
when `streamlit run app.py` serves `app.py`'s `st.App` (see `routes`); without it the frame
falls back to the numbers each run of the page sends.

Streams are capped, since each holds a connection and a share of the server's loop: a tab keeps at
most NEUROLOOM_FEED_STREAMS_PER_TAB (default 2: a reloaded frame's new stream may overlap its old
one for a moment), and its newest stream ends its oldest; the server serves at most
NEUROLOOM_FEED_STREAMS (default 64) and refuses more with 429, which makes the frame fall back to
the page's runs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from components.live import reading
from components.live.timing import BEAT_S, CHARTS_S, CURVE_S, IDLE_S, RETRY_AFTER_S
from engine.settings import env_int
from engine.training.trainer import RUNNING, WAITING

PATH = "/api/neuroloom/live/"
STREAMS_PER_TAB = env_int("NEUROLOOM_FEED_STREAMS_PER_TAB", 2)
STREAMS = env_int("NEUROLOOM_FEED_STREAMS", 64)
log = logging.getLogger("neuroloom")
_feeds: dict[str, dict[str, Any]] = {}  # token -> the tab's holder of its trainer
_served = False


@dataclass(eq=False)
class _Stream:
    """One open stream's place: the tab it is for, and how to end it early."""
    token: str
    ended: bool = False
    waker: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None  # set once it runs


_open: dict[str, list[_Stream]] = {}  # token -> the tab's open streams, oldest first
_open_lock = threading.Lock()  # forget() may come from a session's release on another thread


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
    token = holder.get("feed_token", "")
    _feeds.pop(token, None)
    with _open_lock:
        streams = _open.pop(token, [])
    for stream in streams:
        _end(stream)
    nudge(holder)


def open_streams(holder: dict[str, Any] | None = None) -> int:
    """How many streams are open: the tab's (whose trainer `holder` holds), or the server's."""
    with _open_lock:
        if holder is not None:
            return len(_open.get(holder.get("feed_token", ""), ()))
        return sum(len(streams) for streams in _open.values())


def _take_place(token: str) -> _Stream | None:
    """A place for a new stream of the tab: its oldest stream's, which ends, when the tab has all
    its places (a reloaded frame must get its feed); None when the server has none left."""
    with _open_lock:
        streams = _open.setdefault(token, [])
        oldest = streams[:max(0, len(streams) - STREAMS_PER_TAB + 1)]
        if not oldest and sum(len(s) for s in _open.values()) >= STREAMS:
            if not streams:
                del _open[token]
            return None
        del streams[:len(oldest)]
        stream = _Stream(token)
        streams.append(stream)
    for old in oldest:
        _end(old)
    return stream


def _give_back(stream: _Stream) -> None:
    with _open_lock:
        streams = _open.get(stream.token, [])
        if stream in streams:
            streams.remove(stream)
            if not streams:
                del _open[stream.token]


def _end(stream: _Stream) -> None:
    """End `stream` at once, from any thread (it may not have started yet)."""
    stream.ended = True
    if stream.waker is not None:
        loop, event = stream.waker
        with contextlib.suppress(RuntimeError):  # the server's loop has closed
            loop.call_soon_threadsafe(event.set)


def nudge(holder: dict[str, Any]) -> None:
    """Something the frame must show at once happened (from any thread): every stream of the
    tab sends its reading now, not at its next beat."""
    for loop, event in list(holder.get("feed_wakers", ())):
        with contextlib.suppress(RuntimeError):  # the server's loop has closed
            loop.call_soon_threadsafe(event.set)


def _read(holder: dict[str, Any], curve: bool, asked: bool = True, pictures: bool = False) -> dict[str, Any] | None:
    """The reading of the tab's run now (None when it has no trainer). `asked`: from the
    training process (in a worker thread: it answers through a pipe); otherwise the snapshot of
    its last answer, which a nudge's click or new rate has just brought. `pictures`: with the
    charts of the tab's scene (the `Chart`s under "charts"), when the scene is this run's."""
    trainer = holder.get("trainer")
    if trainer is None:
        return None
    snapshot = trainer.snapshot(visuals=pictures) if asked else trainer.last_snapshot()
    history = trainer.history() if curve else None
    shown = reading.read(id(trainer), snapshot, history)
    run, scene = holder.get("scene") or (None, None)
    if pictures and asked and run == id(trainer):
        # imported here, not with this module: the server imports the feed before any page runs,
        # and the frame's component must be declared inside a page's run to be served
        from components.live import view

        try:
            shown["charts"] = view.charts(snapshot, scene)
        except Exception:  # a picture that cannot be drawn must not end the stream: the page's next run shows it
            log.exception("live charts")
    return shown


def _sendable(shown: dict[str, Any], sent: dict[str, str]) -> dict[str, Any]:
    """`shown` as the stream sends it: each chart's figure only when its version is new to this
    stream (`sent`: name -> version, updated)."""
    charts = []
    if "charts" in shown:  # a chart that left the view comes back whole (the frame dropped it)
        for name in set(sent) - {chart.name for chart in shown["charts"]}:
            del sent[name]
    for chart in shown.get("charts", ()):
        entry = {"name": chart.name, "version": chart.version, "caption": chart.caption, "options": chart.options,
                 "place": chart.place}
        if sent.get(chart.name) != chart.version:
            entry["figure"] = chart.figure
            sent[chart.name] = chart.version
        charts.append(entry)
    return {**shown, "charts": charts} if "charts" in shown else shown


async def _readings(holder: dict[str, Any], token: str, stream: _Stream | None = None) -> AsyncIterator[str]:
    """Server-sent events: a reading whenever the run shows something new, at most one a beat
    while training (with the curve at most every CURVE_S, the pictures at most every CHARTS_S), at
    once when nudged (the curve and pictures a beat later); a comment now and then while idle, so
    the connection is kept. Ends when the tab closes or `stream` is ended."""
    stream = stream or _Stream(token)
    loop, event = asyncio.get_running_loop(), asyncio.Event()
    waker = stream.waker = (loop, event)
    holder.setdefault("feed_wakers", set()).add(waker)
    sent_key, curve_at, charts_at, training, follow_up = "", float("-inf"), float("-inf"), False, True
    pictures_due = True  # the first reading of a stream comes with its pictures (a beat after the first)
    sent: dict[str, str] = {}  # chart name -> the version this stream sent
    try:
        while _feeds.get(token) is holder and not stream.ended:
            if not event.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), BEAT_S if training or follow_up or pictures_due else IDLE_S)
            if stream.ended or _feeds.get(token) is not holder:
                break
            nudged = event.is_set()
            event.clear()
            curve = not nudged and (follow_up or pictures_due or loop.time() - curve_at >= CURVE_S)
            # a click's follow-up carries the curve alone (drawing the pictures takes a few hundred
            # ms); they come with the beat after it
            pictures = curve and not follow_up and (pictures_due or loop.time() - charts_at >= CHARTS_S)
            pictures_due = (pictures_due or follow_up) and not pictures
            reading = (_read(holder, False, asked=False) if nudged
                       else await run_in_threadpool(_read, holder, curve, True, pictures))
            if reading is None:
                break
            was_training, training = training, reading["state"] in (RUNNING, WAITING)
            # news (a click, a run's end) goes at once; its curve follows a beat later
            follow_up = nudged or (was_training and not training and not curve)
            if curve:
                curve_at = loop.time()
            if pictures:
                charts_at = loop.time()
            if reading["key"] != sent_key or curve:
                sent_key = reading["key"]
                yield f"data: {json.dumps(_sendable(reading, sent), separators=(',', ':'))}\n\n"
            elif not nudged:
                yield ": still here\n\n"
    finally:
        holder["feed_wakers"].discard(waker)


class _StreamResponse(StreamingResponse):
    """A stream that gives its place back however it ends. Starlette stops iterating when the
    client goes (it cancels the sending task), which may leave the generator paused at a `yield`
    until garbage collection: close it here, at once."""

    def __init__(self, holder: dict[str, Any], stream: _Stream) -> None:
        super().__init__(_readings(holder, stream.token, stream), media_type="text/event-stream",
                         headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            _give_back(self.stream)
            await self.body_iterator.aclose()  # its own finally runs now: no waker left behind


async def answer(request: Request) -> Response:
    """The tab's readings as server-sent events (`text/event-stream`); 404 for a token of no open
    tab, 429 when the server streams all it may."""
    token = request.path_params["token"]
    holder = _feeds.get(token)
    if holder is None:
        return JSONResponse({"error": "no open tab has this feed"}, status_code=404)
    stream = _take_place(token)
    if stream is None:
        return JSONResponse({"error": "the server streams all the live feeds it may; try again later"},
                            status_code=429, headers={"Retry-After": str(RETRY_AFTER_S)})
    return _StreamResponse(holder, stream)
