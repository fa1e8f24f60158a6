"""The live feed's route: a tab's readings as server-sent events, sent at once when nudged, ended
when the tab closes, with the pictures of the tab's scene (each figure once per stream, again when
it changed); unknown tabs get 404; streams are capped per tab and in all, and give their places
back however they end. Driven with a real trainer process and Starlette's own request and
response objects."""

from __future__ import annotations

import asyncio
import json

import pytest
from starlette.requests import Request
from starlette.responses import StreamingResponse

from components.live import feed, reading, view
from engine import load_experiment
from engine.training.remote import RemoteTrainer
from tests.conftest import experiment

NODES = [{"id": "h", "type": "Linear", "params": {"out_features": 4}}, {"id": "a", "type": "Tanh"},
         {"id": "out", "type": "Linear", "params": {"out_features": 1}}]
TIMEOUT_S = 20.0


@pytest.fixture
def holder():
    raw = experiment(NODES, data={"dataset": "circle", "n_samples": 200},
                     training={"epochs": 5, "batch_size": 10, "loss": "bce", "lr": 0.03})
    trainer = RemoteTrainer(load_experiment(raw))
    tab = {"trainer": trainer}
    yield tab
    feed.forget(tab)
    trainer.close()


def request_for(path: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": [],
                    "path_params": {"token": path.rsplit("/", 1)[-1]}})


def readings(stream):
    """The next event of `stream` (server-sent events), as a reading dict."""
    async def next_event():
        while True:
            chunk = await asyncio.wait_for(anext(stream), TIMEOUT_S)
            if chunk.startswith("data: "):
                return json.loads(chunk.removeprefix("data: "))
    return next_event


def test_the_stream_sends_a_reading_then_news_at_once_when_nudged_and_ends_with_the_tab(holder):
    path = feed.path(holder)
    assert path.startswith(feed.PATH) and feed.path(holder) == path  # one token per tab
    response = asyncio.run(feed.answer(request_for(path)))
    assert isinstance(response, StreamingResponse) and response.media_type == "text/event-stream"

    async def scenario():
        stream = feed._readings(holder, path.rsplit("/", 1)[-1])
        next_reading = readings(stream)
        first = await next_reading()
        assert first["state"] == "idle" and dict(first["numbers"])["Epoch"] == "0 / 5"
        assert [t["name"] for t in first["curve"]["data"]] == ["train loss", "test loss"]  # its first beat
        await asyncio.sleep(0.5)  # idle: nothing more comes until something happens
        holder["trainer"].set_lr(0.5)
        started = asyncio.get_running_loop().time()
        feed.nudge(holder)
        news = await next_reading()
        assert "learning rate 0.5 ·" in news["caption"]
        assert asyncio.get_running_loop().time() - started < feed.IDLE_S / 2  # not at the next idle beat
        assert news["stamp"] > first["stamp"] and news["key"] != first["key"]
        feed.forget(holder)  # the tab closed
        with pytest.raises(StopAsyncIteration):
            while True:
                await asyncio.wait_for(anext(stream), TIMEOUT_S)

    asyncio.run(scenario())


def test_a_training_run_streams_its_epochs_and_curve(holder):
    path = feed.path(holder)

    async def scenario():
        stream = feed._readings(holder, path.rsplit("/", 1)[-1])
        next_reading = readings(stream)
        await next_reading()
        holder["trainer"].start()
        feed.nudge(holder)
        seen = [await next_reading()]
        while seen[-1]["state"] != "finished":
            seen.append(await next_reading())
        assert dict(seen[-1]["numbers"])["Epoch"] == "5 / 5"
        final = seen[-1] if "curve" in seen[-1] else await next_reading()  # or a beat after the end
        assert final["curve"]["data"][0]["x"] == [0, 1, 2, 3, 4, 5]  # the first evaluation and 5 epochs
        assert [r["stamp"] for r in seen] == sorted(r["stamp"] for r in seen)

    asyncio.run(scenario())


def scene_of(trainer) -> view.Scene:
    """The scene a page run sets for `trainer`'s live view."""
    return view.Scene(trainer.dataset, {n.id: n.type for n in trainer.experiment.model.nodes})


