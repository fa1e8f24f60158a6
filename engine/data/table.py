"""A user's own CSV file: numeric feature columns and one target column (labels may be text).

Every way a file can be wrong becomes one `data:` message naming the row or column; nothing is
half-loaded. Features are standardized with the training rows' mean and spread.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.data.base import Config, DataInfo, Dataset, DatasetType, register, split, to_tensor
from engine.data.cache import SizedCache
from engine.data.csv_plain import read_csv_plain
from engine.data.csv_records import count_past, read_record, skip_blank_lines, unquoted
from engine.data.uploads import KEEP_HOURS, STORE, digest
from engine.params import Choice, Text
from engine.settings import env_int

MAX_BYTES = env_int("NEUROLOOM_CSV_MAX_BYTES", 50 * 2**20)
MAX_ROWS = env_int("NEUROLOOM_CSV_MAX_ROWS", 100_000)
MAX_COLUMNS = env_int("NEUROLOOM_CSV_MAX_COLUMNS", 200)
MAX_CLASSES_AUTO = 20  # an integer target with at most this many values is taken as classes
# more classes than this is an id column or values to predict; a model's output, its confusion
# matrix and its pictures all grow with them
MAX_CLASSES = env_int("NEUROLOOM_CSV_MAX_CLASSES", 1000)
MAX_NAME_CHARS = 500  # a longer column name is a mistake (a row of data where the header belongs)


class DataProblem(ValueError):
    """A dataset that cannot be made; the message names the row or column at fault."""


@dataclass(frozen=True)
class Table:
    features: np.ndarray  # (rows, columns) float
    target: np.ndarray  # class ids (int) or values (float)
    columns: tuple[str, ...]
    task: str
    class_names: tuple[str, ...]


SOURCES = ("path", "text", "sha256")  # the table: a file named by its user, the CSV itself, an upload
MIN_ROWS = 10  # fewer leave too little to train on and to test on
FLOAT32_MAX = float(np.finfo(np.float32).max)
_tables: SizedCache[Table] = SizedCache(
    env_int("NEUROLOOM_CSV_CACHE_BYTES", 256 * 2**20),
    lambda t: t.features.nbytes + t.target.nbytes,
)


def read_table(config: Config) -> Table:
    if config.get("sha256") is not None and _given(config) == ["sha256"]:
        # an upload's name is its content's hash: a table already read needs no read of the store
        key = (config["sha256"], config["target"], config["task"])
        return _tables.get(key, lambda: _parse(*_content(config), config["target"], config["task"]))
    name, content = _content(config)
    key = (digest(content), config["target"], config["task"])
    return _tables.get(key, lambda: _parse(name, content, config["target"], config["task"]))


def _given(config: Config) -> list[str]:
    return [s for s in SOURCES if config.get(s) is not None]


def _content(config: Config) -> tuple[str, bytes]:
    """The table's bytes, and how messages name it. Only `path` opens a file, and only the
    command line and the Python API accept it (see `Limits.read_paths`)."""
    given = _given(config)
    if len(given) != 1:
        raise DataProblem(
            "give the table one way: 'text' (the CSV itself), 'sha256' (a CSV uploaded to the page) "
            "or 'path' (a file, from the command line)" + (f", not {' and '.join(given)}" if given else "")
        )
    if given == ["path"]:
        return _file_content(Path(config["path"]))
    if given == ["text"]:
        name, content = "the CSV", config["text"].encode("utf-8", errors="replace")
    else:
        name, content = "the uploaded CSV", STORE.get(config["sha256"])
        if content is None:
            raise DataProblem(
                f"the uploaded CSV of this experiment (sha256 {config['sha256'][:12]}...) is not on this server "
                f"(uploads are kept {KEEP_HOURS} hours after their last use); upload the CSV again"
            )
    if len(content) > MAX_BYTES:
        raise DataProblem(f"{name} is {len(content) / 2**20:.1f} MiB, over the limit of {MAX_BYTES / 2**20:.0f} MiB")
    return name, content


def _file_content(path: Path) -> tuple[str, bytes]:
    try:
        stat = path.stat()
        if path.is_dir():
            raise DataProblem(f"{path} is a folder, not a CSV file")
        if stat.st_size > MAX_BYTES:
            raise DataProblem(
                f"{path} is {stat.st_size / 2**20:.1f} MiB, over the limit of {MAX_BYTES / 2**20:.0f} MiB"
            )
        return str(path), path.read_bytes()
    except FileNotFoundError:
        raise DataProblem(f"the CSV file {path} does not exist") from None
    except OSError as err:
        raise DataProblem(f"cannot read the CSV file {path}: {err.strerror or err}") from None


def check_upload(content: bytes) -> list[str]:
    """What is wrong with an uploaded CSV before it is kept, whatever its target column will be
    (an empty list: it can be kept)."""
    if len(content) > MAX_BYTES:
        return [f"the file is {len(content) / 2**20:.1f} MiB, over the limit of {MAX_BYTES / 2**20:.0f} MiB"]
    try:
        frame = _frame("the file", content)
        _enough_rows("the file", frame)
    except DataProblem as err:
        return [str(err)]
    return [] if len(frame.columns) >= 2 else ["the file has one column; it needs feature columns and a target column"]


def columns_of(content: bytes) -> list[str]:
    """The header's names of a table's content ([] when it has none that can be read)."""
    try:
        names = _header("the file", content.decode("utf-8-sig"))[0]
    except (UnicodeDecodeError, DataProblem):
        return []
    return [] if names == [""] else names  # [""]: nothing but blank lines


def _frame(name: str, content: bytes):
    """The table as text cells under its header's names, every malformed table refused."""
    try:
        text = content.decode("utf-8-sig")  # a byte-order mark is not part of the first name
    except UnicodeDecodeError:
        raise DataProblem(f"{name} is not a text CSV file (it is not UTF-8)") from None
    if "\0" in text:
        raise DataProblem(f"{name} is not a text CSV file (it holds NUL bytes)")
    # pandas builds a column for each name of the header and each value of the first row before
    # any limit can be checked (a million names: 2 GB), and renames repeated names in quadratic time
    header, header_end = _header(name, text)
    _first_row_fits(name, text, header_end, len(header))
    import pandas as pd  # slow to import: only when a CSV is read, not for one refused by now

    try:
        with warnings.catch_warnings():
            # A row longer than the header is an error here, not a silently dropped value.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                nrows=MAX_ROWS + 1,
                index_col=False,
            )
    except pd.errors.EmptyDataError:
        raise DataProblem(f"{name} is empty; it needs a header row and data rows") from None
    except pd.errors.ParserWarning:
        raise DataProblem(f"{name} has a row with more values than its header has columns") from None
    except (pd.errors.ParserError, ValueError) as err:
        raise DataProblem(f"{name} is not a valid CSV file: {str(err).strip().splitlines()[-1]}") from None
    if len(frame.columns) != len(header):  # `_header` splits it as pandas does: only a safeguard
        raise DataProblem(f"{name} is not a valid CSV file: its header cannot be read (check its quotes and line ends)")
    frame.columns = header
    if len(frame) == 0:
        raise DataProblem(f"{name} has a header but no data rows")
    if len(frame) > MAX_ROWS:
        raise DataProblem(f"{name} has more than {MAX_ROWS:,} rows, over the limit; use a sample of it")
    return frame


