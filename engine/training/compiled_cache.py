"""Where a server's compiled training code is cached, and how much of it it keeps.

Turbo (engine/training/turbo.py) compiles through inductor, whose cache is keyed on the model's
code and shapes: each new model a visitor builds adds a few megabytes, by default under the
system's temporary folder, for ever. A server keeps the cache in its own state folder
(engine/state.py) and empties it once it holds more than `MOST_BYTES`: each model's next compile is
then cold again, which costs seconds of a background compile, never a wrong result.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from engine.settings import env_int
from engine.state import state_dir

MOST_BYTES = env_int("NEUROLOOM_COMPILED_CACHE_BYTES", 2**30)
VARIABLE = "TORCHINDUCTOR_CACHE_DIR"  # read by inductor in every process, children included

_ours: list[Path] = []  # the folder this process chose, if it chose one


def keep_in_state_folder() -> Path:
    """Point inductor's cache into the state folder, for this process and those it starts,
    unless the server's operator chose a folder (theirs is left alone: never emptied here)."""
    if VARIABLE not in os.environ:
        folder = state_dir() / "compiled"
        os.environ[VARIABLE] = str(folder)
        _ours[:] = [folder]
    return Path(os.environ[VARIABLE])


def bound(most: int = MOST_BYTES) -> bool:
    """Empty the cache folder this process chose if it holds more than `most` bytes; True if it
    did. A compile that reads it meanwhile misses, and stays eager or compiles again."""
    if not _ours:
        return False
    folder = _ours[0]
    if _bytes(folder) <= most:
        return False
    # moved aside first, so new compiles start a fresh folder while the old one is removed
    aside = folder.with_name(f"{folder.name}-emptied-{os.getpid()}")
    with contextlib.suppress(OSError):
        folder.rename(aside)
        shutil.rmtree(aside, ignore_errors=True)
    return True


def _bytes(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):  # removed meanwhile
                total += os.lstat(os.path.join(root, name)).st_size
    return total
