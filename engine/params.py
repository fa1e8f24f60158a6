"""Parameter schemas: each layer parameter's type, default and allowed range, and its checker.

A checker returns the normalized value, or raises `ParamError` with a message that names the
allowed values. Values are plain JSON (int, float, bool, str, list) so specs round-trip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

REQUIRED = object()  # marks a parameter the user must give


class ParamError(ValueError):
    pass


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Param:
    """Base parameter: a name-free schema; the registry maps names to these."""

    default: Any = REQUIRED
    help: str = ""
    example: Any = None  # the value a new node starts with when the parameter is required

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def check(self, value: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


@dataclass(frozen=True)
class Int(Param):
    low: int = 1
    high: int | None = None

    def check(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not _is_int(value):
            raise ParamError(f"must be {self.describe()}, got {value!r}")
        if value < self.low or (self.high is not None and value > self.high):
            raise ParamError(f"must be {self.describe()}, got {value}")
        return value

    def describe(self) -> str:
        if self.high is None:
            return "a positive integer" if self.low == 1 else f"an integer >= {self.low}"
        return f"an integer from {self.low} to {self.high}"


@dataclass(frozen=True)
class Float(Param):
    low: float = 0.0
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def check(self, value: Any) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ParamError(f"must be {self.describe()}, got {value!r}")
        try:
            value = float(value)
        except OverflowError:  # an integer with hundreds of digits
            raise ParamError(f"must be {self.describe()}, got a number too large to use") from None
        too_low = value <= self.low if self.low_open else value < self.low
        too_high = value >= self.high if self.high_open else value > self.high
        if not math.isfinite(value) or too_low or too_high:
            raise ParamError(f"must be {self.describe()}, got {value:g}")
        return value

    def describe(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open or self.high == math.inf else "]"
        high = "inf" if self.high == math.inf else f"{self.high:g}"
        return f"a number in {left}{self.low:g}, {high}{right}"


@dataclass(frozen=True)
class Bool(Param):
    def check(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ParamError(f"must be true or false, got {value!r}")
        return value

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Choice(Param):
    choices: tuple[str, ...] = ()

    def check(self, value: Any) -> str:
        if value not in self.choices or not isinstance(value, str):
            raise ParamError(f"must be {self.describe()}, got {value!r}")
        return value

    def describe(self) -> str:
        return "one of " + ", ".join(f'"{c}"' for c in self.choices)


@dataclass(frozen=True)
class AnyInt(Param):
    """An integer that may be negative (a dimension index)."""

    def check(self, value: Any) -> int:
        if not _is_int(value):
            raise ParamError(f"must be an integer, got {value!r}")
        return value

    def describe(self) -> str:
        return "an integer (negative counts from the end)"


@dataclass(frozen=True)
class Size(Param):
    """A positive integer, or a list of `dims` positive integers (kernel sizes, strides)."""

    dims: int = 1

    def check(self, value: Any) -> int | list[int]:
        if isinstance(value, list) and self.dims > 1:
            if len(value) != self.dims or not all(_is_int(v) and v >= 1 for v in value):
                raise ParamError(f"must be {self.describe()}, got {value!r}")
            return list(value)
        if not _is_int(value) or value < 1:
            raise ParamError(f"must be {self.describe()}, got {value!r}")
        return value

    def describe(self) -> str:
        if self.dims == 1:
            return "a positive integer"
        return f"a positive integer or a list of {self.dims} positive integers"


@dataclass(frozen=True)
class Padding(Param):
    """Zero padding: an integer >= 0, a list of them, or "same"."""

    dims: int = 1

    def check(self, value: Any) -> int | str | list[int]:
        if value == "same":
            return "same"
        if isinstance(value, list) and self.dims > 1:
            if len(value) != self.dims or not all(_is_int(v) and v >= 0 for v in value):
                raise ParamError(f"must be {self.describe()}, got {value!r}")
            return list(value)
        if not _is_int(value) or value < 0:
            raise ParamError(f"must be {self.describe()}, got {value!r}")
        return value

    def describe(self) -> str:
        extra = f", a list of {self.dims} of them" if self.dims > 1 else ""
        return f'an integer >= 0{extra} or "same"'


@dataclass(frozen=True)
class ShapeList(Param):
    """A target shape: a list of positive integers with at most one -1."""

    def check(self, value: Any) -> list[int]:
        if (
            not isinstance(value, list)
            or not value
            or not all(_is_int(v) and (v >= 1 or v == -1) for v in value)
            or value.count(-1) > 1
        ):
            raise ParamError(f"must be {self.describe()}, got {value!r}")
        return list(value)

    def describe(self) -> str:
        return "a non-empty list of positive integers with at most one -1"


@dataclass(frozen=True)
class Schema:
    """The parameters of one layer type, by name, in the order the page shows them."""

    params: dict[str, Param] = field(default_factory=dict)

    def defaults(self) -> dict[str, Any]:
        return {k: p.default for k, p in self.params.items() if not p.required}


@dataclass(frozen=True)
class NameList(Param):
    """A non-empty list of distinct names, each one of `choices` (e.g. 2-D input features)."""

    choices: tuple[str, ...] = ()

    def check(self, value: Any) -> list[str]:
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v in self.choices for v in value)
            or len(set(value)) != len(value)
        ):
            raise ParamError(f"must be {self.describe()}, got {value!r}")
        return list(value)

    def describe(self) -> str:
        return "a non-empty list of distinct names from " + ", ".join(self.choices)


@dataclass(frozen=True)
class Text(Param):
    """A non-empty string (a file path, a column name)."""

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ParamError(f"must be {self.describe()}, got {value!r}")
        return value

    def describe(self) -> str:
        return "a non-empty text"
