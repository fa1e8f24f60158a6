"""One folder per browser session for the files a tab writes (exports, uploaded weights). It is
made when first needed and removed when the tab's session ends, the way run_panel ties a trainer
to a tab. A server that stops without ending its sessions leaves folders behind: the next server
process sweeps them when it imports this module.

Folders live under a root, NEUROLOOM_STATE_DIR, by default `neuroloom-<user>` in the system's
temporary folder, and are named `session-<pid>-<start>-<random>` after the server process that
made them (`start`: its start time, so that a new process that reuses the pid is told apart).
Give each server machine its own root: a sweep can only see the processes of its own machine."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
import threading
from pathlib import Path

import streamlit as st

from engine.data.uploads import STORE
from engine.state import state_dir as root

PREFIX = "session-"
_NAME = re.compile(rf"{PREFIX}(\d+)-(\d+)-[0-9a-f]+")
_lock = threading.Lock()  # a session's page runs and its release may come from different threads


def _start_ticks(pid: int) -> int | None:
    """When process `pid` started (clock ticks after boot, from /proc): 0 where the system does
    not say, None when no such process runs."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
        return int(text.rpartition(")")[2].split()[19])  # field 22, counted after the command's name
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            return None  # /proc lists every process here: this one has ended
    except (OSError, ValueError, IndexError):
        pass
    return 0 if _alive(pid) else None


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # os.kill(pid, 0) would signal the process elsewhere: keep its folders
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _release(holder: dict) -> None:
    with _lock:
        folder, holder["folder"] = holder.get("folder"), None
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def _holder() -> dict:
    return {"folder": None}


def folder(part: str = "") -> Path:
    """This session's folder (or its subfolder `part`), made on first use; removed with the
    session."""
    holder = _holder()
    with _lock:
        own = holder["folder"]
        if own is None or not own.is_dir():  # first use, or a cleaner emptied the temporary folder
            name = f"{PREFIX}{os.getpid()}-{_start_ticks(os.getpid()) or 0}-{secrets.token_hex(6)}"
            own = holder["folder"] = root() / name
            own.mkdir(mode=0o700, parents=True)
    if not part:
        return own
    inner = own / part
    inner.mkdir(exist_ok=True)
    return inner


def sweep_stale(under: Path | None = None) -> list[Path]:
    """Remove the session folders of server processes that no longer run; returns them. Looks
    only at folders named like ours directly under the root, and never follows a link."""
    base = under or root()
    removed = []
    for entry in os.scandir(base):
        found = _NAME.fullmatch(entry.name)
        if found is None or not entry.is_dir(follow_symlinks=False):
            continue
        pid, started = int(found[1]), int(found[2])
        now = _start_ticks(pid)
        if now is None or (now and started and now != started):  # ended, or its pid now names another process
            path = Path(entry.path)
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


try:
    sweep_stale()
    STORE.sweep()  # expired uploads go when a server starts, as well as whenever one is kept
except OSError as err:  # an unusable root must not stop the page; exports say so when they need it
    print(f"neuroloom: could not sweep old session files: {err}", file=sys.stderr)
