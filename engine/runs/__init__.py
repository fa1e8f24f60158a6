"""The run store: every training run's experiment, status, metric history and weights, kept in one
SQLite database (WAL) under the NeuroLoom home folder (`NEUROLOOM_HOME`, default `./runs`)."""

from engine.runs.recorder import Recorder, recording_enabled
from engine.runs.store import RunStore, StoreError, UnknownRun, home

__all__ = ["Recorder", "RunStore", "StoreError", "UnknownRun", "home", "recording_enabled"]
