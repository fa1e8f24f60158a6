"""The shared cap on trainings: first come, first served, between threads and between processes;
a waiter that gives up leaves the queue without holding up those behind it."""

from __future__ import annotations

import threading
import time

import pytest

from engine.training import remote
from engine.training.slots import TrainingSlots

TIMEOUT_S = 20.0


def wait_for(condition, what="condition"):
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError(f"{what} not reached within {TIMEOUT_S} s")


def queue_threads(slots: TrainingSlots, names, order: list, cancels: dict | None = None) -> dict:
    """One waiting thread per name, each in the queue before the next starts; each notes its
    name when admitted and gives the slot straight back."""
    threads, taken = {}, {}
    cancels = cancels or {}

    def wait_turn(name):
        cancel = cancels.get(name, threading.Event())
        taken[name] = slots.acquire(cancel.is_set)
        if taken[name]:
            order.append(name)
            slots.release()

    for count, name in enumerate(names, start=1):
        threads[name] = threading.Thread(target=wait_turn, args=(name,), daemon=True)
        threads[name].start()
        wait_for(lambda n=count: slots.waiting() == n, what=f"{name} in the queue")
    return {"threads": threads, "taken": taken}


def test_waiters_get_the_slot_in_the_order_they_came():
    slots = TrainingSlots(1)
    assert slots.acquire(lambda: False) and slots.in_use == 1
    order: list[str] = []
    names = [f"tab{i}" for i in range(8)]
    queued = queue_threads(slots, names, order)
    slots.release()
    for thread in queued["threads"].values():
        thread.join(TIMEOUT_S)
    assert order == names
    assert slots.in_use == 0 and slots.waiting() == 0


def test_cancelled_waiters_leave_the_queue_without_blocking_the_rest():
    slots = TrainingSlots(2)
    assert slots.acquire(lambda: False) and slots.acquire(lambda: False)
    cancels = {"first": threading.Event(), "third": threading.Event()}
    order: list[str] = []
    queued = queue_threads(slots, ["first", "second", "third", "fourth"], order, cancels)
    cancels["third"].set()  # in the middle of the queue
    cancels["first"].set()  # at its head
    for name in ("first", "third"):
        queued["threads"][name].join(TIMEOUT_S)
        assert queued["taken"][name] is False
    wait_for(lambda: slots.waiting() == 2, what="the queue without the cancelled ones")
    slots.release()
    slots.release()
    for thread in queued["threads"].values():
        thread.join(TIMEOUT_S)
    assert sorted(order) == ["fourth", "second"] and slots.in_use == 0 and slots.waiting() == 0


def test_a_seat_tells_what_a_dead_holder_had():
    import ctypes

    slots = TrainingSlots(1)
    holder, waiter = ctypes.c_int64(0), ctypes.c_int64(0)
    assert slots.acquire(lambda: False, holder)
    gave_up = threading.Event()
    thread = threading.Thread(target=lambda: slots.acquire(gave_up.is_set, waiter), daemon=True)
    thread.start()
    wait_for(lambda: slots.waiting() == 1, what="the waiter in the queue")
    slots.vacate(waiter)  # as if its process had died while waiting: its place goes
    assert slots.waiting() == 0
    gave_up.set()
    thread.join(TIMEOUT_S)
    slots.vacate(holder)  # died holding the slot: the slot comes back
    assert slots.in_use == 0 and slots.acquire(lambda: False)


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError):
        TrainingSlots(0)


# -- between processes ----------------------------------------------------------------------------


def note_turn(slots: TrainingSlots, name: int, order) -> None:
    """In a worker process: wait for the slot, note `name` in the shared `order`, give it back."""
    assert slots.acquire(lambda: False)
    order[1 + order[0]] = name
    order[0] += 1
    slots.release()


@pytest.fixture(scope="module")
def fork_server():
    from multiprocessing import forkserver

    ctx = remote.context()
    with remote._setup, remote._main_hidden():
        forkserver.ensure_running()
    return ctx


def test_processes_get_the_slot_in_the_order_they_came(fork_server):
    ctx = fork_server
    slots = TrainingSlots(1, context=ctx)
    assert slots.acquire(lambda: False)
    count = 4
    order = ctx.Array("q", count + 1, lock=False)  # [how many noted, names...]
    workers = []
    for name in range(count):
        worker = ctx.Process(target=note_turn, args=(slots, name, order), daemon=True)
        with remote._main_hidden():
            worker.start()
        workers.append(worker)
        wait_for(lambda n=name + 1: slots.waiting() == n, what=f"process {name} in the queue")
    slots.release()
    for worker in workers:
        worker.join(TIMEOUT_S)
        assert worker.exitcode == 0
    assert list(order) == [count, *range(count)]
    assert slots.in_use == 0 and slots.waiting() == 0
