"""The layer registry: one entry per layer type, holding everything the engine and page need.

An entry has its parameter schema, shape rule, module builder (which doubles as the export code
template), multiply-add rule and a one-line explanation. Adding a layer type touches one place:
its entry in `engine/layers/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from engine.params import Param

Shape = tuple[int, ...]

GROUPS = (
    "core",
    "activation",
    "convolution",
    "pooling",
    "normalization",
    "recurrent",
    "embedding",
    "attention",
    "sequence",
    "merge",
)


class ShapeError(ValueError):
    """A layer cannot take the shape it is given; the message says why and how to fix it."""


@dataclass(frozen=True)
class Call:
    """A module constructor call: builds the live module and prints itself as export code."""

    ctor: type[nn.Module]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def build(self) -> nn.Module:
        return self.ctor(**self.kwargs)

    def source(self) -> str:
        prefix = "nn." if self.ctor.__module__.startswith("torch.nn") else ""
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{prefix}{self.ctor.__name__}({args})"


ShapeRule = Callable[[list[Shape], dict[str, Any]], Shape]
ModuleRule = Callable[[list[Shape], dict[str, Any]], Call]
MacsRule = Callable[[list[Shape], Shape, dict[str, Any]], int]


@dataclass(frozen=True)
class LayerType:
    """Everything about one layer type. All fields but the last three are required."""

    name: str
    group: str
    explain: str
    params: dict[str, Param]
    shape: ShapeRule
    module: ModuleRule
    macs: MacsRule
    min_inputs: int = 1
    max_inputs: int | None = 1
    # dtypes the layer reads; "any" layers pass their input's dtype through.
    accepts: tuple[str, ...] = ("float",)

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"{self.name}: unknown group {self.group!r}")
        if not self.explain.strip():
            raise ValueError(f"{self.name}: an explanation is required")
        for pname, param in self.params.items():
            if param.required and param.example is None:
                raise ValueError(f"{self.name}: required parameter {pname} needs an example value for new nodes")
        for rule in (self.shape, self.module, self.macs):
            if not callable(rule):
                raise TypeError(f"{self.name}: shape, module and macs must be functions")

    def output_dtype(self, input_dtype: str) -> str:
        return input_dtype if len(self.accepts) > 1 else "float"


REGISTRY: dict[str, LayerType] = {}


def register(*entries: LayerType) -> None:
    for entry in entries:
        if entry.name in REGISTRY:
            raise ValueError(f"layer type {entry.name} is registered twice")
        REGISTRY[entry.name] = entry


def zero_macs(in_shapes: list[Shape], out_shape: Shape, params: dict[str, Any]) -> int:
    """Multiply-adds of layers that do no multiplication worth counting (activations, reshapes)."""
    return 0


def numel(shape: Shape) -> int:
    total = 1
    for size in shape:
        total *= size
    return total


def fmt(shape: Shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def batch_dim(dim: int, rank: int, what: str = "dim") -> int:
    """Map a per-sample dimension index to the batched tensor's, checking its range."""
    if not -rank <= dim < rank:
        raise ShapeError(f"{what} {dim} is out of range for a per-sample shape of rank {rank}")
    return dim + 1 if dim >= 0 else dim
