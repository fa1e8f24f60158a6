"""What `train --save DIR` writes: the experiment, the weights (safetensors) and the history."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from safetensors.torch import save_file

from engine.experiment import Experiment


def writable_folder(directory: str | Path, option: str) -> Path:
    """Make the folder (or find it) before a run, so a bad path fails before training, not after."""
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".neuroloom-write-check"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        from engine.errors import Problem, SpecError

        raise SpecError(Problem("file", f"{option} {directory}: cannot write there ({err.strerror or err})")) from None
    return folder


def save_run(directory: str | Path, experiment: Experiment, model, history: list[dict]) -> list[Path]:
    """Write experiment.json, weights.safetensors, history.csv and history.json; return paths."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in ("experiment.json", "weights.safetensors", "history.csv", "history.json")]
    paths[0].write_text(json.dumps(experiment.to_dict(), indent=2) + "\n")
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(paths[1]), metadata={"format": "neuroloom/1", "title": experiment.title})
    columns = list(history[0]) if history else []
    with paths[2].open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(history)
    paths[3].write_text(json.dumps(history, indent=1) + "\n")
    return paths
