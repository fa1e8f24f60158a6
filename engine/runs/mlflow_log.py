"""Runs logged to an MLflow tracking server as well (`NEUROLOOM_MLFLOW_URI`), for a team that
already runs one: the experiment's settings as parameters, each epoch's metrics, the experiment
file and the weights as artifacts, and the run's end status.

Everything is sent from a thread of its own, in order: a slow or unreachable server never holds
training up. A failure says so once on stderr and the run goes on, recorded in the run store."""

from __future__ import annotations

import json
import math
import os
import queue
import sys
import tempfile
import threading
import time
from pathlib import Path

URI_VARIABLE = "NEUROLOOM_MLFLOW_URI"
EXPERIMENT_VARIABLE = "NEUROLOOM_MLFLOW_EXPERIMENT"
DEFAULT_EXPERIMENT = "NeuroLoom"
PARAM_CHARS = 500  # a parameter's value is shortened to this (MLflow caps them; a model's layers can be long)
BATCH = 1000  # metrics per request (MLflow's log_batch takes at most 1000)
FINISH_WAIT_S = 60.0  # how long the end of a run waits for what is still being sent
STATUSES = {"finished": "FINISHED", "stopped": "KILLED", "failed": "FAILED"}


def mlflow_uri() -> str | None:
    uri = os.environ.get(URI_VARIABLE, "").strip()
    return uri or None


def params(experiment: dict) -> dict[str, str]:
    """The experiment's settings, flattened to `section.key` strings (the model as its layer types)."""
    flat: dict[str, str] = {"title": str(experiment.get("title") or "untitled")}
    for section in ("data", "training"):
        for key, value in (experiment.get(section) or {}).items():
            flat[f"{section}.{key}"] = value if isinstance(value, str) else json.dumps(value)
    model = experiment.get("model") if isinstance(experiment.get("model"), dict) else {}
    nodes = model.get("nodes") or []
    flat["model.nodes"] = str(len(nodes))
    flat["model.layers"] = " → ".join(str(node.get("type")) for node in nodes if isinstance(node, dict))
    return {key: value[:PARAM_CHARS] for key, value in flat.items()}


def metrics(entries: list[dict]) -> list[tuple[str, float, int, int]]:
    """(key, value, timestamp ms, step) for each finite number of each epoch, the epoch as step."""
    now = int(time.time() * 1000)
    return [(key, float(value), now, int(entry["epoch"])) for entry in entries for key, value in entry.items()
            if key != "epoch" and isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value)]


class MlflowLog:
    """One NeuroLoom run mirrored as one MLflow run."""

    def __init__(self, uri: str, run_id: str, experiment: dict, device: str, owner: str | None = None):
        self.uri, self.run_id = uri, run_id
        self._experiment, self._device, self._owner = experiment, device, owner
        self._client = None
        self._mlflow_run: str | None = None
        self._failed = False
        self._work: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._send, name=f"run-{run_id}-mlflow", daemon=True)
        self._thread.start()
        self._work.put(("start",))

    @classmethod
    def from_environment(cls, run_id: str, experiment: dict, device: str, owner: str | None = None):
        uri = mlflow_uri()
        return cls(uri, run_id, experiment, device, owner) if uri else None

    def epochs(self, entries: list[dict]) -> None:
        if entries:
            self._work.put(("epochs", list(entries)))

    def finish(self, status: str, weights: Path | None, reason: str | None = None) -> None:
        """The run ended: its weights (a file, if any) go up as an artifact; waits until sent."""
        self._work.put(("finish", status, weights, reason))
        self._work.put(None)
        self._thread.join(FINISH_WAIT_S)

    @property
    def mlflow_run_id(self) -> str | None:
        return self._mlflow_run

    def _send(self) -> None:
        while (item := self._work.get()) is not None:
            if self._failed:
                continue
            try:
                getattr(self, f"_{item[0]}")(*item[1:])
            except Exception as err:  # any failure of the server or the client: said once, never raised
                self._failed = True
                print(f"run {self.run_id} is not logged to MLflow at {self.uri}: {type(err).__name__}: {err}",
                      file=sys.stderr)

    def _start(self) -> None:
        # MLflow prints each run's address on stdout when it ends: `engine train --json` owns stdout
        os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
        # MLflow's own defaults retry a dead server for minutes: the end of a run would wait on them
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        self._client = client = MlflowClient(tracking_uri=self.uri)
        name = os.environ.get(EXPERIMENT_VARIABLE, "").strip() or DEFAULT_EXPERIMENT
        found = client.get_experiment_by_name(name)
        experiment_id = found.experiment_id if found is not None else client.create_experiment(name)
        tags = {"neuroloom.run_id": self.run_id, "neuroloom.device": self._device}
        if self._owner:
            tags["neuroloom.owner"] = self._owner
        title = str(self._experiment.get("title") or "untitled")
        self._mlflow_run = client.create_run(experiment_id, run_name=f"{title} ({self.run_id})", tags=tags).info.run_id
        client.log_batch(self._mlflow_run, params=[Param(k, v) for k, v in params(self._experiment).items()])
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "experiment.json"
            path.write_text(json.dumps(self._experiment, indent=2))
            client.log_artifact(self._mlflow_run, str(path))

    def _epochs(self, entries: list[dict]) -> None:
        from mlflow.entities import Metric

        rows = [Metric(key, value, stamp, step) for key, value, stamp, step in metrics(entries)]
        for at in range(0, len(rows), BATCH):
            self._client.log_batch(self._mlflow_run, metrics=rows[at:at + BATCH])

    def _finish(self, status: str, weights: Path | None, reason: str | None) -> None:
        if weights is not None and weights.is_file():
            with tempfile.TemporaryDirectory() as folder:  # named as `engine runs export` names it
                named = Path(folder) / "weights.safetensors"
                named.symlink_to(weights.resolve())
                self._client.log_artifact(self._mlflow_run, str(named))
        if reason:
            self._client.set_tag(self._mlflow_run, "neuroloom.reason", reason[:PARAM_CHARS])
        self._client.set_terminated(self._mlflow_run, STATUSES.get(status, "FAILED"))
