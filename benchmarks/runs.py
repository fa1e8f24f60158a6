"""The run store's costs: recording's share of training speed on TF Playground's default problem
(the engine's session, recorded against not recorded, alternating in one process); listing 10,000
runs and opening one with 10,000 epochs of history; eight runs writing at once.

Run: .venv/bin/python -m benchmarks.runs [--quick]
Targets: recording costs <= 2% of training speed; list and open each <= 200 ms; no lost row.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.page import playground_problem
from engine import load_experiment
from engine.runs import Recorder, RunStore
from engine.training.session import Session


def speed(session: Session, seconds: float, on_epoch=None) -> float:
    """Epochs/s of train-and-evaluate epochs (what the trainer does each epoch) for `seconds`."""
    epochs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        session.run_epoch()
        metrics = session.evaluate()
        if on_epoch is not None:
            on_epoch(session, metrics)
        epochs += 1
    return epochs / (time.perf_counter() - start)


def recording_cost(folder: Path, rounds: int, seconds: float) -> tuple[float, float]:
    raw = playground_problem()
    session = Session(load_experiment(raw), "cpu")
    speed(session, 1.0)  # torch's first passes
    recorder = Recorder(RunStore(folder), raw, "cpu")
    plain, recorded = [], []
    for _ in range(rounds):  # alternating, so a slow spell of the machine falls on both
        plain.append(speed(session, seconds))
        recorded.append(speed(session, seconds, recorder))
    recorder.finish("finished")
    return statistics.median(plain), statistics.median(recorded)


def big_store(folder: Path, runs: int, epochs: int) -> tuple[float, float, str]:
    store = RunStore(folder)
    experiment = playground_problem()
    with store._db:  # filled in one transaction: this is the benchmark's set-up, not what it measures
        for i in range(runs - 1):
            store.start({**experiment, "title": f"run {i}"}, "cpu")
    long_run = store.start(experiment, "cpu")
    entries = [{"epoch": e, "train_loss": 1 / e, "test_loss": 1 / e, "test_accuracy": 0.9, "lr": 0.03, "seconds": e / 100}
               for e in range(1, epochs + 1)]
    store.add_epochs(long_run, entries)
    store.finish(long_run, "finished", final=entries[-1])
    fresh = RunStore(folder)
    start = time.perf_counter()
    listed = fresh.list()
    listing = time.perf_counter() - start
    start = time.perf_counter()
    run, history = fresh.get(long_run), fresh.history(long_run)
    opening = time.perf_counter() - start
    assert len(listed) == runs and len(history) == epochs and run["id"] == long_run
    return listing * 1000, opening * 1000, long_run


def concurrent_writers(folder: Path, writers: int, epochs: int) -> tuple[int, int, int]:
    """`writers` runs, each its own connection and thread, appending one epoch at a time."""
    stores = [RunStore(folder) for _ in range(writers)]
    ids = [store.start({"title": f"writer {i}"}, "cpu") for i, store in enumerate(stores)]
    errors: list[Exception] = []

    def write(store: RunStore, run_id: str) -> None:
        try:
            for epoch in range(1, epochs + 1):
                store.add_epochs(run_id, [{"epoch": epoch, "train_loss": 0.5, "test_loss": 0.5}])
        except Exception as err:  # reported below: a "database is locked" is what this looks for
            errors.append(err)

    threads = [threading.Thread(target=write, args=pair) for pair in zip(stores, ids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = sum(len(RunStore(folder).history(run_id)) for run_id in ids)
    return rows, writers * epochs, len(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter rounds (a smoke run)")
    quick = parser.parse_args().quick
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        # many short alternating blocks: this machine's speed drifts by several % over seconds
        plain, recorded = recording_cost(root / "cost", rounds=6 if quick else 30, seconds=1.0)
        print(f"training, not recorded: {plain:.0f} epochs/s; recorded: {recorded:.0f} epochs/s; "
              f"cost {100 * (1 - recorded / plain):.1f}% (target <= 2%)")
        listing, opening, _ = big_store(root / "big", runs=10_000, epochs=10_000)
        print(f"list 10,000 runs: {listing:.0f} ms; open one with 10,000 epochs: {opening:.0f} ms (target <= 200 ms each)")
        rows, expected, errors = concurrent_writers(root / "eight", writers=8, epochs=100 if quick else 500)
        print(f"8 runs writing at once: {rows} of {expected} rows kept, {errors} errors (target: all, 0)")


if __name__ == "__main__":
    main()