def test_the_stream_sends_each_figure_once_and_again_only_when_the_pictures_change(holder):
    trainer = holder["trainer"]
    holder["scene"] = (id(trainer), scene_of(trainer))  # as the page's run sets it
    path = feed.path(holder)

    async def scenario():
        stream = feed._readings(holder, path.rsplit("/", 1)[-1])
        next_reading = readings(stream)

        async def with_charts():  # the next reading with pictures (a nudge's own reading has none)
            async def wait():
                while "charts" not in (shown := await next_reading()):
                    pass
                return {c["name"]: c for c in shown["charts"]}
            return await asyncio.wait_for(wait(), TIMEOUT_S)

        first = await with_charts()  # the first beat: the numbers, the curve and the pictures
        assert set(first) == {"boundary", "neurons"}
        assert all(c["figure"]["data"] and isinstance(c["version"], str) for c in first.values())
        assert first["boundary"]["options"] == view.BOUNDARY_OPTIONS and first["neurons"]["place"] == "network"
        feed.nudge(holder)  # nothing new: its follow-up sends the pictures' versions, not the figures again
        again = await with_charts()
        assert {n: c["version"] for n, c in again.items()} == {n: c["version"] for n, c in first.items()}
        assert not any("figure" in c for c in again.values())

        trainer.start()
        assert await asyncio.to_thread(trainer.wait, TIMEOUT_S)
        feed.nudge(holder)
        trained = await with_charts()  # new weights, new pictures: each figure travels again
        assert set(trained) == set(first)
        assert all("figure" in c and c["version"] != first[n]["version"] for n, c in trained.items())
        feed.forget(holder)

    asyncio.run(scenario())


def test_a_clicks_curve_comes_a_beat_after_it_and_the_pictures_a_beat_later_still(holder):
    """The first loss point must not wait for the pictures (drawing them takes a few hundred ms)."""
    trainer = holder["trainer"]
    holder["scene"] = (id(trainer), scene_of(trainer))
    path = feed.path(holder)

    async def scenario():
        stream = feed._readings(holder, path.rsplit("/", 1)[-1])
        next_reading = readings(stream)
        while "charts" not in await next_reading():  # the stream's own start, pictures included
            pass
        trainer.start()
        feed.nudge(holder)
        news = await next_reading()
        assert news["state"] == "running" and "curve" not in news and "charts" not in news
        follow_up = await next_reading()
        assert "curve" in follow_up and "charts" not in follow_up
        pictures = await next_reading()
        assert "curve" in pictures and {c["name"] for c in pictures["charts"]} == {"boundary", "neurons"}
        feed.forget(holder)

    asyncio.run(scenario())


def test_a_scene_of_another_run_draws_nothing(holder):
    trainer = holder["trainer"]
    assert "charts" not in feed._read(holder, curve=True, pictures=True)  # no page run set a scene yet
    holder["scene"] = (id(holder), scene_of(trainer))  # the last run's scene: the page has not drawn this one yet
    stale = feed._read(holder, curve=True, pictures=True)
    assert "charts" not in stale and stale["curve"] and dict(stale["numbers"])["Epoch"] == "0 / 5"
    holder["scene"] = (id(trainer), scene_of(trainer))
    assert [c.name for c in feed._read(holder, curve=True, pictures=True)["charts"]] == ["boundary", "neurons"]
    assert "charts" not in feed._read(holder, curve=True)  # the pictures only when asked for
    assert "charts" not in feed._read(holder, curve=False, asked=False, pictures=True)  # a nudge's snapshot has none


def test_a_picture_that_cannot_be_drawn_leaves_the_reading(holder, monkeypatch):
    holder["scene"] = (id(holder["trainer"]), scene_of(holder["trainer"]))

    def broken(snapshot, scene):
        raise ValueError("no picture")

    monkeypatch.setattr(view, "charts", broken)
    shown = feed._read(holder, curve=True, pictures=True)
    assert "charts" not in shown and dict(shown["numbers"])["Epoch"] == "0 / 5"


def test_an_unknown_or_closed_tab_gets_404(holder):
    path = feed.path(holder)
    feed.forget(holder)
    for unknown in (path, feed.PATH + "made-up"):
        assert asyncio.run(feed.answer(request_for(unknown))).status_code == 404


