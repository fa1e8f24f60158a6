"""Classroom and demo mode: URL flags hide chosen parts of the page, as in TensorFlow
Playground. `?hide=data,training,builder,share,summary,export,text` hides those sections."""

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
    return {"hide": hide} if hide else {}
