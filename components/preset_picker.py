"""Load one of the experiment files in presets/ (undoable, like any other change)."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

PRESETS = Path(__file__).resolve().parent.parent / "presets"


def show(key: str = "preset") -> dict | None:
    """A picker over the presets; returns the chosen experiment when the user loads one."""
    files = sorted(PRESETS.glob("*.json"))
    if not files:
        st.info("No presets found in presets/.")
        return None
    titles = {}
    for path in files:
        try:
            titles[path] = json.loads(path.read_text()).get("title") or path.stem
        except (ValueError, OSError):
            titles[path] = f"{path.stem} (unreadable)"
    path = st.selectbox("Preset", files, format_func=lambda p: titles[p], key=key)
    if st.button("Load preset", key=f"{key}_load"):
        try:
            return json.loads(path.read_text())
        except (ValueError, OSError) as err:
            st.error(f"{path.name} cannot be read: {err}")
    return None
