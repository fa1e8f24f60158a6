"""A widget for one schema parameter, so every layer's and dataset's fields get a fitting input
with its range or choices enforced. Values come back as plain JSON."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from engine.params import AnyInt, Bool, Choice, Float, Int, NameList, Param, Text


def widget(name: str, param: Param, value: Any, key: str, label: str | None = None) -> Any:
    """Show the input for `param` holding `value`; return what the user has set."""
    label = label or name.replace("_", " ")
    help_text = param.help or None
    if isinstance(param, Bool):
        return st.checkbox(label, value=bool(value), key=key, help=help_text)
    if isinstance(param, Choice):
        options = list(param.choices)
        index = options.index(value) if value in options else 0
        return st.selectbox(label, options, index=index, key=key, help=help_text)
    if isinstance(param, NameList):
        chosen = [v for v in (value or []) if v in param.choices]
        return st.multiselect(label, list(param.choices), default=chosen, key=key, help=help_text)
    if isinstance(param, Int) and type(param) is Int:
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if number is None and not param.required and param.default is not None:
            number = param.default
        low, high = _bounds(number, param.low, param.high)
        automatic = " (empty: automatic)" if param.default is None and not param.required else ""
        result = st.number_input(label, min_value=low, max_value=high, value=number, step=1,
                                 key=key, help=(help_text or "") + automatic)
        return int(result) if result is not None else None
    if isinstance(param, AnyInt):
        return int(st.number_input(label, value=int(value if isinstance(value, int) else 0), step=1, key=key, help=help_text))
    if isinstance(param, Float):
        automatic = param.default is None and not param.required  # empty stays empty: the automatic value
        number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else \
            (None if automatic else float(param.default or 0))
        low, high = _bounds(number, param.low, None if param.high == float("inf") else param.high)
        result = st.number_input(label, min_value=None if low is None else float(low),
                                 max_value=None if high is None else float(high), value=number, key=key,
                                 format="%g", step=_step(number if number is not None else param.low or 1.0),
                                 help=(help_text or "") + (" (empty: automatic)" if automatic else ""))
        return None if result is None else float(result)
    if isinstance(param, Text):
        text = st.text_input(label, value=value or "", key=key, help=help_text)
        return None if not text.strip() and param.default is None and not param.required else text
    # lists or ints (kernel sizes, padding, shapes): edited as JSON text, checked by validation
    text = st.text_input(label, value=json.dumps(value) if value is not None else "", key=key,
                         help=(help_text or "") + f" ({param.describe()}; empty: automatic)")
    if not text.strip():
        return None  # empty: automatic (the parameter's default)
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # kept as typed: validation names the problem
        return text.strip()


def _bounds(value, low, high):
    """The widget's range, opened up where a file or link holds a value outside it: the widget
    must show that value (validation names the problem) so the user can fix it right there."""
    if value is None:
        return low, high
    return (None if low is not None and value < low else low), (None if high is not None and value > high else high)


def _step(value: float) -> float:
    if value <= 0:
        return 0.01
    magnitude = 10.0 ** int(f"{value:e}".split("e")[1])
    return magnitude / 10 if value == magnitude else magnitude
