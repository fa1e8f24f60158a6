"""A least-recently-used cache bounded by the bytes of what it keeps, not by a count: sixteen
small datasets cost nothing, while sixteen large ones could take the machine."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class SizedCache(Generic[V]):
    def __init__(self, max_bytes: int, size_of: Callable[[V], int]):
        self.max_bytes, self._size_of = max_bytes, size_of
        self._kept: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        with self._lock:
            return sum(size for _, size in self._kept.values())

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The kept value for `key`, or `make()`'s, kept when it fits (the oldest make room)."""
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key][0]
        value = make()  # outside the lock: making can take seconds, other keys need not wait
        size = self._size_of(value)
        with self._lock:
            if size <= self.max_bytes:
                self._kept[key] = (value, size)
                self._kept.move_to_end(key)
                while sum(s for _, s in self._kept.values()) > self.max_bytes:
                    self._kept.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
