"""Whose runs these are: a random id kept in the browser (a cookie the live frame sets), so that the
Runs panel lists a browser's own runs and no one else's. Owns the session key `owner_id`."""

from __future__ import annotations

import re
import secrets

import streamlit as st

COOKIE = "neuroloom_owner"
_VALID = re.compile(r"[0-9a-f]{16}")


def current() -> str:
    """The browser's id: its cookie once the frame has set it, else this session's new one (which
    the frame then keeps in the cookie)."""
    kept = st.context.cookies.get(COOKIE)
    if isinstance(kept, str) and _VALID.fullmatch(kept):
        st.session_state.owner_id = kept
    return st.session_state.setdefault("owner_id", secrets.token_hex(8))
