"""What an open Inside view costs: training speed (steps/s) with a reader polling snapshots with
pictures at 10 Hz, without and with the view open, on the preset each view is made for.
Target: <= 10% (the live view's own cost target) with any one view open.

Run: .venv/bin/python -m benchmarks.insights [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics

import torch

from benchmarks.training_stream import steps_per_second
from tests.conftest import ROOT

CASES = [("vanishing_sigmoid", "activations"), ("cnn_digits", "convolution"), ("transformer_reverse", "attention"),
         ("lstm_sine", "recurrent"), ("vae_digits", "latent"), ("gan_ring", "generated")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter rounds")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rounds, seconds = (2, 1.5) if args.quick else (5, 3.0)
    print(f"{'preset':<24}{'view':<14}{'watched steps/s':>16}{'view open':>12}{'cost':>8}")
    worst = 0.0
    for preset, view in CASES:
        raw = json.loads((ROOT / "presets" / f"{preset}.json").read_text())
        raw["training"]["epochs"] = 1_000_000
        plain, opened = [], []
        for _ in range(rounds):  # alternated, so drifts of the machine's speed hit both alike
            plain.append(steps_per_second(raw, seconds, 10))
            opened.append(steps_per_second(raw, seconds, 10, insight=(view, None, 0)))
        cost = 1 - statistics.median(opened) / statistics.median(plain)
        worst = max(worst, cost)
        print(f"{preset:<24}{view:<14}{statistics.median(plain):>16.0f}{statistics.median(opened):>12.0f}"
              f"{cost * 100:>7.1f}%")
    print(f"\nworst cost of an open view: {worst * 100:.1f}%  (target <= 10%)")


if __name__ == "__main__":
    main()
