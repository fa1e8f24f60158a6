"""The CNN and Transformer presets on CUDA (turbo: compiled chunks under CUDA graphs) against the
CPU (eager), epochs per second of training, without evaluation. Needs a CUDA device; without one
it says so and does nothing.

Run: .venv/bin/python -m benchmarks.turbo_gpu [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from engine import load_experiment
from engine.training.session import Session

ROOT = Path(__file__).resolve().parent.parent
PRESETS = ("cnn_digits", "transformer_reverse")


def epochs_per_second(name: str, device: str, turbo: str, seconds: float) -> tuple[float, str]:
    raw = json.loads((ROOT / "presets" / f"{name}.json").read_text())
    raw["training"] = {**raw.get("training", {}), "turbo": turbo}
    session = Session(load_experiment(raw), device=device)
    session.run_epoch()
    session.turbo.wait()
    session.run_epoch()  # CUDA graphs record on their first calls
    if device == "cuda":
        torch.cuda.synchronize()
    epochs, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        session.run_epoch()
        epochs += 1
    if device == "cuda":
        torch.cuda.synchronize()
    return epochs / (time.perf_counter() - began), session.turbo.note or "eager"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of training per measurement")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device here: not run")
        return
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}, CPU: {torch.get_num_threads()} threads")
    print(f"{'preset':<22}{'CPU eager epochs/s':>20}{'GPU turbo epochs/s':>20}{'GPU/CPU':>10}  GPU speed from")
    for name in PRESETS:
        cpu, _ = epochs_per_second(name, "cpu", "off", args.seconds)
        gpu, how = epochs_per_second(name, "cuda", "on", args.seconds)
        print(f"{name:<22}{cpu:>20.1f}{gpu:>20.1f}{gpu / cpu:>10.1f}  {how}")


if __name__ == "__main__":
    main()
