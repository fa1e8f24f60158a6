"""Sharing one server with a class: runs take turns on the slots, and the page's runs are
limited in epochs and training time (time paused or waiting does not count)."""

from __future__ import annotations

import time

import pytest

from engine import load_experiment
from engine.training.limits import GIB, RunLimits, in_words, out_of_memory
from engine.training.slots import TrainingSlots
from engine.training.trainer import FINISHED, PAUSED, RUNNING, STOPPED, WAITING, Trainer
from tests.conftest import experiment
from tests.engine.test_slots import TIMEOUT_S, wait_for

NODES = [
    {"id": "h1", "type": "Linear", "params": {"out_features": 8}},
    {"id": "a1", "type": "Tanh"},
    {"id": "out", "type": "Linear", "params": {"out_features": 1}},
]


def make(epochs=1000, slots=None, limits=None) -> Trainer:
    raw = experiment(NODES, data={"dataset": "circle", "n_samples": 200},
                     training={"epochs": epochs, "batch_size": 10, "loss": "bce"})
    return Trainer(load_experiment(raw), device="cpu", slots=slots, limits=limits)


@pytest.fixture
def trainer():
    made: list[Trainer] = []

    def build(*args, **kwargs):
        made.append(make(*args, **kwargs))
        return made[-1]

    yield build
    for t in made:
        t.stop()


# -- taking turns ---------------------------------------------------------------------------------


def test_a_run_whose_turn_is_up_lets_the_waiting_one_train_then_carries_on(trainer):
    slots = TrainingSlots(1, slice_s=0.2)
    first, second = trainer(slots=slots), trainer(slots=slots)
    first.start()
    wait_for(lambda: first.snapshot().epoch >= 1, what="the first run training")
    second.start()
    wait_for(lambda: second.snapshot().state == RUNNING and second.session.step > 0, what="the second run's turn")
    wait_for(lambda: first.snapshot().state == WAITING, what="the first run back in the queue")
    assert "taking turns" in first.snapshot().message
    held = first.snapshot().epoch
    wait_for(lambda: first.snapshot().state == RUNNING and first.snapshot().epoch > held,
             what="the first run's next turn")
    epochs = [h["epoch"] for h in first.history()]
    assert epochs == list(range(len(epochs))), "no epoch lost or repeated across turns"
    first.stop(), second.stop()
    assert slots.in_use == 0 and slots.waiting() == 0


def test_a_run_alone_keeps_its_slot_past_its_turn(trainer):
    slots = TrainingSlots(1, slice_s=0.05)
    t = trainer(epochs=20, slots=slots)
    t.start()
    assert t.wait(TIMEOUT_S) and t.snapshot().state == FINISHED
    assert t.snapshot().message.startswith("reached its budget of 20 epochs"), "it never waited"


# -- run limits -----------------------------------------------------------------------------------


def test_a_run_stops_at_the_epoch_limit_and_says_why(trainer):
    t = trainer(epochs=1000, limits=RunLimits(max_epochs=3))
    t.start()
    assert t.wait(TIMEOUT_S)
    snap = t.snapshot()
    assert snap.state == STOPPED and snap.epoch == 3
    assert snap.message == ("stopped after 3 epochs: runs on this server are limited to 3 epochs "
                            "(NEUROLOOM_WEB_MAX_EPOCHS)")


def test_a_run_shorter_than_the_epoch_limit_finishes(trainer):
    t = trainer(epochs=3, limits=RunLimits(max_epochs=3))
    t.start()
    assert t.wait(TIMEOUT_S) and t.snapshot().state == FINISHED


def test_a_run_stops_at_the_time_limit_and_says_why(trainer):
    t = trainer(epochs=1_000_000, limits=RunLimits(max_seconds=0.3))
    t.start()
    assert t.wait(TIMEOUT_S)
    snap = t.snapshot()
    assert snap.state == STOPPED
    assert snap.message == ("stopped after 0.3 seconds of training: runs on this server are limited to "
                            "0.3 seconds of training time (NEUROLOOM_WEB_MAX_RUN_S)")


def test_time_paused_does_not_count_towards_the_time_limit(trainer):
    # Had the pause counted, the run would stop at its first step after resuming.
    t = trainer(epochs=1_000_000, limits=RunLimits(max_seconds=1.5))
    t.step()
    wait_for(lambda: t.snapshot().state == PAUSED, what="one epoch, then paused")
    paused_at = t.session.step
    time.sleep(1.6)  # longer than the limit, paused
    t.resume()
    assert t.wait(TIMEOUT_S) and "NEUROLOOM_WEB_MAX_RUN_S" in t.snapshot().message
    assert t.session.step > paused_at


def test_time_waiting_for_a_slot_does_not_count_towards_the_time_limit(trainer):
    slots = TrainingSlots(1)
    holder = trainer(slots=slots)
    holder.start()
    wait_for(lambda: holder.session.step > 0, what="the slot taken")
    waiter = trainer(slots=slots, limits=RunLimits(max_seconds=1.5))
    waiter.start()
    wait_for(lambda: waiter.snapshot().state == WAITING, what="the limited run waiting")
    time.sleep(1.6)  # longer than its limit, waiting
    holder.stop()
    assert waiter.wait(TIMEOUT_S) and "NEUROLOOM_WEB_MAX_RUN_S" in waiter.snapshot().message
    assert waiter.session.step > 0, "it trained once it had the slot"


def test_web_limits_come_from_the_environment(monkeypatch):
    for name in ("NEUROLOOM_WEB_MAX_EPOCHS", "NEUROLOOM_WEB_MAX_RUN_S", "NEUROLOOM_WORKER_MAX_BYTES"):
        monkeypatch.delenv(name, raising=False)
    assert RunLimits.for_web() == RunLimits(max_epochs=10_000, max_seconds=900, max_memory_bytes=4 * GIB)
    assert "15 minutes of training" in RunLimits.for_web().seconds_message()
    assert "(4.0 GiB, NEUROLOOM_WORKER_MAX_BYTES)" in RunLimits.for_web().memory_message()
    assert "10,000 epochs" in RunLimits.for_web().epochs_message()
    monkeypatch.setenv("NEUROLOOM_WEB_MAX_EPOCHS", "50")
    monkeypatch.setenv("NEUROLOOM_WEB_MAX_RUN_S", "60")
    monkeypatch.setenv("NEUROLOOM_WORKER_MAX_BYTES", str(GIB))
    assert RunLimits.for_web() == RunLimits(max_epochs=50, max_seconds=60, max_memory_bytes=GIB)
    assert RunLimits() == RunLimits(None, None, None), "the command line has no limits"


def test_durations_and_allocation_failures_in_words():
    assert [in_words(s) for s in (900, 60, 90, 1, 0.5)] == [
        "15 minutes", "1 minute", "90 seconds", "1 second", "0.5 seconds"]
    assert out_of_memory(MemoryError())
    assert out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 8 bytes"))
    assert not out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
