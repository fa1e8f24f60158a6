"""Classroom and demo mode: URL flags hide chosen parts of the page, as in TensorFlow
Playground. `?hide=data,training,builder,share,summary,export,text` hides those sections;
`?view=present` is the presenting view (large, for a projector)."""

from __future__ import annotations

import streamlit as st

SECTIONS = ("data", "training", "builder", "share", "summary", "export", "text")


def hidden() -> set[str]:
    """The sections the link asks to hide."""
    raw = st.query_params.get("hide", "")
    return {part.strip() for part in raw.split(",") if part.strip() in SECTIONS}


def flags() -> dict[str, str]:
    """The URL flags to keep in shared links."""
    hide = ",".join(sorted(hidden()))
    return {**({"hide": hide} if hide else {}), **({"view": "present"} if presenting() else {})}


def presenting() -> bool:
    """`?view=present`: the network and its output fill the screen, for a projector."""
    return st.query_params.get("view") == "present"


def present(on: bool) -> None:
    """Enter or leave the presenting view (a button's callback)."""
    if on:
        st.query_params["view"] = "present"
    else:
        st.query_params.pop("view", None)
