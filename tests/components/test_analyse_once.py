"""An edit is analysed once where it is checked and once for the page's pictures, not again by
every part that builds from it (the run, the exports): the checked experiment carries its
analysis, and the page's check is kept while the experiment is unchanged."""

from __future__ import annotations

import copy

import pytest

import components.gallery
import components.memo
import engine.compile
import engine.experiment
from engine.shapes import analyze
from tests.components.harness import app_on_tab


@pytest.fixture
def analyses(monkeypatch) -> list[str]:
    """Every call of the engine's analysis, by the module that made it (the real one runs)."""
    made = []
    for module in (engine.experiment, engine.compile, components.memo, components.gallery):
        def counted(*args, _module=module.__name__, **kwargs):
            made.append(_module)
            return analyze(*args, **kwargs)
        monkeypatch.setattr(module, "analyze", counted)
    return made


@pytest.mark.parametrize("tab", ["Summary", "Export"])
def test_an_edit_is_analysed_at_most_twice_whatever_tab_is_open(analyses, tab):
    app = app_on_tab(tab)
    raw = copy.deepcopy(app.session_state["workspace_current"])
    raw["model"]["nodes"][0]["params"]["out_features"] += 1  # one more unit in the first layer
    analyses.clear()
    app.session_state["workspace_current"] = raw
    app.run()
    assert not app.exception, app.exception
    assert len(analyses) <= 2, analyses
    analyses.clear()
    app.run()  # the same experiment again: nothing is analysed
    assert analyses == []
