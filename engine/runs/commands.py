"""`python -m engine runs list|show|compare|export|delete` (CONTRACT.md section 2). An unknown id is
exit 2 with one line, as any bad input is."""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import time
from pathlib import Path

from engine.errors import Problem, SpecError
from engine.runs import compare
from engine.runs.store import RunStore, UnknownRun

_COLUMNS = (("id", 12), ("title", 30), ("dataset", 10), ("status", 9), ("epochs", 7), ("best_test_loss", 15),
            ("best_test_accuracy", 18), ("started", 16))


def add_parser(commands) -> None:
    runs = commands.add_parser("runs", help="the recorded runs: list, show, compare, export, delete")
    actions = runs.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every run, newest first")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show = actions.add_parser("show", help="a run's experiment, history and weights")
    show.add_argument("id")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    compare = actions.add_parser("compare", help="the settings that differ and the final metrics, side by side")
    compare.add_argument("ids", nargs="+", metavar="ID")
    compare.add_argument("--json", action="store_true", help="print JSON instead of a table")
    export = actions.add_parser("export", help="write experiment.json, weights.safetensors and history.csv")
    export.add_argument("id")
    export.add_argument("-o", "--output", required=True, metavar="DIR")
    delete = actions.add_parser("delete", help="delete a run, its history and its weights")
    delete.add_argument("id")
    runs.set_defaults(run=run_command)


def run_command(args: argparse.Namespace) -> int:
    store = RunStore()
    try:
        return {"list": _list, "show": _show, "compare": _compare, "export": _export, "delete": _delete}[args.action](store, args)
    except UnknownRun as err:
        raise SpecError(Problem("run", str(err))) from None
    finally:
        store.close()


def _list(store: RunStore, args) -> int:
    runs = store.list()
    if args.json:
        print(json.dumps(runs))
        return 0
    print("  ".join(name.ljust(width) for name, width in _COLUMNS))
    for run in runs:
        cells = {**run, "title": run["name"] or run["title"], "started": time.strftime("%Y-%m-%d %H:%M", time.localtime(run["started"]))}
        print("  ".join(_cell(cells[name]).ljust(width)[:width] for name, width in _COLUMNS))
    return 0


def _show(store: RunStore, args) -> int:
    run = store.get(args.id)
    run["history"] = store.history(args.id)
    run["weights"] = str(store.folder / run["weights"]) if run["weights"] else None
    if args.json:
        print(json.dumps(run))
        return 0
    print(f"{run['id']}  {run['name'] or run['title']}  ({run['status']}{': ' + run['reason'] if run['reason'] else ''})")
    print(f"dataset {run['dataset']}, {run['epochs']} epochs on {run['device']}; weights: {run['weights'] or 'none'}")
    for entry in run["history"][-10:]:
        print("  " + ", ".join(f"{k} {_cell(v)}" for k, v in entry.items() if v is not None))
    return 0


def _compare(store: RunStore, args) -> int:
    runs = [store.get(run_id) for run_id in args.ids]
    differing = compare.differing([run["experiment"] for run in runs])
    finals = {run["id"]: run["final"] or {} for run in runs}
    if args.json:
        print(json.dumps({"runs": [run["id"] for run in runs], "differing": differing, "final": finals}))
        return 0
    width = max([len(n) for n in differing] + [18])
    print("".ljust(width) + "".join(run["id"].ljust(14) for run in runs))
    for name, values in differing.items():
        print(name.ljust(width) + "".join(_cell(v).ljust(14) for v in values))
    for metric in ("train_loss", "test_loss", "test_accuracy", "epochs"):
        print(metric.ljust(width) + "".join(_cell(finals[run["id"]].get(metric)).ljust(14) for run in runs))
    return 0


def _export(store: RunStore, args) -> int:
    run = store.get(args.id)
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "experiment.json").write_text(json.dumps(run["experiment"], indent=2) + "\n")
    history = store.history(args.id)
    with (folder / "history.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(dict.fromkeys(k for entry in history for k in entry)))
        writer.writeheader()
        writer.writerows(history)
    if run["weights"]:
        shutil.copyfile(store.folder / run["weights"], folder / "weights.safetensors")
    print(f"wrote {folder}", file=sys.stderr)
    return 0


def _delete(store: RunStore, args) -> int:
    store.delete(args.id)
    print(f"deleted {args.id}", file=sys.stderr)
    return 0


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)
