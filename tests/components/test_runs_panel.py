"""The Runs tab on the real page (AppTest) over a real run store: a browser's own runs listed, others'
not; two selected are overlaid with the settings that differ; one is renamed, reopened, deleted."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from engine.runs import RunStore
from tests.components.harness import app_on_tab
from tests.conftest import ROOT

PLAYGROUND = json.loads((ROOT / "presets" / "playground.json").read_text())


def recorded(store: RunStore, owner: str, optimizer: str, epochs: int = 5) -> str:
    experiment = {**PLAYGROUND, "training": {**PLAYGROUND["training"], "optimizer": optimizer}}
    run_id = store.start(experiment, "cpu", owner)
    store.add_epochs(run_id, [{"epoch": e, "train_loss": 1 / e, "test_loss": 1.2 / e, "test_accuracy": 0.5 + e / 20,
                               "seconds": e / 10} for e in range(1, epochs + 1)])
    store.finish(run_id, "finished", final={"test_loss": 1.2 / epochs})
    return run_id


def select(app: AppTest, rows: list[int]) -> AppTest:
    app.session_state["runs_table"] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    app.run()
    assert not app.exception, app.exception
    return app


def test_a_browsers_runs_are_listed_compared_renamed_reopened_and_deleted(run_store_home):
    app = app_on_tab("Runs")
    mine = app.session_state["owner_id"]
    store = RunStore(run_store_home)
    adam, sgd = recorded(store, mine, "adam"), recorded(store, mine, "sgd", epochs=3)
    recorded(store, "ffffffffffffffff", "rmsprop")  # another browser's: never listed here
    app.run()
    table = app.dataframe[0].value
    assert sorted(table["optimizer"]) == ["adam", "sgd"] and set(table["epochs"]) == {5, 3}

    select(app, [0, 1])
    curves = app.get("plotly_chart")[0].proto.spec
    traces = json.loads(curves)["data"]
    assert {t["legendgroup"] for t in traces} == {adam, sgd}
    differing = app.dataframe[1].value
    assert "training.optimizer" in list(differing.index) and "training.lr" not in list(differing.index)

    select(app, [list(app.dataframe[0].value["optimizer"]).index("sgd")])
    app.text_input(key=f"runs_name_{sgd}").input("plain SGD").run()
    assert RunStore(run_store_home).get(sgd)["name"] == "plain SGD"
    app.button(key="runs_reopen").click().run()
    assert app.session_state["workspace_current"]["training"]["optimizer"] == "sgd"

    app.session_state["runs_table"] = {"selection": {"rows": [], "columns": [], "cells": []}}
    app.run()
    row = list(app.dataframe[0].value["optimizer"]).index("adam")
    select(app, [row])
    app.button(key="runs_delete").click().run()
    assert [r["id"] for r in RunStore(run_store_home).list(owner=mine)] == [sgd]
