"""Session folders: one per browser session, made on first use, removed with the session; a new
server sweeps the folders of servers that no longer run, and touches nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest
from streamlit.runtime.caching.cache_resource_api import clear_session_cache
from streamlit.testing.v1 import AppTest

from components import session_files
from tests.components.harness import TIMEOUT, failure
from tests.conftest import ROOT

SESSION = "test session id"  # AppTest's one session id: its session-scoped resources are kept under it


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    """NEUROLOOM_STATE_DIR is an empty folder of this test; no session holds a folder yet."""
    monkeypatch.setenv("NEUROLOOM_STATE_DIR", str(tmp_path))
    session_files.root.cache_clear()
    clear_session_cache(SESSION)
    yield tmp_path
    clear_session_cache(SESSION)
    session_files.root.cache_clear()


def writer():
    import streamlit as st

    from components import session_files

    for part in ("export", "export", "uploads", ""):
        (session_files.folder(part) / f"run-{st.session_state.setdefault('runs', 0)}").write_text("x")
    st.session_state.runs += 1


def test_many_page_runs_make_one_folder_which_goes_when_the_session_ends(state_dir):
    app = AppTest.from_function(writer, default_timeout=TIMEOUT)
    for _ in range(10):
        app.run()
        assert not app.exception, failure(app)
    (folder,) = state_dir.iterdir()
    assert folder.name.startswith(f"session-{os.getpid()}-") and sorted(p.name for p in folder.iterdir() if p.is_dir()) == [
        "export", "uploads"]
    assert len(list((folder / "export").iterdir())) == 10
    assert folder.stat().st_mode & 0o777 == 0o700  # other users of the machine cannot read a tab's files
    clear_session_cache(SESSION)  # the tab closes: Streamlit releases its session's resources
    assert not any(state_dir.iterdir())
    app.run()  # a session that comes back (a dropped connection) gets a new folder when it needs one
    assert len(list(state_dir.iterdir())) == 1


def test_releasing_the_holder_removes_its_folder_and_a_removed_folder_is_made_again(state_dir):
    holder = {"folder": None}
    session_files._release(holder)  # never used: nothing to remove
    made = state_dir / "session-1-2-ab"
    (made / "export").mkdir(parents=True)
    holder["folder"] = made
    session_files._release(holder)
    assert not made.exists() and holder["folder"] is None


def live_pid_folder(root, ticks=None):
    pid = os.getpid()
    return root / f"session-{pid}-{session_files._start_ticks(pid) if ticks is None else ticks}-0a"


def ended_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_sweep_removes_a_dead_servers_folders_and_keeps_live_ones_and_anything_else(state_dir, tmp_path_factory):
    dead = ended_pid()
    outside = tmp_path_factory.mktemp("outside")
    (outside / "keep.txt").write_text("not ours")
    doomed = [state_dir / f"session-{dead}-123-0b", live_pid_folder(state_dir, ticks=1)]  # ended; pid reused
    kept = [live_pid_folder(state_dir), live_pid_folder(state_dir, ticks=0),  # this server (start unknown: kept)
            state_dir / "session-notours", state_dir / "other", state_dir / "session-1-1"]
    for folder in doomed + kept:
        folder.mkdir()
    (doomed[0] / "export").mkdir()
    (doomed[0] / "export" / "link").symlink_to(outside)  # inside a stale folder: the link goes, not its target
    (state_dir / f"session-{dead}-5-0c").symlink_to(outside, target_is_directory=True)  # a link is never followed
    (state_dir / f"session-{dead}-6-0d").write_text("a file, not a folder")

    removed = session_files.sweep_stale()
    assert sorted(removed) == sorted(doomed)
    assert all(not f.exists() for f in doomed) and all(f.is_dir() for f in kept)
    assert (state_dir / f"session-{dead}-5-0c").is_symlink() and (state_dir / f"session-{dead}-6-0d").is_file()
    assert (outside / "keep.txt").read_text() == "not ours"


def test_a_new_server_sweeps_when_it_imports_the_module(state_dir):
    stale = state_dir / f"session-{ended_pid()}-7-0e"
    (stale / "export").mkdir(parents=True)
    ours = live_pid_folder(state_dir)
    ours.mkdir()
    env = {**os.environ, "NEUROLOOM_STATE_DIR": str(state_dir)}
    subprocess.run([sys.executable, "-c", "import components.session_files"], cwd=ROOT, env=env, check=True, timeout=120)
    assert not stale.exists() and ours.is_dir()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX: folders have owners")
def test_the_default_root_is_this_users_private_folder_in_the_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("NEUROLOOM_STATE_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    session_files.root.cache_clear()
    try:
        root = session_files.root()
        assert root == tmp_path / f"neuroloom-{os.getuid()}" and root.stat().st_mode & 0o777 == 0o700
        session_files.root.cache_clear()
        root.rmdir()
        root.symlink_to(tmp_path / "elsewhere", target_is_directory=True)  # made first by someone else
        private = session_files.root()
        assert private != root and private.is_dir() and private.parent == tmp_path
    finally:
        session_files.root.cache_clear()
