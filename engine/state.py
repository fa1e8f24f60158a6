"""Where a server keeps the files it makes (uploads, session folders)."""

from __future__ import annotations

import contextlib
import getpass
import os
import re
import stat
import sys
import tempfile
from functools import cache
from pathlib import Path


@cache
def state_dir() -> Path:
    """The server's own folder for the files it makes: uploads and session folders (made if
    missing). NEUROLOOM_STATE_DIR, by default `neuroloom-<uid>` in the temporary folder."""
    configured = os.environ.get("NEUROLOOM_STATE_DIR")
    if configured:
        folder = Path(configured).expanduser().resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    folder = Path(tempfile.gettempdir()) / f"neuroloom-{_user()}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    # The shared temporary folder is open to every user: use this name only if it is a real
    # folder of ours, not a link or a folder someone else made first
    info = folder.lstat()
    ours = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    if stat.S_ISDIR(info.st_mode) and ours:
        return folder
    private = Path(tempfile.mkdtemp(prefix="neuroloom-"))
    print(f"neuroloom: {folder} is not a folder of this user; keeping session files in {private}", file=sys.stderr)
    return private


def _user() -> str:
    if hasattr(os, "getuid"):
        return str(os.getuid())
    return re.sub(r"[^A-Za-z0-9_.]", "_", getpass.getuser())
