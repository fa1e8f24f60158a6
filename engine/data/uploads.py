"""CSV files that visitors gave a server, kept by the SHA-256 of their bytes.

An experiment names an upload by its hash (`data.sha256`), never by a path: a link can only
point at content somebody uploaded, so the server never opens a file that a visitor named.
Files are written only after they were checked, expire some hours after their last use, and the
whole store is bounded in bytes (the least recently used go first).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import time
from pathlib import Path

from engine.settings import env_int
from engine.state import state_dir

HASH = re.compile(r"[0-9a-f]{64}")
KEEP_HOURS = env_int("NEUROLOOM_UPLOAD_HOURS", 24)
STORE_BYTES = env_int("NEUROLOOM_UPLOAD_STORE_BYTES", 2**30)


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class UploadStore:
    """Content-addressed files under `root`, each named `<sha256>.csv`."""

    def __init__(self, root: Path | None = None, keep_s: float = KEEP_HOURS * 3600.0, max_bytes: int = STORE_BYTES):
        """`root`: by default `uploads` in the server's state folder (found on first use)."""
        self._root, self.keep_s, self.max_bytes = root and Path(root), keep_s, max_bytes
        self._lock = threading.Lock()

    @property
    def root(self) -> Path:
        return self._root or state_dir() / "uploads"

    def _file(self, sha256: str) -> Path:
        if not HASH.fullmatch(sha256):  # the name is built from a checked hash, never from a path
            raise ValueError("not a SHA-256 hash")
        return self.root / f"{sha256}.csv"

    def put(self, content: bytes) -> str:
        """Keep checked content; returns its hash. Writing is atomic: a reader never sees half."""
        sha256 = digest(content)
        target = self._file(sha256)
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            if target.exists():
                os.utime(target)
            else:
                handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
                with os.fdopen(handle, "wb") as file:
                    file.write(content)
                os.replace(temporary, target)
            self._sweep_locked()
        return sha256

    def get(self, sha256: str) -> bytes | None:
        """The content with this hash, or None when it was never uploaded here or has expired."""
        try:
            target = self._file(sha256)
            content = target.read_bytes()
            if digest(content) != sha256:  # a damaged file is as good as none
                return None
            os.utime(target)  # in use: it expires counting from now
        except (ValueError, OSError):  # never uploaded here, or swept meanwhile
            return None
        return content

    def sweep(self) -> None:
        """Remove expired uploads, half-written files, and the oldest beyond the store's size."""
        with self._lock:
            self._sweep_locked()

    def _sweep_locked(self) -> None:
        if not self.root.is_dir():
            return
        now, kept = time.time(), []
        for entry in self.root.iterdir():
            try:
                info = entry.lstat()
            except OSError:
                continue
            stale = now - info.st_mtime > self.keep_s
            if entry.is_symlink() or not entry.is_file():
                continue  # not ours: never followed, never removed
            if stale or not HASH.fullmatch(entry.stem) or entry.suffix != ".csv":
                # a half-written file of another process is young: only old ones are left-overs
                if stale or (entry.name.startswith(".upload-") and now - info.st_mtime > 600):
                    entry.unlink(missing_ok=True)
                continue
            kept.append((info.st_mtime, info.st_size, entry))
        total = sum(size for _, size, _ in kept)
        for _, size, entry in sorted(kept, key=lambda k: k[0]):
            if total <= self.max_bytes:
                break
            entry.unlink(missing_ok=True)
            total -= size


STORE = UploadStore()
