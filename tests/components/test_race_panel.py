"""The Race tab on the real page (AppTest, real training processes, a real run store): a race over
optimizers trains each contender as its own recorded run, overlays their curves and ends; the
Concept explorer's "real network" race opens it on the spiral."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from engine.runs import RunStore
from tests.components.harness import app_on_tab, figures
from tests.conftest import ROOT


def until(app: AppTest, done, timeout: float = 90.0) -> AppTest:
    deadline = time.monotonic() + timeout
    while not done(app):
        assert time.monotonic() < deadline, "the race did not get there in time"
        time.sleep(0.3)
        app.run()
        assert not app.exception, app.exception
    return app


def states(app: AppTest) -> list[str]:
    tables = [t.value for t in app.dataframe if "contender" in t.value.columns]
    return list(tables[0]["state"]) if tables else []


def test_a_race_over_optimizers_trains_each_as_its_own_run_and_overlays_them(run_store_home):
    app = app_on_tab("Race")
    app.selectbox(key="race_varied").set_value("optimizer").run()
    app.multiselect(key="race_values_optimizer").set_value(["sgd", "adam"]).run()
    app.number_input(key="race_epochs").set_value(8).run()
    app.button(key="race_start").click().run()
    assert not app.exception, app.exception
    until(app, lambda a: states(a) == ["finished", "finished"])

    table = next(t.value for t in app.dataframe if "contender" in t.value.columns)
    assert list(table["contender"]) == ["optimizer sgd", "optimizer adam"] and list(table["epoch"]) == [8, 8]
    traces = figures(app)["race_curves"]["data"]
    assert {t["legendgroup"] for t in traces} == {"optimizer sgd", "optimizer adam"}
    assert all(list(t["x"]) == list(range(9)) for t in traces)  # the untrained model's epoch 0, then 8
    runs = RunStore(run_store_home).list(owner=app.session_state["owner_id"], experiments=True)
    assert sorted((r["name"], r["experiment"]["training"]["optimizer"], r["epochs"]) for r in runs) == \
        [("optimizer adam", "adam", 8), ("optimizer sgd", "sgd", 8)]
    assert all(r["tags"] == ["race"] and r["status"] == "finished" for r in runs)


def test_a_race_that_cannot_start_says_why_and_the_page_goes_on(run_store_home):
    app = app_on_tab("Race")
    app.selectbox(key="race_varied").set_value("seed").run()
    app.multiselect(key="race_values_seed").set_value([3]).run()
    app.button(key="race_start").click().run()
    assert not app.exception and "pick 2 to" in app.error[0].value
    assert not RunStore(run_store_home).list()


def test_an_experiment_with_a_seed_past_the_offered_ones_still_offers_its_own(run_store_home):
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    raw = app.session_state["workspace_current"]
    app.session_state["workspace_current"] = {**raw, "training": {**raw["training"], "seed": 41}}
    app.session_state["app_panel"] = "Race"
    app.run()
    app.selectbox(key="race_varied").set_value("seed").run()
    assert not app.exception, app.exception
    assert app.multiselect(key="race_values_seed").value == [41, 42, 43]
