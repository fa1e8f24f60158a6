"""A server-wide cap on trainings that run at once; the others wait their turn in order.

First come, first served: each waiter draws a numbered ticket and is admitted only when its
number is next and a slot is free, so a run that waited longest gets the freed slot, not whoever
asks at the right moment. A waiter that gives up marks its ticket abandoned, and admission skips
it. The counters live in (optionally shared) memory under one lock, so worker processes of one
server share a queue.

Every change to a holder's `seat` is made under the same lock, so the parent of a worker that died
can give back exactly what the worker held: its slot, or its place in the queue.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable

from engine.settings import env_int

DEFAULT_LIMIT = env_int("NEUROLOOM_MAX_TRAININGS", os.cpu_count() or 1)
DEFAULT_SLICE_S = env_int("NEUROLOOM_SLICE_S", 10)
POLL_S = 0.02  # how often a waiter looks whether it is its turn (and whether it was cancelled)
RING = 4096  # abandoned tickets remembered; more waiters than this at once wait to draw one

# Layout of the shared counters
NEXT_TICKET, NEXT_ADMIT, IN_USE, ABANDONED, MARKS = range(5)
# A seat: what one holder has, in shared memory
NO_SEAT, HOLDING = 0, -1  # any other value: waiting with ticket value - 1


class TrainingSlots:
    """At most `limit` holders at once, admitted in the order they asked. Waiting can be cancelled
    (a stopped run leaves the queue). A holder should give its slot up after `slice_s` seconds
    when someone waits (see `turn_over`)."""

    def __init__(self, limit: int = DEFAULT_LIMIT, context=None, slice_s: float = DEFAULT_SLICE_S):
        """`context`: a multiprocessing context, when trainings run in processes of that context."""
        if limit < 1:
            raise ValueError("the limit must be at least 1")
        self.limit, self.slice_s = limit, slice_s
        size = MARKS + RING
        self._lock = context.Lock() if context else threading.Lock()
        self._counters = context.RawArray(ctypes.c_int64, size) if context else (ctypes.c_int64 * size)()
        for i in range(MARKS, size):
            self._counters[i] = -1

    @property
    def in_use(self) -> int:
        return self._counters[IN_USE]

    def waiting(self) -> int:
        """How many wait in the queue now."""
        c = self._counters
        with self._lock:
            return c[NEXT_TICKET] - c[NEXT_ADMIT] - c[ABANDONED]

    def turn_over(self, held_s: float) -> bool:
        """Whether a holder that has held its slot for `held_s` seconds should let the next one in."""
        return held_s >= self.slice_s and self.waiting() > 0

    def acquire(self, cancelled: Callable[[], bool], seat=None) -> bool:
        """Wait for a slot, in order of asking; False if `cancelled()` turns true first. `seat`: a
        shared c_int64 where the holder's standing is noted (see `vacate`)."""
        seat = seat if seat is not None else ctypes.c_int64(NO_SEAT)
        ticket = self._draw(seat, cancelled)
        while ticket is not None:
            if cancelled():
                self._abandon(ticket, seat)
                return False
            if self._admit(ticket, seat):
                return True
            time.sleep(POLL_S)
        return False

    def release(self, seat=None) -> None:
        with self._lock:
            self._counters[IN_USE] -= 1
            if seat is not None:
                seat.value = NO_SEAT

    def vacate(self, seat) -> None:
        """Give back whatever the (dead) holder of `seat` had: its slot, or its place in the queue."""
        with self._lock:
            if seat.value == HOLDING:
                self._counters[IN_USE] -= 1
            elif seat.value != NO_SEAT:
                self._mark_abandoned(seat.value - 1)
            seat.value = NO_SEAT

    # -- under the lock ---------------------------------------------------------------------------

    def _draw(self, seat, cancelled) -> int | None:
        c = self._counters
        while not cancelled():
            with self._lock:
                if c[NEXT_TICKET] - c[NEXT_ADMIT] < RING:  # else a mark could be overwritten
                    ticket = c[NEXT_TICKET]
                    c[NEXT_TICKET] += 1
                    seat.value = ticket + 1
                    return ticket
            time.sleep(POLL_S)
        return None

    def _admit(self, ticket: int, seat) -> bool:
        c = self._counters
        with self._lock:
            if c[NEXT_ADMIT] != ticket or c[IN_USE] >= self.limit:
                return False
            c[IN_USE] += 1
            seat.value = HOLDING
            self._advance()
            return True

    def _abandon(self, ticket: int, seat) -> None:
        with self._lock:
            self._mark_abandoned(ticket)
            seat.value = NO_SEAT

    def _mark_abandoned(self, ticket: int) -> None:
        c = self._counters
        if ticket == c[NEXT_ADMIT]:
            self._advance()
        else:
            c[MARKS + ticket % RING] = ticket
            c[ABANDONED] += 1

    def _advance(self) -> None:
        """The next ticket is up; abandoned ones are skipped."""
        c = self._counters
        c[NEXT_ADMIT] += 1
        while c[NEXT_ADMIT] < c[NEXT_TICKET] and c[MARKS + c[NEXT_ADMIT] % RING] == c[NEXT_ADMIT]:
            c[MARKS + c[NEXT_ADMIT] % RING] = -1
            c[ABANDONED] -= 1
            c[NEXT_ADMIT] += 1


SHARED = TrainingSlots()
