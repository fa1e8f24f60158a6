"""One small interface over the runs database: start a run, append its epochs, finish it, list,
read, rename, tag and delete. Standard-library sqlite3 in WAL mode, so readers never wait for a
training run's writes; the schema's version is SQLite's `user_version`, raised by `_MIGRATIONS`."""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DATABASE = "runs.sqlite"
BUSY_TIMEOUT_MS = 5000  # eight runs writing at once wait their turn rather than fail

# Each entry takes the schema from version i to i + 1; a database is brought up to date when opened.
_MIGRATIONS = (
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        dataset TEXT NOT NULL,
        owner TEXT,
        experiment TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        device TEXT,
        started REAL NOT NULL,
        ended REAL,
        epochs INTEGER NOT NULL DEFAULT 0,
        best_test_loss REAL,
        best_test_accuracy REAL,
        final TEXT,
        weights TEXT,
        name TEXT,
        tags TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX runs_by_start ON runs (started);
    CREATE INDEX runs_by_owner ON runs (owner, started);
    CREATE TABLE history (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL,
        metrics TEXT NOT NULL,
        PRIMARY KEY (run_id, epoch)
    ) WITHOUT ROWID;
    """,
    # 2: the process that records a run, so a run whose process was killed is found and marked failed
    "ALTER TABLE runs ADD COLUMN pid INTEGER;",
)
SCHEMA_VERSION = len(_MIGRATIONS)
ORPHAN_REASON = "its training process ended without finishing (killed or crashed)"
STATUSES = ("running", "paused", "finished", "stopped", "failed")
_LISTED = ("id", "title", "dataset", "owner", "status", "reason", "device", "started", "ended", "epochs",
           "best_test_loss", "best_test_accuracy", "name", "tags")


class StoreError(Exception):
    """The database cannot be used (locked, full, corrupt, unwritable); the message says which."""


class UnknownRun(KeyError):
    def __str__(self) -> str:
        return f"no run {self.args[0]!r} in the run store"


def home() -> Path:
    """The NeuroLoom home folder: `NEUROLOOM_HOME`, default `./runs`."""
    return Path(os.environ.get("NEUROLOOM_HOME") or "runs")


def _explained(err: sqlite3.Error, path: Path) -> StoreError:
    text = str(err).lower()
    if "locked" in text or "busy" in text:
        why = "it is locked by another program"
    elif "full" in text:
        why = "the disk is full"
    elif "malformed" in text or "not a database" in text or "corrupt" in text:
        why = "the file is damaged (move it away to start a new one)"
    elif "readonly" in text or "unable to open" in text:
        why = "it cannot be written there"
    else:
        why = str(err)
    return StoreError(f"run store {path}: {why}")


class RunStore:
    def __init__(self, folder: Path | str | None = None):
        self.folder = Path(folder) if folder is not None else home()
        self.path = self.folder / DATABASE
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                       check_same_thread=False)
            self._wal()
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: a power cut may lose the last commit, never corrupt
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
            self._settle_orphans()
        except sqlite3.Error as err:
            raise _explained(err, self.path) from None
        except OSError as err:
            raise StoreError(f"run store {self.path}: {err.strerror or err}") from None

    def close(self) -> None:
        self._db.close()

    def _wal(self) -> None:
        """Switch a new file to WAL. The switch does not wait for the lock as other statements
        do, and workers that create the store together find it held: they try again, as long as
        a statement would wait."""
        waited = 0.0
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or waited >= BUSY_TIMEOUT_MS / 1000:
                    raise
                time.sleep(0.05)
                waited += 0.05

    def _migrate(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return
        # Processes that open a new store together must not migrate it twice (a second ALTER fails):
        # each takes the write lock and migrates from the version it finds under the lock
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for number in range(self._version(), SCHEMA_VERSION):
                for statement in filter(str.strip, _MIGRATIONS[number].split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _version(self) -> int:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"run store {self.path}: made by a newer NeuroLoom (schema {version}, this one knows {SCHEMA_VERSION})")
        return version

    def _settle_orphans(self) -> None:
        """A run still marked running or paused whose process is gone was killed (or crashed): it is
        failed, with that reason; its history up to the last write is kept."""
        unfinished = self._db.execute("SELECT id, pid FROM runs WHERE status IN ('running', 'paused')").fetchall()
        for run_id, pid in unfinished:
            if pid is not None and not _alive(pid):
                self._db.execute("UPDATE runs SET status = 'failed', reason = ?, ended = ? WHERE id = ? AND status IN "
                                 "('running', 'paused')", (ORPHAN_REASON, time.time(), run_id))

    def _run(self, sql: str, parameters: Iterable[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, tuple(parameters))
        except sqlite3.Error as err:
            raise _explained(err, self.path) from None

    # -- writing ---------------------------------------------------------------------------------

    def start(self, experiment: dict, device: str, owner: str | None = None, name: str | None = None,
              tags: list[str] = ()) -> str:
        """A new run, status running; returns its id."""
        run_id = uuid.uuid4().hex[:12]
        data = experiment.get("data") if isinstance(experiment.get("data"), dict) else {}
        self._run("INSERT INTO runs (id, title, dataset, owner, experiment, status, device, started, pid, name, tags) "
                  "VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)",
                  (run_id, str(experiment.get("title") or "untitled"), str(data.get("dataset") or ""), owner,
                   json.dumps(experiment), device, time.time(), os.getpid(), name, json.dumps(sorted(set(tags)))))
        return run_id

    def add_epochs(self, run_id: str, entries: list[dict]) -> None:
        """Append epochs' metrics (each with an "epoch") in one transaction, and keep the run's
        epoch count and best test figures with them."""
        if not entries:
            return
        rows = [(run_id, int(e["epoch"]), json.dumps(_clean(e))) for e in entries]
        losses = [e["test_loss"] for e in entries if _number(e.get("test_loss"))]
        accuracies = [e["test_accuracy"] for e in entries if _number(e.get("test_accuracy"))]
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR REPLACE INTO history (run_id, epoch, metrics) VALUES (?, ?, ?)", rows)
                self._db.execute(
                    "UPDATE runs SET epochs = MAX(epochs, ?), "
                    "best_test_loss = MIN(COALESCE(best_test_loss, ?), ?), "
                    "best_test_accuracy = MAX(COALESCE(best_test_accuracy, ?), ?) WHERE id = ?",
                    (rows[-1][1], min(losses, default=None), min(losses, default=None),
                     max(accuracies, default=None), max(accuracies, default=None), run_id))
        except sqlite3.Error as err:
            raise _explained(err, self.path) from None

    def finish(self, run_id: str, status: str, reason: str | None = None, final: dict | None = None,
               weights: str | None = None) -> None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        self._run("UPDATE runs SET status = ?, reason = ?, ended = ?, final = COALESCE(?, final), "
                  "weights = COALESCE(?, weights) WHERE id = ?",
                  (status, reason, time.time(), json.dumps(_clean(final)) if final is not None else None,
                   weights, run_id))

    def mark(self, run_id: str, status: str, weights: str | None = None) -> None:
        """A run goes on with another status (paused, running again), keeping newer weights if given."""
        if status not in ("running", "paused"):
            raise ValueError(f"mark is for running or paused, got {status!r}")
        self._run("UPDATE runs SET status = ?, weights = COALESCE(?, weights) WHERE id = ?", (status, weights, run_id))

    def rename(self, run_id: str, name: str) -> None:
        self._must_exist(run_id)
        self._run("UPDATE runs SET name = ? WHERE id = ?", (name, run_id))

    def tag(self, run_id: str, tags: list[str]) -> None:
        self._must_exist(run_id)
        self._run("UPDATE runs SET tags = ? WHERE id = ?", (json.dumps(sorted(set(tags))), run_id))

    def delete(self, run_id: str) -> None:
        """The run, its history and its weights file."""
        run = self.get(run_id)
        self._run("DELETE FROM runs WHERE id = ?", (run_id,))
        if run["weights"]:
            (self.folder / run["weights"]).unlink(missing_ok=True)

    # -- reading ---------------------------------------------------------------------------------

    def list(self, owner: str | None = None, limit: int | None = None, experiments: bool = False) -> list[dict]:
        """Runs, newest first, without their histories (for a table); with their experiments if asked."""
        sql = f"SELECT {', '.join(_LISTED)}{', experiment' if experiments else ''} FROM runs"
        parameters: list[Any] = []
        if owner is not None:
            sql, parameters = sql + " WHERE owner = ?", [owner]
        sql += " ORDER BY started DESC" + (" LIMIT ?" if limit is not None else "")
        if limit is not None:
            parameters.append(limit)
        rows = self._run(sql, parameters).fetchall()
        if not experiments:
            return [_listed(row) for row in rows]
        return [{**_listed(row[:-1]), "experiment": json.loads(row[-1])} for row in rows]

    def get(self, run_id: str) -> dict:
        """One run: what `list` gives, its experiment, final metrics and weights (relative path)."""
        row = self._run(f"SELECT {', '.join(_LISTED)}, experiment, final, weights FROM runs WHERE id = ?",
                        (run_id,)).fetchone()
        if row is None:
            raise UnknownRun(run_id)
        run = _listed(row[: len(_LISTED)])
        run["experiment"] = json.loads(row[len(_LISTED)])
        run["final"] = json.loads(row[len(_LISTED) + 1]) if row[len(_LISTED) + 1] else None
        run["weights"] = row[len(_LISTED) + 2]
        return run

    def history(self, run_id: str) -> list[dict]:
        self._must_exist(run_id)
        rows = self._run("SELECT metrics FROM history WHERE run_id = ? ORDER BY epoch", (run_id,)).fetchall()
        return [json.loads(metrics) for (metrics,) in rows]

    def _must_exist(self, run_id: str) -> None:
        if self._run("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise UnknownRun(run_id)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _listed(row) -> dict:
    run = dict(zip(_LISTED, row, strict=True))
    run["tags"] = json.loads(run["tags"] or "[]")
    return run


def _number(value) -> bool:
    return isinstance(value, int | float) and value == value and abs(value) != float("inf")


def _clean(entry: dict) -> dict:
    """JSON has no NaN or infinity (a diverged loss): those are written as null."""
    return {k: (v if not isinstance(v, float) or _number(v) else None) for k, v in entry.items()}
