"""Shared fixtures: small experiments built in code, and the repository root."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BROWSER_TESTS = ROOT / "tests" / "e2e"  # `make test` collects only this folder for its browser part


def pytest_collection_modifyitems(items):
    """A browser test elsewhere would run in neither part of `make test`: refuse it."""
    strays = [item.nodeid for item in items
              if item.get_closest_marker("browser") and BROWSER_TESTS not in Path(item.path).parents]
    if strays:
        raise pytest.UsageError(f"browser tests belong under tests/e2e: {', '.join(strays)}")


@pytest.fixture(scope="session", autouse=True)
def session_run_store_home(tmp_path_factory):
    """Servers started for the whole session (the browser tests' app) record into a temporary run
    store too: set before any session fixture starts one."""
    folder = tmp_path_factory.mktemp("neuroloom-session-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEUROLOOM_HOME", str(folder))
        yield folder


@pytest.fixture(autouse=True)
def run_store_home(tmp_path_factory, monkeypatch) -> Path:
    """Every test records its runs in a run store of its own, never in the checkout's ./runs."""
    folder = tmp_path_factory.mktemp("neuroloom-home")
    monkeypatch.setenv("NEUROLOOM_HOME", str(folder))
    return folder

MLP = {
    "format": "neuroloom/1",
    "title": "MLP",
    "model": {
        "input": {"shape": [2], "dtype": "float"},
        "nodes": [
            {"id": "h1", "type": "Linear", "params": {"out_features": 8}},
            {"id": "a1", "type": "Tanh"},
            {"id": "h2", "type": "Linear", "params": {"out_features": 8}, "inputs": ["a1"]},
            {"id": "a2", "type": "Tanh"},
            {"id": "out", "type": "Linear", "params": {"out_features": 1}},
        ],
        "output": "out",
    },
}


def experiment(nodes: list[dict], shape=(2,), dtype="float", output=None, **extra) -> dict:
    """An experiment dict around a node list (output defaults to the last node)."""
    model = {"input": {"shape": list(shape), "dtype": dtype}, "nodes": copy.deepcopy(nodes)}
    if output is not None:
        model["output"] = output
    return {"format": "neuroloom/1", "model": model, **extra}


@pytest.fixture
def mlp() -> dict:
    return copy.deepcopy(MLP)
