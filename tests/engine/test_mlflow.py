"""Runs mirrored to a real MLflow tracking server (started here, SQLite backend, artifacts served
by it): parameters, per-epoch metrics, the experiment and weights as artifacts, the end status;
and a server that cannot be reached leaves training and the run store untouched."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from benchmarks.browser import free_port
from tests.conftest import ROOT
from tests.engine.test_runs import PLAYGROUND, engine

START_TIMEOUT_S = 90


@pytest.fixture(scope="module")
def tracking_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}", "--artifacts-destination", str(folder / "artifacts")],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                os.killpg(server.pid, signal.SIGKILL)
                pytest.fail(f"the MLflow server did not start: {(folder / 'server.log').read_text()[-2000:]}")
            time.sleep(0.3)
    yield uri
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
    log.close()


def mirrored(client: MlflowClient, run_id: str):
    found = client.search_runs(client.get_experiment_by_name("NeuroLoom").experiment_id,
                               filter_string=f"tags.`neuroloom.run_id` = '{run_id}'")
    assert len(found) == 1
    return found[0]


def test_engine_train_logs_params_metrics_artifacts_and_status(tracking_server, run_store_home, monkeypatch, tmp_path):
    monkeypatch.setenv("NEUROLOOM_MLFLOW_URI", tracking_server)
    done = engine("train", str(PLAYGROUND), "--epochs", "5", "--json", home=run_store_home)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 1  # MLflow's "View run" line kept off stdout
    run_id = json.loads(done.stdout)["run_id"]
    shown = json.loads(engine("runs", "show", run_id, "--json", home=run_store_home).stdout)

    client = MlflowClient(tracking_uri=tracking_server)
    run = mirrored(client, run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["training.optimizer"] == shown["experiment"]["training"]["optimizer"]
    assert run.data.params["training.epochs"] == "5" and run.data.params["data.dataset"] == "circle"
    history = client.get_metric_history(run.info.run_id, "test_loss")
    assert [m.step for m in sorted(history, key=lambda m: m.step)] == [1, 2, 3, 4, 5]
    by_step = {m.step: m.value for m in history}
    assert [by_step[e["epoch"]] for e in shown["history"]] == pytest.approx([e["test_loss"] for e in shown["history"]])

    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert artifacts == {"experiment.json", "weights.safetensors"}
    weights = client.download_artifacts(run.info.run_id, "weights.safetensors", str(tmp_path))
    assert Path(weights).read_bytes() == Path(shown["weights"]).read_bytes()
    experiment = json.loads(Path(client.download_artifacts(run.info.run_id, "experiment.json", str(tmp_path))).read_text())
    assert experiment == shown["experiment"]


def test_an_unreachable_server_is_said_once_and_training_and_the_store_go_on(run_store_home, monkeypatch):
    monkeypatch.setenv("NEUROLOOM_MLFLOW_URI", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    done = engine("train", str(PLAYGROUND), "--epochs", "3", "--json", home=run_store_home)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("is not logged to MLflow") == 1
    shown = json.loads(engine("runs", "show", json.loads(done.stdout)["run_id"], "--json", home=run_store_home).stdout)
    assert shown["status"] == "finished" and len(shown["history"]) == 3


def test_params_flatten_the_experiment_and_shorten_long_values():
    from engine.runs.mlflow_log import PARAM_CHARS, params

    raw = json.loads((ROOT / "presets" / "playground.json").read_text())
    raw["description"] = "x" * 5000
    raw["data"]["dataset"] = "y" * 5000
    flat = params(raw)
    assert flat["training.lr"] == json.dumps(raw["training"]["lr"])
    assert flat["model.nodes"] == str(len(raw["model"]["nodes"]))
    assert flat["model.layers"].startswith(raw["model"]["nodes"][0]["type"])
    assert len(flat["data.dataset"]) == PARAM_CHARS and "description" not in flat
