"""A boundary around each panel: an unexpected error becomes a readable message in that panel,
the rest of the page keeps working, and nothing the user built is lost."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

log = logging.getLogger("neuroloom")


@contextmanager
def guard(panel: str) -> Iterator[None]:
    # Streamlit's own rerun/stop signals derive from BaseException and pass through untouched.
    try:
        yield
    except Exception as err:
        log.exception("panel %s failed", panel)
        st.error(f"The {panel} panel hit a problem and was skipped: {type(err).__name__}: {err}. "
                 "Your experiment is unchanged; undo the last change or reload the page.")
