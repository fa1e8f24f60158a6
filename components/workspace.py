"""The experiment being edited, with undo and redo. Owns the session keys `workspace_*`.

Every change goes through `commit`, which keeps the previous version for undo; the page reads
the current version with `current()`. The experiment is plain JSON (a dict), as in a file.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import streamlit as st

from components import memo
from engine import Experiment as Checked
from engine import Problem, SpecError
from engine.experiment import check_experiment
from engine.share import decode
from engine.web import WEB_LIMITS

PRESETS = Path(__file__).resolve().parent.parent / "presets"
DEFAULT_PRESET = PRESETS / "playground.json"
UNDO_LIMIT = 100
URL_KEY = "e"

Experiment = dict[str, Any]


def start() -> list[str]:
    """Set up the workspace on a session's first run: from the link if it holds an experiment,
    else the default preset. Returns problems with the link, to show (never a crash)."""
    if "workspace_current" in st.session_state:
        return []
    problems: list[str] = []
    raw = None
    code = st.query_params.get(URL_KEY)
    if code:
        try:
            raw = decode(code)
        except SpecError as err:
            problems = err.lines()
    st.session_state.workspace_current = raw if raw is not None else json.loads(DEFAULT_PRESET.read_text())
    st.session_state.workspace_undo = []
    st.session_state.workspace_redo = []
    st.session_state.workspace_version = 0
    return problems


def check(raw: Experiment) -> tuple[Checked | None, list[Problem]]:
    """An experiment as this page runs it: checked under the server's limits (a link or a file is
    anybody's: no paths are opened, sizes are bounded), with the default training settings when
    it has data but no training section (valid in a file that describes a model and its data)."""
    if isinstance(raw, dict) and raw.get("training") is None and raw.get("data") is not None:
        raw = {**raw, "training": {}}
    # the page asks several times a run (run, race, exports, inside): checked once per experiment
    return memo.remembered("check", json.dumps(raw, sort_keys=True, default=repr), lambda: check_experiment(raw, WEB_LIMITS))


def started() -> bool:
    """Whether this session's page has a workspace (`start` ran)."""
    return "workspace_current" in st.session_state


def current() -> Experiment:
    return st.session_state.workspace_current


def version() -> int:
    """Grows with every change: widgets key on it so they show the new values."""
    return st.session_state.workspace_version


def key_of(section: Any) -> str:
    """A short fingerprint of part of the experiment. Panels key their widgets on it, so a change
    anywhere (an edit, undo, a loaded file) shows in the widgets, while an edit in one panel leaves
    the other panels' widgets alone (re-creating every widget on each edit is slow in the browser)."""
    return hashlib.blake2s(json.dumps(section, sort_keys=True).encode(), digest_size=4).hexdigest()


def widget_key(name: str, section: Any) -> str:
    """The key prefix for the widgets that show `section`: its fingerprint, plus how many times
    the section named `name` has changed in this session. A key is never used again for other
    values: a browser that once held a widget with the same key can keep its old value and then
    take a typed change for no change (seen: a learning rate typed back to an earlier value never
    applied)."""
    fingerprint = key_of(section)
    seen = st.session_state.setdefault("workspace_widget_keys", {})
    last, count = seen.get(name, (None, -1))
    if last != fingerprint:
        count += 1
        seen[name] = (fingerprint, count)
    return f"{fingerprint}{count}"


def commit(new: Experiment) -> bool:
    """Make `new` the current experiment (undoable). Returns False if nothing changed."""
    old = st.session_state.workspace_current
    if new == old:
        return False
    undo = st.session_state.workspace_undo
    undo.append(old)
    del undo[:-UNDO_LIMIT]
    st.session_state.workspace_redo = []
    _set(copy.deepcopy(new))
    return True


def can_undo() -> bool:
    return bool(st.session_state.workspace_undo)


def can_redo() -> bool:
    return bool(st.session_state.workspace_redo)


def undo() -> None:
    if can_undo():
        st.session_state.workspace_redo.append(st.session_state.workspace_current)
        _set(st.session_state.workspace_undo.pop())


def redo() -> None:
    if can_redo():
        st.session_state.workspace_undo.append(st.session_state.workspace_current)
        _set(st.session_state.workspace_redo.pop())


def _set(raw: Experiment) -> None:
    st.session_state.workspace_current = raw
    st.session_state.workspace_version += 1
