"""Datasets: check a `data` section, describe it without generating, and generate it (seeded)."""

from __future__ import annotations

import functools
import json
from typing import Any

from engine.data import digits, planar, sequences, table  # noqa: F401  (register the datasets)
from engine.data.base import DATASETS, Config, DataInfo, Dataset
from engine.data.table import DataProblem
from engine.errors import Problem
from engine.params import ParamError
from engine.spec import suggest

__all__ = ["DATASETS", "DataInfo", "DataProblem", "Dataset", "check_data", "make_dataset"]


def check_data(raw: Any) -> tuple[Config | None, DataInfo | None, list[Problem]]:
    """Validate a data section: returns the config with every default filled in, its description
    and the problems found (all of them). Never raises."""
    if not isinstance(raw, dict):
        return None, None, [Problem("data", '"data" must be an object such as {"dataset": "circle"}')]
    name = raw.get("dataset")
    if not isinstance(name, str) or name not in DATASETS:
        hint = suggest(name, DATASETS) if isinstance(name, str) else ""
        return (
            None,
            None,
            [Problem("data", f"unknown dataset {name!r}{hint} (known: {', '.join(DATASETS)})", field="dataset")],
        )
    kind = DATASETS[name]
    schema = kind.schema()
    problems: list[Problem] = []
    config: Config = {"dataset": name}
    for key, value in raw.items():
        if key == "dataset":
            continue
        if key not in schema:
            problems.append(
                Problem(
                    "data",
                    f"the {name} dataset has no field '{key}'{suggest(key, schema)} (its fields: {', '.join(schema)})",
                    field=key,
                )
            )
            continue
        if value is None and kind.default_of(key) is None:
            config[key] = None
            continue
        try:
            config[key] = schema[key].check(value)
        except ParamError as err:
            problems.append(Problem("data", f"{key} {err}", field=key))
    for key, param in schema.items():
        if key not in raw:
            if param.required:
                problems.append(Problem("data", f"the {name} dataset needs '{key}' ({param.describe()})", field=key))
            else:
                config[key] = kind.default_of(key)
    if problems:
        return None, None, problems
    try:
        return config, kind.describe(config), []
    except DataProblem as err:
        return None, None, [Problem("data", str(err))]


def make_dataset(config: Config) -> Dataset:
    """Generate the data of a checked config; the same config always gives the same data."""
    return _generate(json.dumps(config, sort_keys=True))


@functools.lru_cache(maxsize=16)
def _generate(key: str) -> Dataset:
    config = json.loads(key)
    return DATASETS[config["dataset"]].generate(config)
