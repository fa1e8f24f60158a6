"""A user's own CSV file: numeric feature columns and one target column (labels may be text).

Every way a file can be wrong becomes one `data:` message naming the row or column; nothing is
half-loaded. Features are standardized with the training rows' mean and spread.
"""

from __future__ import annotations

import csv
import functools
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.data.base import Config, DataInfo, Dataset, DatasetType, register, split, to_tensor
from engine.data.csv_plain import read_csv_plain
from engine.params import Choice, Text
from engine.settings import env_int

MAX_BYTES = env_int("NEUROLOOM_CSV_MAX_BYTES", 50 * 2**20)
MAX_ROWS = env_int("NEUROLOOM_CSV_MAX_ROWS", 100_000)
MAX_COLUMNS = env_int("NEUROLOOM_CSV_MAX_COLUMNS", 200)
MAX_CLASSES_AUTO = 20  # an integer target with at most this many values is taken as classes


class DataProblem(ValueError):
    """A dataset that cannot be made; the message names the row or column at fault."""


@dataclass(frozen=True)
class Table:
    features: np.ndarray  # (rows, columns) float
    target: np.ndarray  # class ids (int) or values (float)
    columns: tuple[str, ...]
    task: str
    class_names: tuple[str, ...]


def read_table(config: Config) -> Table:
    path = Path(config["path"])
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataProblem(f"the CSV file {path} does not exist") from None
    except OSError as err:
        raise DataProblem(f"cannot read the CSV file {path}: {err.strerror or err}") from None
    if path.is_dir():
        raise DataProblem(f"{path} is a folder, not a CSV file")
    if stat.st_size > MAX_BYTES:
        raise DataProblem(f"{path} is {stat.st_size / 2**20:.1f} MiB, over the limit of {MAX_BYTES / 2**20:.0f} MiB")
    return _parse(str(path), stat.st_mtime_ns, stat.st_size, config["target"], config["task"])


@functools.lru_cache(maxsize=8)
def _parse(path: str, mtime: int, size: int, target: str, task: str) -> Table:
    """Read and check the file once per version of it (keyed by its time and size)."""
    import pandas as pd  # slow to import: only when a CSV is read

    try:
        with warnings.catch_warnings():
            # A row longer than the header is an error here, not a silently dropped value.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                nrows=MAX_ROWS + 1,
                encoding="utf-8",
                index_col=False,
            )
    except UnicodeDecodeError:
        raise DataProblem(f"{path} is not a text CSV file (it is not UTF-8)") from None
    except pd.errors.EmptyDataError:
        raise DataProblem(f"{path} is empty; it needs a header row and data rows") from None
    except pd.errors.ParserWarning:
        raise DataProblem(f"{path} has a row with more values than its header has columns") from None
    except (pd.errors.ParserError, ValueError) as err:
        raise DataProblem(f"{path} is not a valid CSV file: {str(err).strip().splitlines()[-1]}") from None
    header = _header(path)
    if len(set(header)) != len(header):
        raise DataProblem(f"{path} repeats a column name in its header; column names must be unique")
    frame.columns = header
    if len(frame) == 0:
        raise DataProblem(f"{path} has a header but no data rows")
    if len(frame) > MAX_ROWS:
        raise DataProblem(f"{path} has more than {MAX_ROWS:,} rows, over the limit; use a sample of it")
    if len(frame.columns) > MAX_COLUMNS:
        raise DataProblem(f"{path} has {len(frame.columns)} columns, over the limit of {MAX_COLUMNS}")
    if target not in frame.columns:
        raise DataProblem(
            f"the CSV file has no column '{target}' (its columns: {', '.join(frame.columns)}); "
            "set data.target to the column to predict"
        )
    feature_columns = [c for c in frame.columns if c != target]
    if not feature_columns:
        raise DataProblem("the CSV file has only the target column; it needs at least one feature column")
    features = np.empty((len(frame), len(feature_columns)), dtype=np.float32)
    for j, column in enumerate(feature_columns):
        features[:, j] = _numeric(frame[column], column)
    labels = frame[target].str.strip()
    if (labels == "").any():
        raise DataProblem(f"the target column '{target}' is empty in row {_first(labels == '')}")
    numeric = pd.to_numeric(labels, errors="coerce")
    if task == "auto":
        whole = numeric.notna().all() and np.all(np.mod(numeric, 1) == 0)
        task = (
            "classification"
            if numeric.isna().any() or (whole and numeric.nunique() <= MAX_CLASSES_AUTO)
            else "regression"
        )
    if task == "regression":
        values = _numeric(frame[target], target)
        return Table(features, values.astype(np.float32), tuple(feature_columns), task, ())
    names = sorted(labels.unique(), key=_label_order)
    if len(names) < 2:
        raise DataProblem(
            f"the target column '{target}' has only one class ({names[0]!r}); a classifier needs at least two"
        )
    ids = labels.map({name: i for i, name in enumerate(names)}).to_numpy(dtype=np.int64)
    return Table(features, ids, tuple(feature_columns), task, tuple(names))


