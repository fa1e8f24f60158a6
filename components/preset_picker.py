"""Pick one of the experiment files in presets/ and load it, showing problems instead of crashing."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from engine import Experiment, SpecError, load_experiment

PRESETS = Path(__file__).resolve().parent.parent / "presets"


def show(key: str = "preset") -> Experiment | None:
    """A select box over the presets; returns the loaded experiment, or None after showing why not."""
    files = sorted(PRESETS.glob("*.json"))
    if not files:
        st.info("No presets found in presets/.")
        return None
    path = st.selectbox("Preset", files, format_func=lambda p: p.stem.replace("_", " "), key=key)
    try:
        return load_experiment(path)
    except SpecError as err:
        st.error("This preset has problems:\n\n" + "\n".join(f"- {line}" for line in err.lines()))
        return None
