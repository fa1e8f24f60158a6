"""Experiments in links: JSON, compressed with zlib, in URL-safe base64 (no padding)."""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

from engine.errors import Problem, SpecError

MAX_LINK_CHARS = 64_000
MAX_JSON_BYTES = 2**20


def encode(raw: dict[str, Any]) -> str:
    """A short URL-safe text for an experiment dict."""
    text = json.dumps(raw, separators=(",", ":"), sort_keys=False).encode()
    return base64.urlsafe_b64encode(zlib.compress(text, 9)).decode().rstrip("=")


def decode(code: str) -> dict[str, Any]:
    """The experiment dict of a link; a damaged link is a `file:` problem, never a crash."""
    if not isinstance(code, str) or len(code) > MAX_LINK_CHARS:
        raise SpecError(Problem("file", "the link's experiment is too long or not text"))
    try:
        packed = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
        inflater = zlib.decompressobj()
        text = inflater.decompress(packed, MAX_JSON_BYTES)
        if inflater.unconsumed_tail:
            raise SpecError(Problem("file", "the link's experiment is larger than 1 MiB"))
        if not inflater.eof:  # cut off at the size limit, though nothing was left unread
            raise SpecError(Problem("file", "the link's experiment is larger than 1 MiB"))
        raw = json.loads(text)
    except SpecError:
        raise
    except RecursionError:  # a few hundred characters inflate to brackets nested 100,000 deep
        raise SpecError(Problem("file", "the link's experiment is nested too deeply to be an experiment")) from None
    except (binascii.Error, zlib.error, ValueError, UnicodeDecodeError):
        raise SpecError(
            Problem("file", "the link is damaged (its experiment cannot be read); copy the whole link again")
        ) from None
    if not isinstance(raw, dict):
        raise SpecError(Problem("file", "the link does not hold an experiment"))
    from engine.experiment import bounded, whole_text  # the experiment module imports much more

    return bounded(whole_text(raw, "the link's experiment"), "the link's experiment")
