"""Recording a run while it trains: the trainer's per-epoch callback only buffers each epoch; a
thread of the recorder's own writes them once a second (so recording costs the trainer almost
nothing, a locked database never holds it up, and a killed worker loses at most the last second);
weights go beside the database as safetensors. A store that fails says so
once on stderr and is left alone: it never stops training."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from safetensors.torch import save_file

from engine.runs.mlflow_log import MlflowLog
from engine.runs.store import RunStore, StoreError

FLUSH_EVERY_S = 1.0
MAX_UNWRITTEN = 100_000  # epochs kept for a store that refuses them, before the oldest are dropped
WEIGHTS = "weights"


def recording_enabled() -> bool:
    """`NEUROLOOM_RUNS=off` turns the store off (a public demo keeps nothing)."""
    return os.environ.get("NEUROLOOM_RUNS", "on").strip().lower() not in ("off", "0", "false", "no")


class Recorder:
    def __init__(self, store: RunStore, experiment: dict, device: str, owner: str | None = None,
                 name: str | None = None, tags: list[str] = ()):
        self.store = store
        self.run_id = store.start(experiment, device, owner, name, tags)
        self._pending: list[dict] = []
        self._pending_lock = threading.Lock()
        self._writing = threading.Lock()  # one write at a time on the store's connection
        self._started = time.perf_counter()
        self._failed = False
        # mirrored to an MLflow server when NEUROLOOM_MLFLOW_URI names one (sent from its own thread)
        self._mlflow = MlflowLog.from_environment(self.run_id, experiment, device, owner)
        self._mirrored = 0  # the last epoch handed to MLflow (epochs the store refused come back)
        # Writes happen in a thread of their own: a locked or slow database never holds training up.
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._write_every_second, name=f"run-{self.run_id}-writer", daemon=True)
        self._writer.start()

    def __call__(self, session, metrics: dict) -> None:
        """The trainer's `on_epoch`: called in the training thread after each epoch."""
        entry = {"epoch": session.epoch, "lr": session.lr, "seconds": round(time.perf_counter() - self._started, 4),
                 **metrics}
        with self._pending_lock:
            self._pending.append(entry)

    def _write_every_second(self) -> None:
        while not self._stop.wait(FLUSH_EVERY_S):
            self.flush()

    def flush(self) -> None:
        """Write the epochs not written yet (kept for the next try if the store refuses them)."""
        with self._writing:
            with self._pending_lock:
                entries, self._pending = self._pending, []
            if self._mlflow is not None and entries and entries[-1]["epoch"] > self._mirrored:
                self._mlflow.epochs([e for e in entries if e["epoch"] > self._mirrored])
                self._mirrored = entries[-1]["epoch"]
            if entries and not self._guard(lambda: self.store.add_epochs(self.run_id, entries)):
                with self._pending_lock:
                    self._pending[:0] = entries[-MAX_UNWRITTEN:]

    def save_weights(self, state: dict) -> str | None:
        """Write the weights as `weights/<run id>.safetensors`; returns that path, relative to the store."""
        relative = Path(WEIGHTS) / f"{self.run_id}.safetensors"
        target = self.store.folder / relative
        partial = target.with_suffix(".partial")

        def write() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(partial))
            partial.replace(target)  # a reader never sees half a file

        return str(relative) if self._guard(write) else None

    def pause(self, weights: dict) -> None:
        """The run is paused: its epochs and weights so far are written."""
        self.flush()
        path = self.save_weights(weights)
        with self._writing:
            self._guard(lambda: self.store.mark(self.run_id, "paused", path))

    def resume(self) -> None:
        with self._writing:
            self._guard(lambda: self.store.mark(self.run_id, "running"))

    def finish(self, status: str, reason: str | None = None, final: dict | None = None,
               weights: dict | None = None) -> None:
        self._stop.set()
        self._writer.join()
        self.flush()
        path = self.save_weights(weights) if weights is not None else None
        with self._writing:
            self._guard(lambda: self.store.finish(self.run_id, status, reason, final, path))
        if self._mlflow is not None:
            self._mlflow.finish(status, self.store.folder / path if path else None, reason)

    def _guard(self, action) -> bool:
        try:
            action()
            return True
        except (StoreError, OSError) as err:
            if not self._failed:
                print(f"run {self.run_id} is not fully recorded: {err}", file=sys.stderr)
            self._failed = True
            return False
