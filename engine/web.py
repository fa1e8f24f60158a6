"""What a server that serves the page to visitors allows: their links and uploaded files are
untrusted, so it opens no file they name and builds less than the command line would."""

from __future__ import annotations

from engine.settings import env_int
from engine.shapes import Limits

WEB_LIMITS = Limits(
    max_run_bytes=env_int("NEUROLOOM_WEB_MAX_RUN_BYTES", 2 * 2**30),
    max_data_bytes=env_int("NEUROLOOM_WEB_MAX_DATA_BYTES", 256 * 2**20),
    max_epoch_macs=env_int("NEUROLOOM_WEB_MAX_EPOCH_MACS", 500 * 10**9),  # minutes of one core at most
    read_paths=False,
)
UPLOAD_MAX_BYTES = env_int("NEUROLOOM_WEB_UPLOAD_BYTES", 10 * 2**20)  # one uploaded CSV
INLINE_CSV_BYTES = 4096  # a table this small once compressed travels inside the link itself
