"""The command line: `python -m engine summary|train|export ...` (CONTRACT.md section 2).

Bad input exits with code 2 and one `where: what` line per problem on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from engine.errors import SpecError
from engine.experiment import load_experiment
from engine.summary import summary_dict, summary_table

EXIT_INVALID = 2
EXIT_INTERNAL = 1


def cmd_summary(args: argparse.Namespace) -> int:
    experiment = load_experiment(args.file)
    if args.json:
        print(json.dumps(summary_dict(experiment.analysis)))
    else:
        print(summary_table(experiment.analysis, experiment.title))
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description="NeuroLoom's engine.")
    commands = parser.add_subparsers(dest="command", required=True)
    summary = commands.add_parser("summary", help="validate a model and print its layers, shapes and sizes")
    summary.add_argument("file", help="experiment file (JSON)")
    summary.add_argument("--json", action="store_true", help="print JSON instead of a table")
    summary.set_defaults(run=cmd_summary)
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
