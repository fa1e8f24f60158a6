"""Limits that a server's environment may change (NEUROLOOM_*). A value that is not a positive
whole number is ignored with a one-line note on stderr: a typo in the environment must not stop
the engine from starting."""

from __future__ import annotations

import os
import sys


def env_int(name: str, default: int) -> int:
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        print(f"neuroloom: ignoring {name}={text!r} (not a positive whole number); using {default}", file=sys.stderr)
        return default
    return value
