"""Datasets: check a `data` section, describe it without generating, and generate it (seeded)."""

from __future__ import annotations

import json
from typing import Any

from engine.data import digits, planar, sequences, table  # noqa: F401  (register the datasets)
from engine.data.base import DATASETS, Config, DataInfo, Dataset
from engine.data.cache import SizedCache
from engine.data.table import DataProblem
from engine.errors import Problem
from engine.params import ParamError
from engine.settings import env_int
from engine.shapes import Limits
from engine.spec import suggest

__all__ = ["DATASETS", "DataInfo", "DataProblem", "Dataset", "check_data", "make_dataset"]


NO_PATHS = ("this experiment reads a file from the computer it was made on ('{field}'), and this page opens "
            "no files by name; upload the CSV here instead")


def check_data(raw: Any, limits: Limits | None = None) -> tuple[Config | None, DataInfo | None, list[Problem]]:
    """Validate a data section: returns the config with every default filled in, its description
    and the problems found (all of them). Never raises. Under `limits` that do not read paths, a
    section naming a file is refused before anything is opened."""
    from engine.budget import data_problems

    limits = limits or Limits()
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
        if key in kind.file_fields and value is not None and not limits.read_paths:
            problems.append(Problem("data", NO_PATHS.format(field=key), field=key))
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
        info = kind.describe(config)
    except DataProblem as err:
        return None, None, [Problem("data", str(err))]
    too_big = data_problems(info, config, limits)
    return (None, None, too_big) if too_big else (config, info, [])


def make_dataset(config: Config) -> Dataset:
    """Generate the data of a checked config; the same config always gives the same data. Made
    datasets are kept while they fit the cache's bytes (NEUROLOOM_DATA_CACHE_BYTES)."""
    key = json.dumps(config, sort_keys=True)
    return _made.get(key, lambda: DATASETS[config["dataset"]].generate(json.loads(key)))


def dataset_bytes(dataset: Dataset) -> int:
    arrays = (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test,
              dataset.points_train, dataset.points_test, *dataset.extra.values())
    return sum(a.nbytes for a in arrays if hasattr(a, "nbytes"))


_made: SizedCache[Dataset] = SizedCache(env_int("NEUROLOOM_DATA_CACHE_BYTES", 256 * 2**20), dataset_bytes)
