"""The run store against real SQLite files: recording from `engine train`, the `engine runs`
commands, bad ids, concurrent writers, schema versions and a damaged database."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading

import pytest
from safetensors.torch import load_file

from engine.runs import Recorder, RunStore, StoreError, UnknownRun
from engine.runs.store import DATABASE, SCHEMA_VERSION
from tests.conftest import ROOT

PLAYGROUND = ROOT / "presets" / "playground.json"


def engine(*args: str, home) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**__import__("os").environ, "NEUROLOOM_HOME": str(home)})


def engine_here(capsys, *args: str) -> subprocess.CompletedProcess:
    """The same command in this process (NEUROLOOM_HOME is the test's): a process each would
    spend seconds importing torch."""
    from engine.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


def trained(home, *extra: str, capsys=None) -> dict:
    command = ("train", str(PLAYGROUND), "--epochs", "6", "--json", *extra)
    done = engine_here(capsys, *command) if capsys else engine(*command, home=home)
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout.strip().splitlines()[-1])
    assert f"run {line['run_id']}" in done.stderr  # the id on stderr too
    return line


def test_train_records_the_run_its_history_and_weights_and_runs_show_reads_them(run_store_home):
    line = trained(run_store_home)
    shown = json.loads(engine("runs", "show", line["run_id"], "--json", home=run_store_home).stdout)
    assert shown["status"] == "finished" and shown["epochs"] == 6 and shown["device"] == "cpu"
    assert [entry["epoch"] for entry in shown["history"]] == [1, 2, 3, 4, 5, 6]
    assert shown["history"][-1]["test_loss"] == pytest.approx(line["test_loss"])
    assert shown["best_test_loss"] == pytest.approx(min(e["test_loss"] for e in shown["history"]))
    assert shown["experiment"]["data"]["dataset"] == "circle" and shown["experiment"]["training"]["epochs"] == 6
    weights = load_file(shown["weights"])
    assert len(weights) == 6 and all(tensor.numel() > 0 for tensor in weights.values())  # 3 Linear layers
    listed = json.loads(engine("runs", "list", "--json", home=run_store_home).stdout)
    assert [run["id"] for run in listed] == [line["run_id"]]


def test_compare_export_and_delete(run_store_home, tmp_path, capsys):
    """The runs commands, in this process (the test above runs them as a user does)."""
    def engine(*args, home):
        assert home == run_store_home
        return engine_here(capsys, *args)

    first = trained(run_store_home, capsys=capsys)["run_id"]
    changed = tmp_path / "sgd.json"
    raw = json.loads(PLAYGROUND.read_text())
    raw["training"]["optimizer"] = "sgd"
    changed.write_text(json.dumps(raw))
    done = engine("train", str(changed), "--epochs", "4", "--json", home=run_store_home)
    second = json.loads(done.stdout.strip().splitlines()[-1])["run_id"]
    compared = json.loads(engine("runs", "compare", first, second, "--json", home=run_store_home).stdout)
    assert compared["differing"]["training.optimizer"] == ["adam", "sgd"]
    assert compared["differing"]["training.epochs"] == [6, 4]
    assert "training.lr" not in compared["differing"]
    assert compared["final"][second]["epochs"] == 4
    table = engine("runs", "compare", first, second, home=run_store_home).stdout
    assert "training.optimizer" in table and "sgd" in table

    out = tmp_path / "exported"
    assert engine("runs", "export", first, "-o", str(out), home=run_store_home).returncode == 0
    assert json.loads((out / "experiment.json").read_text())["training"]["optimizer"] == "adam"
    assert len((out / "history.csv").read_text().splitlines()) == 7  # a header and 6 epochs
    assert load_file(str(out / "weights.safetensors"))

    assert engine("runs", "delete", first, home=run_store_home).returncode == 0
    assert [run["id"] for run in RunStore(run_store_home).list()] == [second]
    assert not (run_store_home / "weights" / f"{first}.safetensors").exists()


@pytest.mark.parametrize("command", [["show", "nope"], ["delete", "nope"], ["export", "nope", "-o", "x"], ["compare", "nope"]])
def test_an_unknown_id_is_exit_2_with_one_line(run_store_home, command, capsys):
    done = engine_here(capsys, "runs", *command)
    assert done.returncode == 2 and done.stderr.strip().splitlines() == ["run: no run 'nope' in the run store"]


def test_the_store_can_be_turned_off(run_store_home):
    done = subprocess.run([sys.executable, "-m", "engine", "train", str(PLAYGROUND), "--epochs", "2", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "NEUROLOOM_HOME": str(run_store_home), "NEUROLOOM_RUNS": "off"})
    assert done.returncode == 0 and json.loads(done.stdout.splitlines()[-1])["run_id"] is None
    assert not (run_store_home / DATABASE).exists()


def test_eight_runs_writing_at_once_lose_no_row(tmp_path):
    stores = [RunStore(tmp_path) for _ in range(8)]  # a connection each, as eight workers have
    ids = [store.start({"title": f"run {i}", "data": {"dataset": "circle"}}, "cpu") for i, store in enumerate(stores)]

    def write(store: RunStore, run_id: str) -> None:
        for epoch in range(1, 201):
            store.add_epochs(run_id, [{"epoch": epoch, "train_loss": 1 / epoch, "test_loss": 1 / epoch}])

    threads = [threading.Thread(target=write, args=pair) for pair in zip(stores, ids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reader = RunStore(tmp_path)
    assert all(len(reader.history(run_id)) == 200 for run_id in ids)
    assert all(run["epochs"] == 200 and run["best_test_loss"] == pytest.approx(1 / 200) for run in reader.list())


def test_workers_that_open_a_new_store_together_migrate_it_once(tmp_path):
    """Workers of one server may create its store at the same moment: each used to run the
    migrations it saw missing, and the second ALTER TABLE failed ("duplicate column name")."""
    def open_store(folder, together: threading.Barrier, failures: list) -> None:
        together.wait()
        try:
            RunStore(folder).close()
        except Exception as err:
            failures.append(err)

    for attempt in range(5):
        folder, together, failures = tmp_path / str(attempt), threading.Barrier(8), []
        threads = [threading.Thread(target=open_store, args=(folder, together, failures)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert RunStore(folder)._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_diverged_loss_is_kept_as_null_and_the_best_ignores_it(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.start({"title": "t", "data": {"dataset": "circle"}}, "cpu")
    store.add_epochs(run_id, [{"epoch": 1, "test_loss": 0.5}, {"epoch": 2, "test_loss": float("nan")}])
    store.finish(run_id, "failed", "diverged", {"test_loss": float("inf")})
    assert [e["test_loss"] for e in store.history(run_id)] == [0.5, None]
    run = store.get(run_id)
    assert run["best_test_loss"] == 0.5 and run["final"] == {"test_loss": None} and run["reason"] == "diverged"


def test_rename_tag_and_unknown_ids(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.start({"title": "t"}, "cpu")
    store.rename(run_id, "baseline")
    store.tag(run_id, ["adam", "adam", "small"])
    assert store.get(run_id)["name"] == "baseline" and store.get(run_id)["tags"] == ["adam", "small"]
    for action in (lambda: store.get("x"), lambda: store.history("x"), lambda: store.rename("x", "y"), lambda: store.delete("x")):
        with pytest.raises(UnknownRun):
            action()


def test_the_schema_version_is_kept_and_a_newer_database_is_refused_clearly(tmp_path):
    RunStore(tmp_path).close()
    with sqlite3.connect(tmp_path / DATABASE) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer NeuroLoom"):
        RunStore(tmp_path)


def test_a_damaged_database_is_a_clear_message_and_training_goes_on(run_store_home):
    (run_store_home / DATABASE).write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="damaged"):
        RunStore(run_store_home)
    done = engine("train", str(PLAYGROUND), "--epochs", "2", "--json", home=run_store_home)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["run_id"] is None
    assert "damaged" in done.stderr and "not recorded" in done.stderr


def test_a_store_that_fails_mid_run_says_so_once_and_never_stops_training(tmp_path):
    store = RunStore(tmp_path)
    recorder = Recorder(store, {"title": "t"}, "cpu")
    store.close()  # every write from now on fails

    class Session:
        epoch, lr = 1, 0.1

    for _ in range(3):
        recorder(Session(), {"train_loss": 1.0})
        recorder.flush()
    recorder.finish("finished")  # no exception: the run is simply not fully recorded


def test_kill_9_of_a_training_process_keeps_its_history_and_marks_it_failed(run_store_home):
    import os
    import signal
    import time

    process = subprocess.Popen([sys.executable, "-m", "engine", "train", str(PLAYGROUND), "--epochs", "5000"],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "NEUROLOOM_HOME": str(run_store_home)})
    try:
        run_id = process.stderr.readline().split()[-1]  # "run <id>", before training starts
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(RunStore(run_store_home).history(run_id)) < 20:
            time.sleep(0.2)
        time.sleep(1.5)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    run = RunStore(run_store_home).get(run_id)
    history = RunStore(run_store_home).history(run_id)
    assert run["status"] == "failed" and "killed" in run["reason"]
    assert len(history) >= 20 and [e["epoch"] for e in history] == list(range(1, len(history) + 1))


def test_an_older_database_is_brought_up_to_date_and_keeps_its_runs(tmp_path):
    from engine.runs import store as store_module

    with sqlite3.connect(tmp_path / DATABASE) as db:  # a database as the first version wrote it
        db.executescript(store_module._MIGRATIONS[0] + "PRAGMA user_version = 1;")
        db.execute("INSERT INTO runs (id, title, dataset, experiment, status, started) "
                   "VALUES ('old', 'kept', 'circle', '{}', 'finished', 1.0)")
    store = RunStore(tmp_path)
    assert store.get("old")["title"] == "kept"
    assert store.history(store.start({"title": "new"}, "cpu")) == []


def test_a_locked_database_is_said_once_and_its_epochs_are_written_once_it_is_free(tmp_path, monkeypatch, capsys):
    from engine.runs import store as store_module

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 100)
    store = RunStore(tmp_path)
    recorder = Recorder(store, {"title": "t"}, "cpu")

    class Session:
        epoch, lr = 0, 0.1

    blocker = sqlite3.connect(tmp_path / DATABASE, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another program holds the database
    for epoch in range(1, 6):
        Session.epoch = epoch
        recorder(Session(), {"train_loss": 1.0 / epoch})  # training goes on: the call only buffers
    recorder.flush()
    assert "locked" in capsys.readouterr().err
    blocker.execute("COMMIT")
    blocker.close()
    recorder.finish("finished")
    assert [e["epoch"] for e in RunStore(tmp_path).history(recorder.run_id)] == [1, 2, 3, 4, 5]
    assert RunStore(tmp_path).get(recorder.run_id)["status"] == "finished"


SERVER = """
import json, sys, time
from engine.experiment import load_experiment
from engine.training.remote import RemoteTrainer, shared_slots
raw = json.load(open(sys.argv[1]))
raw["training"]["epochs"] = 100000
trainer = RemoteTrainer(load_experiment(raw), slots=shared_slots(), record={"owner": "0123456789abcdef", "home": sys.argv[2]})
trainer.start()
print("training", flush=True)
time.sleep(600)
"""


def test_kill_9_of_the_server_loses_nothing_written_and_its_run_ends(run_store_home):
    """A stand-in for the page's server (the same fork server, worker and recording): killed with
    SIGKILL while its run trains, every row written stays, and the orphaned worker ends the run."""
    import os
    import signal
    import time

    server = subprocess.Popen([sys.executable, "-c", SERVER, str(PLAYGROUND), str(run_store_home)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        assert server.stdout.readline().strip() == "training"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            runs = RunStore(run_store_home).list()
            if runs and len(RunStore(run_store_home).history(runs[0]["id"])) >= 20:
                break
            time.sleep(0.2)
        run_id = RunStore(run_store_home).list()[0]["id"]
        written = RunStore(run_store_home).history(run_id)
        os.kill(server.pid, signal.SIGKILL)  # the server only: its worker is orphaned, as on a crash
        server.wait(30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and RunStore(run_store_home).get(run_id)["status"] == "running":
            time.sleep(0.2)
    finally:
        with __import__("contextlib").suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
    run = RunStore(run_store_home).get(run_id)
    after = RunStore(run_store_home).history(run_id)
    assert len(written) >= 20 and after[: len(written)] == written  # nothing already written is lost
    assert [e["epoch"] for e in after] == list(range(1, len(after) + 1))
    assert run["status"] in ("stopped", "failed") and run["reason"], run
    with sqlite3.connect(run_store_home / DATABASE) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
