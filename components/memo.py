"""Figures kept between reruns while what they show is unchanged: building a plotly figure costs
milliseconds on every rerun, and a page rerun is what a person waits for. Owns the session keys
`memo_*`."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from typing import TypeVar

import streamlit as st

from engine import Analysis, analyze

T = TypeVar("T")


def remembered(name: str, inputs: Hashable, build: Callable[[], T]) -> T:
    """`build()`'s result, made again only when `inputs` differ from the last call's under `name`."""
    key = f"memo_{name}"
    kept = st.session_state.get(key)
    if kept is not None and kept[0] == inputs:
        return kept[1]
    value = build()
    st.session_state[key] = (inputs, value)
    return value


def analysis_of(model: object) -> Analysis:
    """The engine's analysis of `model`, made again only when the model changes (the page and the
    canvas, rerun alone, ask for the same one)."""
    return remembered("analysis", json.dumps(model, sort_keys=True, default=repr), lambda: analyze(model))
