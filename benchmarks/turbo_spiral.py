"""`engine train presets/spiral.json` end to end, turbo against eager: whole-process seconds.

Each run is a new process (`python -m engine train`), so the times include starting Python,
loading torch, and for turbo compiling in the background. Turbo runs twice cold (an empty
inductor cache) and warm (the cache the cold run filled). Two epoch counts per mode give each
mode's seconds per epoch and fixed cost; the break-even epoch count is where the lines cross.

Run: .venv/bin/python -m benchmarks.turbo_spiral [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(experiment: Path, epochs: int, env: dict) -> float:
    """Whole-process seconds of one `engine train` run; says the swap-in time its turbo reported."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "engine", "train", str(experiment), "--epochs", str(epochs), "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"engine train failed: {done.stderr[-2000:]}")
    said = [line for line in done.stderr.splitlines() if line.startswith(("turbo:", "eager"))]
    print(f"  {experiment.stem}, {epochs} epochs: {seconds:.1f} s{'; ' if said else ''}{'; '.join(said)}", flush=True)
    return seconds


def line(short: int, long: int, short_s: float, long_s: float) -> tuple[float, float]:
    """Seconds per epoch and fixed seconds of a mode, from two runs."""
    per_epoch = (long_s - short_s) / (long - short)
    return per_epoch, short_s - per_epoch * short


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch threads of the runs (OMP_NUM_THREADS); default: torch's own, as a user runs it")
    args = parser.parse_args()
    short, long = (600, 1800) if args.quick else (1000, 3000)
    raw = json.loads((ROOT / "presets" / "spiral.json").read_text())
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "NEUROLOOM_HOME": str(Path(folder) / "home"),
               "TORCHINDUCTOR_CACHE_DIR": str(Path(folder) / "inductor")}
        env.pop("OMP_NUM_THREADS", None)
        if args.threads:
            env["OMP_NUM_THREADS"] = str(args.threads)
        files = {}
        for mode in ("off", "on"):
            files[mode] = Path(folder) / f"spiral_{mode}.json"
            files[mode].write_text(json.dumps({**raw, "training": {**raw["training"], "turbo": mode}}))
        eager = (run(files["off"], short, env), run(files["off"], long, env))
        cold = run(files["on"], long, env)
        warm = (run(files["on"], short, env), run(files["on"], long, env))
    threads = f"{args.threads} thread{'s' if args.threads > 1 else ''}" if args.threads else "its default threads"
    print(f"engine train presets/spiral.json, whole process, seconds (torch on {threads}, {os.cpu_count()} cores)")
    print(f"{'epochs':>8}{'eager':>10}{'turbo cold':>12}{'turbo warm':>12}")
    print(f"{short:>8}{eager[0]:>10.1f}{'':>12}{warm[0]:>12.1f}")
    print(f"{long:>8}{eager[1]:>10.1f}{cold:>12.1f}{warm[1]:>12.1f}")
    print(f"\nturbo/eager whole-process time ratio at {long} epochs: cold {cold / eager[1]:.2f}, warm "
          f"{warm[1] / eager[1]:.2f}")
    eager_per, eager_fixed = line(short, long, *eager)
    warm_per, warm_fixed = line(short, long, *warm)
    if warm_per < eager_per:
        print(f"break-even (warm cache): {max(0.0, (warm_fixed - eager_fixed) / (eager_per - warm_per)):.0f} epochs; "
              f"{1 / eager_per:.0f} against {1 / warm_per:.0f} epochs/s once started")
    else:
        print("break-even: none (turbo was not faster per epoch in these runs)")


if __name__ == "__main__":
    main()