def _header(path: str) -> list[str]:
    """The header's names as written (pandas would rename a repeated one to 'x.1')."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [name.strip() for name in next(csv.reader(handle))]


def _numeric(column, name: str) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(column.str.strip(), errors="coerce")
    bad = values.isna() | ~np.isfinite(values.fillna(0))
    if bad.any():
        row = _first(bad)
        raw = column.iloc[row - 1]
        what = "is missing" if raw.strip() in ("", "nan", "NaN", "NA") else f"is not a number ({raw!r})"
        raise DataProblem(f"column '{name}' {what} in row {row} (line {row + 1} of the file)")
    return values.to_numpy(dtype=np.float64)


def _label_order(label: str) -> tuple:
    """Numbers in numeric order first, then text in alphabetical order."""
    try:
        return (0, float(label), "")
    except ValueError:
        return (1, 0.0, label)


def _first(mask) -> int:
    """1-based data row of the first True (the header is line 1 of the file)."""
    return int(np.flatnonzero(mask.to_numpy())[0]) + 1


def describe(config: Config) -> DataInfo:
    table = read_table(config)
    return DataInfo(
        name="csv",
        task=table.task,
        sample_shape=(len(table.columns),),
        n_classes=len(table.class_names) or None,
        class_names=table.class_names,
        kind="table",
        features=table.columns,
    )


def table_arrays(config, features, target):
    """A seeded sample of the rows, split, features standardized with the training rows' mean
    and spread, optional noise: (inputs, targets, train indices, test indices)."""
    rows = len(features)
    keep = np.random.default_rng(config["seed"]).permutation(rows)[: min(config["n_samples"] or rows, rows)]
    x, y = features[keep], target[keep]
    train, test = split(config, x, y)
    mean, spread = x[train].mean(0), x[train].std(0)
    x = (x - mean) / np.where(spread > 0, spread, 1)
    if config["noise"]:
        x = x + np.random.default_rng(config["seed"] + 2).normal(0, config["noise"], x.shape)
    return x, y, train, test


def generate(config: Config) -> Dataset:
    table = read_table(config)
    x, y, train, test = table_arrays(config, table.features, table.target)
    target = "long" if table.task == "classification" else "float"
    return Dataset(
        describe(config),
        to_tensor(x[train], "float"),
        to_tensor(y[train], target),
        to_tensor(x[test], "float"),
        to_tensor(y[test], target),
    )


register(
    DatasetType(
        "csv",
        "Your own table: numeric feature columns and a target column (numbers or class names).",
        {
            "path": Text(help="the CSV file (header row, comma separated)"),
            "target": Text(help="the column to predict"),
            "task": Choice(
                default="auto",
                choices=("auto", "classification", "regression"),
                help="auto: text or few whole numbers are classes, otherwise regression",
            ),
        },
        describe,
        generate,
        defaults={"n_samples": None},
        export=((read_csv_plain, table_arrays),
                "table_arrays(DATA, *read_csv_plain(DATA['path'], DATA['target'], CLASS_NAMES))"),
    )
)
