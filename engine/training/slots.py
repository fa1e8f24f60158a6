"""A server-wide cap on trainings that run at once; the others wait their turn in order."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from engine.settings import env_int

DEFAULT_LIMIT = env_int("NEUROLOOM_MAX_TRAININGS", os.cpu_count() or 1)


class TrainingSlots:
    """At most `limit` holders at once. Waiting can be cancelled (a stopped run leaves the queue)."""

    def __init__(self, limit: int = DEFAULT_LIMIT, semaphore=None):
        """`semaphore`: a multiprocessing one when trainings run in other processes."""
        if limit < 1:
            raise ValueError("the limit must be at least 1")
        self.limit = limit
        self._free = semaphore or threading.Semaphore(limit)
        self._lock = threading.Lock()
        self.in_use = 0  # in this process

    def __getstate__(self):  # travels to training processes with its (multiprocessing) semaphore
        return {"limit": self.limit, "_free": self._free}

    def __setstate__(self, state):
        self.__dict__.update(state, _lock=threading.Lock(), in_use=0)

    def acquire(self, cancelled: Callable[[], bool], poll: float = 0.05) -> bool:
        """Wait for a slot; False if `cancelled()` turns true first."""
        while not cancelled():
            if self._free.acquire(timeout=poll):
                with self._lock:
                    self.in_use += 1
                return True
        return False

    def release(self) -> None:
        with self._lock:
            self.in_use -= 1
        self._free.release()


SHARED = TrainingSlots()