def test_a_reading_names_its_numbers_and_has_no_nan_for_the_browser():
    history = [{"epoch": 1, "train_loss": 0.5, "test_loss": float("nan"), "test_accuracy": 0.75},
               {"epoch": 2, "train_loss": float("inf"), "test_loss": 0.25, "test_accuracy": 1.0}]
    figure = reading.curve(history)
    json.dumps(figure, allow_nan=False)  # JSON has no NaN: a diverged run's values are gaps
    assert figure["data"][1]["y"] == [None, 0.25] and figure["data"][0]["y"] == [0.5, None]
    assert figure["data"][2]["yaxis"] == "y2" and figure["layout"]["yaxis2"]["tickformat"] == ".0%"


def test_the_curves_axes_start_at_epoch_0_and_r2_has_round_ticks_from_1_down():
    empty = reading.curve([])["layout"]
    assert empty["xaxis"]["range"] == [0, 1] and empty["yaxis"]["range"] == [0, 1]  # not -1 to 6
    one = reading.curve([{"epoch": 1, "train_loss": float("nan"), "test_loss": float("nan")}])["layout"]
    assert one["xaxis"]["range"] == [0, 1]  # a run that diverged at once: not -1 to 1
    fitting = [{"epoch": e, "train_loss": 1 / e, "test_loss": 1 / e, "test_r2": r2}
               for e, r2 in enumerate([-0.4, 0.5, 0.9, 0.99], start=1)]
    axis = reading.curve(fitting)["layout"]["yaxis2"]
    assert axis["tickvals"] == [-0.5, 0.0, 0.5, 1.0] and axis["range"][0] <= -0.4 and axis["range"][1] >= 1
    far = reading.curve([{**fitting[0], "test_r2": -40.0}, *fitting[1:]])["layout"]["yaxis2"]
    assert far["tickvals"] == [-1.0, -0.5, 0.0, 0.5, 1.0]  # an untrained model's R² far below 0 is cut off
    assert reading.curve(fitting)["layout"]["xaxis"]["range"] == [0, 4]


# -- caps: streams per tab and on the server, and places given back ---------------------------


@pytest.fixture
def caps(monkeypatch):
    """Set the caps on streams per tab and in all for one test."""
    assert feed.open_streams() == 0, "a stream of another test is still open"

    def set_caps(per_tab: int, in_all: int) -> None:
        monkeypatch.setattr(feed, "STREAMS_PER_TAB", per_tab)
        monkeypatch.setattr(feed, "STREAMS", in_all)
    return set_caps


class Browser:
    """One connection served the way uvicorn serves it (ASGI 2.3: Starlette listens for the
    disconnect), or as a newer server would (2.4: sending fails once the client went)."""

    def __init__(self, path: str, spec: str = "2.3", stall: bool = False):
        self.path, self.spec, self.stall = path, spec, stall  # stall: the network stops taking data
        self.status, self.headers, self.events = None, {}, []
        self.gone, self.got_data = asyncio.Event(), asyncio.Event()
        self.task = None

    async def open(self):
        """Ask the route for the stream and, when it is one, start serving it."""
        request = request_for(self.path)
        response = await feed.answer(request)
        scope = {**request.scope, "asgi": {"version": "3.0", "spec_version": self.spec}}
        self.task = asyncio.create_task(response(scope, self.receive, self.send))
        return self

    async def receive(self):
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message):
        if self.gone.is_set() and self.spec == "2.4":
            raise OSError("the client went")
        if message["type"] == "http.response.start":
            self.status, self.headers = message["status"], dict(message["headers"])
            return
        self.events += [e for e in message.get("body", b"").decode().split("\n\n") if e.startswith("data: ")]
        if self.events:
            self.got_data.set()
            if self.stall:
                await asyncio.Event().wait()  # paused in here, the stream's generator waits at its yield

    async def first_reading(self):
        await asyncio.wait_for(self.got_data.wait(), TIMEOUT_S)
        return json.loads(self.events[0].removeprefix("data: "))

    async def leave(self):
        """Close the tab's connection; the served response ends (its error, if any, returned)."""
        self.gone.set()
        feed.nudge(feed._feeds.get(self.path.rsplit("/", 1)[-1], {}))  # 2.4: it sends soon, and fails
        return (await asyncio.wait_for(asyncio.gather(self.task, return_exceptions=True), TIMEOUT_S))[0]


