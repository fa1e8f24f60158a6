"""How long, and with how much memory, one run may train. The page's runs share a server with a
whole class, so it gives them limits (`RunLimits.for_web()`); the command line has none."""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

from engine.settings import env_int

GIB = 2**30
OUT_OF_MEMORY_MARKS = ("DefaultCPUAllocator", "can't allocate memory", "Cannot allocate memory")


@dataclass(frozen=True)
class RunLimits:
    """None means no limit."""

    max_epochs: int | None = None
    max_seconds: float | None = None  # of training: time paused or waiting for a slot does not count
    max_memory_bytes: int | None = None  # that the worker process may add to what it had mapped

    @classmethod
    def for_web(cls) -> RunLimits:
        """The limits for runs started from the page (NEUROLOOM_WEB_MAX_EPOCHS, _WEB_MAX_RUN_S,
        NEUROLOOM_WORKER_MAX_BYTES)."""
        return cls(
            max_epochs=env_int("NEUROLOOM_WEB_MAX_EPOCHS", 10_000),
            max_seconds=env_int("NEUROLOOM_WEB_MAX_RUN_S", 900),
            max_memory_bytes=env_int("NEUROLOOM_WORKER_MAX_BYTES", 4 * GIB),
        )

    def epochs_message(self) -> str:
        return (f"stopped after {self.max_epochs:,} epochs: runs on this server are limited to "
                f"{self.max_epochs:,} epochs (NEUROLOOM_WEB_MAX_EPOCHS)")

    def seconds_message(self) -> str:
        span = in_words(self.max_seconds)
        return (f"stopped after {span} of training: runs on this server are limited to {span} of "
                "training time (NEUROLOOM_WEB_MAX_RUN_S)")

    def memory_message(self) -> str:
        if self.max_memory_bytes is None:
            return "this run needs more memory than this machine has free; make the model, batch or dataset smaller"
        return (f"this run needs more memory than a training may use on this server "
                f"({size_in_words(self.max_memory_bytes)}, NEUROLOOM_WORKER_MAX_BYTES); "
                "make the model, batch or dataset smaller")


def out_of_memory(err: BaseException) -> bool:
    """Whether `err` is an allocation that failed (Python's, NumPy's or torch's CPU allocator)."""
    if isinstance(err, MemoryError):
        return True
    return isinstance(err, RuntimeError) and any(mark in str(err) for mark in OUT_OF_MEMORY_MARKS)


def cap_address_space(extra_bytes: int) -> None:
    """Let this process map at most `extra_bytes` more than it has now (torch alone maps hundreds
    of MiB, so a cap on the total would measure torch, not the run)."""
    limit = mapped_bytes() + extra_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def mapped_bytes() -> int:
    """This process's address-space size (VmSize)."""
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024  # reported in kB
    raise OSError("no VmSize in /proc/self/status")


def in_words(seconds: float) -> str:
    """A duration as a person says it: "15 minutes", "1 minute", "90 seconds", "0.5 seconds"."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"


def size_in_words(n_bytes: int) -> str:
    """"4.0 GiB", "256 MiB"."""
    return f"{n_bytes / GIB:.1f} GiB" if n_bytes >= GIB else f"{n_bytes / 2**20:.0f} MiB"
