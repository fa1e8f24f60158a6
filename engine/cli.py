"""The command line: `python -m engine summary|train|export ...` (CONTRACT.md section 2).

Bad input exits with code 2 and one `where: what` line per problem on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from engine.errors import Problem, SpecError
from engine.experiment import load_experiment
from engine.runs import commands as runs_commands
from engine.summary import summary_dict, summary_table
from engine.training.config import FIELDS as TRAINING_FIELDS
from engine.training.config import check_training
from engine.training.progress import ProgressBar
from engine.training.runfiles import save_run, writable_folder

EXIT_INVALID = 2
EXIT_INTERNAL = 1


def epochs_problems(text: str | None) -> list[Problem]:
    """`--epochs` is checked here, not by argparse, so a bad value is one `training:` line
    rather than a usage dump."""
    if text is None:
        return []
    highest = TRAINING_FIELDS["epochs"].high
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        return [Problem("training", f"--epochs must be a positive whole number, got {text}")]
    if value > highest:
        return [Problem("training", f"--epochs must be at most {highest}, got {text}")]
    return []


def finite_or_none(value):
    """JSON has no NaN or Infinity: a loss that is not a number is written as null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def cmd_summary(args: argparse.Namespace) -> int:
    experiment = load_experiment(args.file)
    if args.json:
        print(json.dumps(summary_dict(experiment.analysis)))
    else:
        print(summary_table(experiment.analysis, experiment.title))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from engine.training.trainer import DIVERGED, FAILED, FINISHED, STOPPED, Trainer

    problems = epochs_problems(args.epochs)
    try:
        experiment = load_experiment(args.file)
    except SpecError as err:
        raise SpecError(err.problems + problems) from None
    if problems:
        raise SpecError(problems)
    if experiment.data is None:
        raise SpecError(Problem("data", 'training needs a "data" section, e.g. {"dataset": "circle"}'))
    if experiment.training is None:
        experiment.training = check_training({})[0]
    if args.epochs is not None:
        experiment.training["epochs"] = int(args.epochs)
    if args.save:
        writable_folder(args.save, "--save")
    log = None
    if args.tensorboard:
        writable_folder(args.tensorboard, "--tensorboard")
        from engine.training.tensorboard import TensorBoardLog

        log = TensorBoardLog(args.tensorboard)
    recorder: list = []  # the run's recorder, once the trainer knows its device
    trainer = Trainer(experiment, device=args.device, on_epoch=lambda s, m: [f(s, m) for f in (log, *recorder) if f])
    if (started := _record(experiment, trainer.session.device.type)) is not None:
        recorder.append(started)
        print(f"run {started.run_id}", file=sys.stderr)
    bar = ProgressBar(experiment.training["epochs"])
    trainer.start()
    try:
        while not trainer.wait(0.1):
            bar.update(trainer.snapshot(visuals=False))
    except KeyboardInterrupt:
        trainer.stop()
        trainer.wait(5)
        for run in recorder:
            run.finish("stopped", "interrupted", weights=trainer.weights())
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if log is not None:
            log.close()
    final = trainer.snapshot(visuals=False)
    bar.update(final, final=True)
    for run in recorder:
        status = {FINISHED: "finished", STOPPED: "stopped"}.get(final.state, "failed")
        run.finish(status, final.message or None, {"epochs": final.epoch, "seconds": round(final.seconds, 3),
                                                   **final.metrics}, weights=trainer.weights())
    if args.save:
        save_run(args.save, experiment, trainer.session.model, trainer.history())
    if final.state in (DIVERGED, FAILED):
        print(final.message, file=sys.stderr)
    if args.json:
        m = final.metrics
        line = {
            "epochs": final.epoch,
            "train_loss": m.get("train_loss"),
            "test_loss": m.get("test_loss"),
            "train_accuracy": m.get("train_accuracy"),
            "test_accuracy": m.get("test_accuracy"),
            "seconds": round(final.seconds, 3),
            "device": trainer.session.device.type,
            "run_id": recorder[0].run_id if recorder else None,
        }
        print(json.dumps({k: finite_or_none(v) for k, v in line.items()}, allow_nan=False))
    return 1 if final.state in (DIVERGED, FAILED) else 0


def _record(experiment, device: str):
    """A recorder for this run in the run store, or None when the store is off or cannot be opened
    (said once on stderr: training goes on without it)."""
    from engine.runs import Recorder, RunStore, StoreError, recording_enabled

    if not recording_enabled():
        return None
    try:
        return Recorder(RunStore(), experiment.to_dict(), device)
    except StoreError as err:
        print(f"{err}; this run is not recorded", file=sys.stderr)
        return None


def cmd_export(args: argparse.Namespace) -> int:
    from engine.export import export

    written = export(load_experiment(args.file), args.to, args.output, args.weights)
    print(f"wrote {written}", file=sys.stderr)
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description="NeuroLoom's engine.")
    commands = parser.add_subparsers(dest="command", required=True)
    summary = commands.add_parser("summary", help="validate a model and print its layers, shapes and sizes")
    summary.add_argument("file", help="experiment file (JSON)")
    summary.add_argument("--json", action="store_true", help="print JSON instead of a table")
    summary.set_defaults(run=cmd_summary)

    train = commands.add_parser("train", help="train an experiment, with a progress bar on stderr")
    train.add_argument("file", help="experiment file (JSON) with data and training sections")
    train.add_argument("--epochs", metavar="N", help="override training.epochs")
    train.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), help="override training.device")
    train.add_argument("--json", action="store_true", help="end stdout with a JSON line of the final metrics")
    train.add_argument("--save", metavar="DIR", help="write the experiment, weights.safetensors and the history")
    train.add_argument("--tensorboard", metavar="DIR", help="log scalars and weight/gradient histograms here")
    train.set_defaults(run=cmd_train)

    export = commands.add_parser("export", help="write a training script, a DDP script, ONNX, pt2 or the spec")
    export.add_argument("file", help="experiment file (JSON)")
    export.add_argument("--to", required=True, choices=("pytorch", "ddp", "onnx", "pt2", "spec"))
    export.add_argument("-o", "--output", required=True, metavar="OUT", help="file to write")
    export.add_argument("--weights", metavar="W", help="a safetensors state dict (as train --save writes it)")
    export.set_defaults(run=cmd_export)
    runs_commands.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.run(args)
    except SpecError as err:
        for line in err.lines():
            print(line, file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug, not bad input: say so in one line unless debugging
        if os.environ.get("NEUROLOOM_DEBUG"):
            raise
        print(f"internal error: {type(err).__name__}: {err} (set NEUROLOOM_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_INTERNAL
