"""Named parts of the page that a change can redraw without the rest (`st.rerun(keys)` from a
widget callback): a new learning rate reruns only what shows it. Streamlit refuses a key with no
fragment behind it, so only the parts that the last page run drew are asked for. Owns the session
key `fragments_drawn`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import streamlit as st


def page_run() -> None:
    """A page run starts: no part is drawn yet."""
    st.session_state.fragments_drawn = set()


def part(key: str, run_every: float | None = None) -> Callable[[Callable], Callable]:
    """`@st.fragment(key=key)` for a part of the page that a change may rerun alone: it notes
    each time it is drawn, and reads what it shows from the session, not from its arguments (a
    rerun of it alone gets the arguments of the last page run)."""
    def decorate(function: Callable) -> Callable:
        @st.fragment(key=key, run_every=run_every)
        @functools.wraps(function)
        def drawn_part(*args, **kwargs):
            st.session_state.setdefault("fragments_drawn", set()).add(key)
            return function(*args, **kwargs)

        return drawn_part

    return decorate


def rerun(keys: Iterable[str]) -> None:
    """Rerun those of `keys` that the page drew (the whole page if none). Only from a callback."""
    shown = [key for key in keys if key in st.session_state.get("fragments_drawn", set())]
    st.rerun(shown or "app")
