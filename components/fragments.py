"""Named parts of the page that a change can redraw without the rest (`st.rerun(keys)` from a
widget callback): a new learning rate reruns only what shows it. Streamlit refuses a key that the
last page run did not draw, so each part says when it is drawn. Owns the session key
`fragments_drawn`."""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st


def page_run() -> None:
    """A page run starts: no part is drawn yet."""
    st.session_state.fragments_drawn = set()


def drawn(key: str) -> None:
    st.session_state.setdefault("fragments_drawn", set()).add(key)


def rerun(keys: Iterable[str]) -> None:
    """Rerun those of `keys` that the page drew (the whole page if none). Only from a callback."""
    shown = [key for key in keys if key in st.session_state.get("fragments_drawn", set())]
    st.rerun(shown or "app")