def _parse(name: str, content: bytes, target: str, task: str) -> Table:
    """Read and check a table's content (once per content, target and task: see `read_table`)."""
    frame = _frame(name, content)
    table = _table(name, frame, target, task)
    _enough_rows(name, frame)  # after the checks of each cell: a small file's first problem may be there
    return table


def _enough_rows(name: str, frame) -> None:
    if len(frame) < MIN_ROWS:
        raise DataProblem(
            f"{name} has {len(frame)} data rows; it needs at least {MIN_ROWS}, some to train on and some to test on"
        )


def _table(name: str, frame, target: str, task: str) -> Table:
    import pandas as pd

    if target not in frame.columns:
        raise DataProblem(
            f"{name} has no column '{target}' (its columns: {', '.join(frame.columns)}); "
            "set data.target to the column to predict"
        )
    feature_columns = [c for c in frame.columns if c != target]
    if not feature_columns:
        raise DataProblem(f"{name} has only the target column; it needs at least one feature column")
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
    if len(names) > MAX_CLASSES:
        raise DataProblem(
            f"the target column '{target}' has {len(names):,} classes, over the limit of {MAX_CLASSES:,}; if it holds "
            "numbers to predict, set task to regression"
        )
    if len(names) < 2:
        raise DataProblem(
            f"the target column '{target}' has only one class ({names[0]!r}); a classifier needs at least two"
        )
    ids = labels.map({name: i for i, name in enumerate(names)}).to_numpy(dtype=np.int64)
    return Table(features, ids, tuple(feature_columns), task, tuple(names))


