"""Whether the page of this Streamlit session is still open: asked by the training reaper, which
pauses a closed page's runs and ends their workers (engine.training.remote.RemoteTrainer)."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.runtime import exists, get_instance
from streamlit.runtime.scriptrunner import get_script_run_ctx


def watcher() -> Callable[[], bool] | None:
    """A check, safe on any thread, that this session's browser is still connected; None outside
    a served page (then runs are never paused for it)."""
    ctx = get_script_run_ctx()
    if ctx is None or not exists():
        return None
    runtime, session_id = get_instance(), ctx.session_id
    return lambda: runtime.is_active_session(session_id)