def test_a_tab_over_its_cap_ends_its_oldest_stream_so_a_reloaded_frame_keeps_its_feed(holder, caps):
    caps(per_tab=2, in_all=64)
    path = feed.path(holder)

    async def scenario():
        first, second = await Browser(path).open(), await Browser(path).open()
        for browser in (first, second):
            await browser.first_reading()
        assert feed.open_streams(holder) == 2
        third = await Browser(path).open()  # the frame reloads while its old streams hang on
        assert (await third.first_reading())["state"] == "idle"
        await asyncio.wait_for(first.task, TIMEOUT_S)  # the oldest ended by itself
        assert first.status == 200 and not second.task.done()
        assert feed.open_streams(holder) == feed.open_streams() == 2
        for browser in (second, third):
            await browser.leave()
        assert feed.open_streams() == 0 and not holder["feed_wakers"]

    asyncio.run(scenario())


def test_the_server_refuses_streams_over_its_cap_with_429_but_a_full_tab_still_swaps(holder, caps):
    caps(per_tab=2, in_all=3)
    other = {"trainer": holder["trainer"]}  # a second tab (sharing the trainer: only the feed matters)
    mine, theirs = feed.path(holder), feed.path(other)
    try:
        async def scenario():
            for path in (mine, mine, theirs):
                assert isinstance(await feed.answer(request_for(path)), StreamingResponse)
            refused = await feed.answer(request_for(theirs))
            assert refused.status_code == 429 and refused.headers["retry-after"] == str(feed.RETRY_AFTER_S)
            assert json.loads(refused.body)["error"]
            assert not isinstance(refused, StreamingResponse) and feed.open_streams() == 3
            # a tab with all its places gets a new stream in place of its oldest, even on a full server
            assert isinstance(await feed.answer(request_for(mine)), StreamingResponse)
            assert feed.open_streams(holder) == 2 and feed.open_streams() == 3
            feed.forget(other)  # a tab closes: its places are free
            assert feed.open_streams() == 2
            assert isinstance(await feed.answer(request_for(feed.path(other))), StreamingResponse)

        asyncio.run(scenario())
    finally:
        feed.forget(other)


@pytest.mark.parametrize("spec", ["2.3", "2.4"])
def test_a_stream_gives_its_place_back_when_the_client_goes(holder, caps, spec):
    caps(per_tab=2, in_all=1)
    path = feed.path(holder)

    async def scenario():
        # the network stalls, so the stream waits at a `yield` when the client goes
        browser = await Browser(path, spec=spec, stall=spec == "2.3").open()
        await browser.first_reading()
        assert feed.open_streams() == 1 and holder["feed_wakers"]
        await browser.leave()
        assert feed.open_streams() == 0
        assert not holder["feed_wakers"]  # the generator was closed at once, not left to the garbage collector
        again = await Browser(path, spec=spec).open()  # its place serves the next stream
        assert (await again.first_reading())["state"] == "idle"
        await again.leave()

    asyncio.run(scenario())


def test_a_stream_gives_its_place_back_when_it_fails_or_its_tab_closes(holder, caps, monkeypatch):
    caps(per_tab=2, in_all=64)
    path = feed.path(holder)
    read = feed._read

    def failing(tab, *args, **kwargs):
        if tab.get("fail"):
            raise RuntimeError("the trainer broke")
        return read(tab, *args, **kwargs)

    monkeypatch.setattr(feed, "_read", failing)

    async def scenario():
        browser = await Browser(path).open()
        await browser.first_reading()
        holder["fail"] = True
        feed.nudge(holder)  # next reading now, not in IDLE_S
        with pytest.raises(RuntimeError, match="the trainer broke"):
            await asyncio.wait_for(browser.task, TIMEOUT_S)
        assert feed.open_streams() == 0 and not holder["feed_wakers"]
        del holder["fail"]
        browser = await Browser(path).open()
        await browser.first_reading()
        feed.forget(holder)  # the tab closed
        assert feed.open_streams() == 0
        await asyncio.wait_for(browser.task, TIMEOUT_S)  # and its stream ended
        assert not holder["feed_wakers"]

    asyncio.run(scenario())
