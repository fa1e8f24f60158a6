"""A user's CSV read with the standard library and numpy only, for exported scripts. The engine
reads (and checks) CSVs with pandas; this gives the same numbers for a file the engine accepted."""

import csv
import io
import os

import numpy as np


def read_csv_plain(config, class_names):
    """Feature columns as float32 and the target (class ids in `class_names` order, or values),
    from the CSV in the config (`text`) or the file it names (`path`)."""
    if config.get("text") is not None:
        rows = list(csv.reader(io.StringIO(config["text"].lstrip("\ufeff"), newline=""), skipinitialspace=True))
    else:
        path = config["path"]
        if not os.path.exists(path):  # exported scripts also look next to themselves
            path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.path.basename(path))
        with open(path, newline="", encoding="utf-8-sig") as file:
            rows = list(csv.reader(file, skipinitialspace=True))
    header, rows = [name.strip() for name in rows[0]], [row for row in rows[1:] if row]
    column = header.index(config["target"])
    features = np.array([[float(v) for i, v in enumerate(row) if i != column] for row in rows], dtype=np.float32)
    labels = [row[column].strip() for row in rows]
    if class_names:
        ids = {name: i for i, name in enumerate(class_names)}
        return features, np.array([ids[label] for label in labels], dtype=np.int64)
    return features, np.array([float(label) for label in labels], dtype=np.float32)
