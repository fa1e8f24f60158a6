"""What watching costs: the trainer's throughput headless vs. with a reader polling snapshots
(pictures included) at 10 Hz, the time from start() to the first snapshot, epochs per second on
TensorFlow Playground's default problem, and the effect of flushing denormal floats.

Run: .venv/bin/python -m benchmarks.training_stream [--quick] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import torch

from engine import load_experiment
from engine.training.trainer import Trainer

PLAYGROUND_DEFAULT = {
    "format": "neuroloom/1",
    "title": "TensorFlow Playground's default: circle, 4-2 tanh",
    "model": {
        "input": {"shape": [2]},
        "nodes": [
            {"id": "h1", "type": "Linear", "params": {"out_features": 4}},
            {"id": "a1", "type": "Tanh"},
            {"id": "h2", "type": "Linear", "params": {"out_features": 2}},
            {"id": "a2", "type": "Tanh"},
            {"id": "out", "type": "Linear", "params": {"out_features": 1}},
        ],
    },
    "data": {"dataset": "circle", "n_samples": 500, "noise": 0.0, "train_fraction": 0.5},
    "training": {"loss": "bce", "optimizer": "sgd", "lr": 0.03, "batch_size": 10, "epochs": 1_000_000},
}

RECURRENT = {
    "format": "neuroloom/1",
    "title": "LSTM forecasting the sine wave",
    "model": {
        "input": {"shape": [20, 1]},
        "nodes": [
            {"id": "lstm", "type": "LSTM", "params": {"hidden_size": 32}},
            {"id": "out", "type": "Linear", "params": {"out_features": 1}},
        ],
    },
    "data": {"dataset": "sine", "n_samples": 1000, "noise": 0.05},
    "training": {"loss": "mse", "optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": 1_000_000},
}

ATTENTION = {
    "format": "neuroloom/1",
    "title": "Transformer encoder reversing tokens",
    "model": {
        "input": {"shape": [6], "dtype": "long"},
        "nodes": [
            {"id": "emb", "type": "Embedding", "params": {"num_embeddings": 10, "embedding_dim": 32}},
            {"id": "pos", "type": "PositionalEncoding"},
            {
                "id": "enc",
                "type": "TransformerEncoderLayer",
                "params": {"nhead": 4, "dim_feedforward": 64, "dropout": 0.0},
            },
            {"id": "out", "type": "Linear", "params": {"out_features": 10}},
        ],
    },
    "data": {"dataset": "reverse", "seq_len": 6, "vocab": 10, "n_samples": 2000},
    "training": {"loss": "cross_entropy", "optimizer": "adam", "lr": 0.003, "batch_size": 32, "epochs": 1_000_000},
}


def steps_per_second(raw: dict, seconds: float, poll_hz: float | None, flush_denormal: bool = True,
                     insight: tuple | None = None) -> float:
    """Train for `seconds`; with `poll_hz`, a reader thread asks for snapshots that often (with
    the insight view `insight`, (view, node, sample), open)."""
    trainer = Trainer(load_experiment(raw), device="cpu", flush_denormal=flush_denormal)
    if insight is not None:
        trainer.set_insight(*insight)
    stop = threading.Event()

    def reader():
        while not stop.wait(1 / poll_hz):
            trainer.snapshot()

    polling = threading.Thread(target=reader) if poll_hz else None
    trainer.start()
    while trainer.session.step == 0:
        time.sleep(0.001)
    if polling:
        polling.start()
    first_step, began = trainer.session.step, time.perf_counter()
    time.sleep(seconds)
    done, elapsed = trainer.session.step, time.perf_counter() - began
    stop.set()
    trainer.stop()
    if polling:
        polling.join()
    return (done - first_step) / elapsed


def streaming_cost(raw: dict, rounds: int, seconds: float) -> tuple[float, float]:
    headless, watched = [], []
    for _ in range(rounds):  # alternate so drifts in machine load hit both alike
        headless.append(steps_per_second(raw, seconds, None))
        watched.append(steps_per_second(raw, seconds, 10))
    return statistics.median(headless), statistics.median(watched)


def first_snapshot_ms(raw: dict, repeats: int) -> list[float]:
    """Milliseconds from start() until a snapshot carries the untrained model's metrics."""
    experiment = load_experiment(raw)
    times = []
    for _ in range(repeats):
        trainer = Trainer(experiment, device="cpu")
        began = time.perf_counter()
        trainer.start()
        while not trainer.snapshot().metrics:
            time.sleep(0.0005)
        times.append((time.perf_counter() - began) * 1000)
        trainer.stop()
    return times


def epochs_per_second(raw: dict, seconds: float) -> float:
    trainer = Trainer(load_experiment(raw), device="cpu")
    trainer.start()
    time.sleep(seconds)
    epochs = trainer.snapshot(visuals=False).epoch
    elapsed = trainer.snapshot(visuals=False).seconds
    trainer.stop()
    return epochs / elapsed


def denormal_effect(raw: dict, seconds: float) -> tuple[float, float]:
    """Steps/s of the trainer without and with flushing denormals (a per-thread CPU setting)."""
    return steps_per_second(raw, seconds, None, False), steps_per_second(raw, seconds, None, True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter rounds")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rounds, seconds = (2, 1.0) if args.quick else (5, 2.0)

    print(f"torch {torch.__version__}, {args.threads} CPU thread(s), device cpu\n")
    print("Streaming cost (reader polling snapshots with pictures at 10 Hz), median of", rounds, "rounds:")
    print(f"{'model':<44}{'headless steps/s':>18}{'watched steps/s':>18}{'cost':>8}")
    worst = 0.0
    for raw in (PLAYGROUND_DEFAULT, RECURRENT, ATTENTION):
        headless, watched = streaming_cost(raw, rounds, seconds)
        cost = 1 - watched / headless
        worst = max(worst, cost)
        print(f"{raw['title']:<44}{headless:>18.0f}{watched:>18.0f}{cost * 100:>7.1f}%")

    times = first_snapshot_ms(PLAYGROUND_DEFAULT, 10 if args.quick else 30)
    print(f"\nstart() to first snapshot: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")
    rate = epochs_per_second(PLAYGROUND_DEFAULT, seconds * 2)
    print(f"Playground default (circle, 4-2 tanh, batch 10, lr 0.03): {rate:.0f} epochs/s headless")

    print("\nDenormal floats (Trainer(flush_denormal=...), set in the training thread):")
    print(f"{'model':<44}{'as is steps/s':>16}{'flushed steps/s':>17}")
    for raw in (RECURRENT, ATTENTION, PLAYGROUND_DEFAULT):
        plain, flushed = denormal_effect(raw, seconds)
        print(f"{raw['title']:<44}{plain:>16.0f}{flushed:>17.0f}")
    print(f"\nworst streaming cost: {worst * 100:.1f}%")


if __name__ == "__main__":
    main()
