"""What every dataset shares: its description, the generated tensors, and the field schema.

A dataset type is one registry entry (like a layer type): its fields with defaults and ranges,
a `describe` that tells the sample shape, dtype and task without generating anything, and a
`generate` that makes the arrays from a seed. Everything is deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from engine.params import Float, Int, Param

Config = dict[str, Any]

SHARED_FIELDS: dict[str, Param] = {
    "n_samples": Int(default=500, low=10, high=200_000, help="points to generate (train + test)"),
    "noise": Float(default=0.0, low=0.0, high=0.5, help="how much the data is blurred (0 to 0.5)"),
    "train_fraction": Float(default=0.5, low=0.1, high=0.9, help="share of samples used for training"),
    "seed": Int(default=0, low=0, high=2**31 - 1, help="same seed, same data"),
}


@dataclass(frozen=True)
class DataInfo:
    """What a model needs to know about a dataset, known before any data is made."""

    name: str
    task: str  # "classification" or "regression"
    sample_shape: tuple[int, ...]
    dtype: str = "float"  # "float" or "long" (token ids)
    n_classes: int | None = None
    class_names: tuple[str, ...] = ()
    target_shape: tuple[int, ...] = ()  # per sample: () one label or value, (T,) one per position
    kind: str = "planar"  # planar, image, series, tokens or table: picks the page's pictures
    features: tuple[str, ...] = ()
    domain: tuple[float, float] | None = None  # planar: the square the points lie in
    rows: int | None = None  # a table's rows (generated data has n_samples instead)

    @property
    def is_classification(self) -> bool:
        return self.task == "classification"


@dataclass
class Dataset:
    """Generated data: train and test tensors on the CPU, plus what the page plots."""

    info: DataInfo
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    points_train: np.ndarray | None = None  # planar: raw (x1, x2) of each sample, for plots
    points_test: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_train(self) -> int:
        return len(self.x_train)


@dataclass(frozen=True)
class DatasetType:
    name: str
    explain: str
    fields: dict[str, Param]
    describe: Callable[[Config], DataInfo]
    generate: Callable[[Config], Dataset]
    defaults: dict[str, Any] = field(default_factory=dict)  # overrides of the shared defaults
    # For exported scripts: the functions whose source makes the arrays, and the call (with the
    # config named DATA) that returns them as (inputs, targets, train indices, test indices).
    export: tuple[tuple[Callable, ...], str] | None = None
    for_export: Callable[[Config], Config] | None = None  # the config as an exported script needs it
    file_fields: tuple[str, ...] = ()  # fields naming a file to open: refused where paths are not read

    def schema(self) -> dict[str, Param]:
        return {**SHARED_FIELDS, **self.fields}

    def default_of(self, name: str) -> Any:
        return self.defaults.get(name, self.schema()[name].default)


DATASETS: dict[str, DatasetType] = {}


def register(*types: DatasetType) -> None:
    for kind in types:
        if kind.name in DATASETS:
            raise ValueError(f"dataset {kind.name} is registered twice")
        DATASETS[kind.name] = kind


def split(config: Config, x: np.ndarray, y: np.ndarray, shuffle: bool = True):
    """Shuffle (seeded) and split into train and test, as TensorFlow Playground does."""
    count = len(x)
    order = np.random.default_rng(config["seed"] + 1).permutation(count) if shuffle else np.arange(count)
    n_train = min(max(1, round(count * config["train_fraction"])), count - 1)
    return order[:n_train], order[n_train:]


def to_tensor(array: np.ndarray, dtype: str) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(array), dtype=torch.long if dtype == "long" else torch.float32)
