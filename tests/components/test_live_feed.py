"""The live feed's route: a tab's readings as server-sent events, sent at once when nudged, ended
when the tab closes; unknown tabs get 404. Driven with a real trainer process and Starlette's
own request and response objects."""

from __future__ import annotations

import asyncio
import json

import pytest
from starlette.requests import Request
from starlette.responses import StreamingResponse

from components import live_feed, live_reading
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
    live_feed.forget(tab)
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
    path = live_feed.path(holder)
    assert path.startswith(live_feed.PATH) and live_feed.path(holder) == path  # one token per tab
    response = asyncio.run(live_feed.answer(request_for(path)))
    assert isinstance(response, StreamingResponse) and response.media_type == "text/event-stream"

    async def scenario():
        stream = live_feed._readings(holder, path.rsplit("/", 1)[-1])
        next_reading = readings(stream)
        first = await next_reading()
        assert first["state"] == "idle" and dict(first["numbers"])["Epoch"] == "0 / 5"
        assert [t["name"] for t in first["curve"]["data"]] == ["train loss", "test loss"]  # its first beat
        await asyncio.sleep(0.5)  # idle: nothing more comes until something happens
        holder["trainer"].set_lr(0.5)
        started = asyncio.get_running_loop().time()
        live_feed.nudge(holder)
        news = await next_reading()
        assert "learning rate 0.5 ·" in news["caption"]
        assert asyncio.get_running_loop().time() - started < live_feed.IDLE_S / 2  # not at the next idle beat
        assert news["stamp"] > first["stamp"] and news["key"] != first["key"]
        live_feed.forget(holder)  # the tab closed
        with pytest.raises(StopAsyncIteration):
            while True:
                await asyncio.wait_for(anext(stream), TIMEOUT_S)

    asyncio.run(scenario())


def test_a_training_run_streams_its_epochs_and_curve(holder):
    path = live_feed.path(holder)

    async def scenario():
        stream = live_feed._readings(holder, path.rsplit("/", 1)[-1])
        next_reading = readings(stream)
        await next_reading()
        holder["trainer"].start()
        live_feed.nudge(holder)
        seen = [await next_reading()]
        while seen[-1]["state"] != "finished":
            seen.append(await next_reading())
        assert dict(seen[-1]["numbers"])["Epoch"] == "5 / 5"
        final = seen[-1] if "curve" in seen[-1] else await next_reading()  # or a beat after the end
        assert final["curve"]["data"][0]["x"] == [0, 1, 2, 3, 4, 5]  # the first evaluation and 5 epochs
        assert [r["stamp"] for r in seen] == sorted(r["stamp"] for r in seen)

    asyncio.run(scenario())


def test_an_unknown_or_closed_tab_gets_404(holder):
    path = live_feed.path(holder)
    live_feed.forget(holder)
    for unknown in (path, live_feed.PATH + "made-up"):
        assert asyncio.run(live_feed.answer(request_for(unknown))).status_code == 404


def test_a_reading_names_its_numbers_and_has_no_nan_for_the_browser():
    history = [{"epoch": 1, "train_loss": 0.5, "test_loss": float("nan"), "test_accuracy": 0.75},
               {"epoch": 2, "train_loss": float("inf"), "test_loss": 0.25, "test_accuracy": 1.0}]
    figure = live_reading.curve(history)
    json.dumps(figure, allow_nan=False)  # JSON has no NaN: a diverged run's values are gaps
    assert figure["data"][1]["y"] == [None, 0.25] and figure["data"][0]["y"] == [0.5, None]
    assert figure["data"][2]["yaxis"] == "y2" and figure["layout"]["yaxis2"]["tickformat"] == ".0%"