def _header(name: str, text: str) -> tuple[list[str], int]:
    """The header's names as written (pandas would rename a repeated one to 'x.1'), and where
    the rows after it begin; a header pandas should not be given is refused."""
    header = read_record(text, skip_blank_lines(text, 0), MAX_COLUMNS)
    if not header.whole:
        raise DataProblem(
            f"{name} has {count_past(text, header.end, len(header.spans))} columns, over the limit of {MAX_COLUMNS:,}"
        )
    if header.unclosed:
        raise DataProblem(
            f"{name} is not a valid CSV file: the quote that opens column {len(header.spans)} of its header "
            "is never closed"
        )
    names = []
    for column, (start, stop) in enumerate(header.spans, 1):
        if stop - start > 2 * MAX_NAME_CHARS + 2:  # too long even if it were all quotes written twice
            raise DataProblem(_long_name(name, column, f"more than {MAX_NAME_CHARS:,}"))
        names.append(unquoted(text[start:stop]).strip())
        if len(names[-1]) > MAX_NAME_CHARS:
            raise DataProblem(_long_name(name, column, f"{len(names[-1]):,}"))
    first_column: dict[str, int] = {}
    for column, column_name in enumerate(names, 1):
        if column_name in first_column:
            shown = f"'{column_name}'" if column_name else "an empty name"
            raise DataProblem(
                f"{name} repeats a column name in its header ({shown}, columns "
                f"{first_column[column_name]} and {column}); column names must be unique"
            )
        first_column[column_name] = column
    return names, header.end


def _long_name(name: str, column: int, length: str) -> str:
    return (
        f"{name}'s header has a column name of {length} characters (column {column}), "
        f"over the limit of {MAX_NAME_CHARS:,}"
    )


def _first_row_fits(name: str, text: str, start: int, width: int) -> None:
    """pandas makes a column of every value of the first row (a million: minutes and gigabytes),
    and only later says the row is wider than the header; its other rows it holds to that width."""
    row = read_record(text, skip_blank_lines(text, start), width)
    if not row.whole:
        raise DataProblem(
            f"{name} has a row with more values than its header has columns "
            f"(row 1 has {count_past(text, row.end, len(row.spans))}, the header {width:,})"
        )
    if row.unclosed:
        raise DataProblem(
            f"{name} is not a valid CSV file: the quote that opens value {len(row.spans)} of row 1 is never closed"
        )


def _numeric(column, name: str) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(column.str.strip(), errors="coerce")
    bad = values.isna() | ~np.isfinite(values.fillna(0))
    if bad.any():
        row = _first(bad)
        raw = column.iloc[row - 1]
        what = "is missing" if raw.strip() in ("", "nan", "NaN", "NA") else f"is not a number ({raw!r})"
        raise DataProblem(f"column '{name}' {what} in row {row} (line {row + 1} of the file)")
    huge = values.abs() > FLOAT32_MAX  # float32 would make them infinite, and the run "diverge"
    if huge.any():
        row = _first(huge)
        raise DataProblem(
            f"column '{name}' holds {column.iloc[row - 1].strip()} in row {row} (line {row + 1} of the file), "
            f"beyond the largest number a model computes with ({FLOAT32_MAX:.3g}); rescale the column"
        )
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


def inline(config: Config) -> Config:
    """The config with an upload's content written in (`text`), for a script that runs anywhere."""
    if config.get("sha256") is None:
        return config
    _, content = _content(config)
    return {**config, "sha256": None, "text": content.decode("utf-8-sig")}


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
        rows=len(table.features),
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
            "text": Text(default=None, help="the CSV itself: a header row, then comma-separated rows"),
            "sha256": Text(default=None, help="a CSV uploaded to the page, named by the SHA-256 of its bytes"),
            "path": Text(default=None, help="a CSV file (command line and Python API only; the page never opens one)"),
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
        export=((read_csv_plain, table_arrays), "table_arrays(DATA, *read_csv_plain(DATA, CLASS_NAMES))"),
        file_fields=("path",),
        for_export=inline,
    )
)
