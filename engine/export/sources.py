"""The source of engine functions for exported scripts, with what they call, in order."""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Iterable
from types import CodeType


def _names(code: CodeType) -> list[str]:
    found = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):  # comprehensions and nested functions
            found += _names(const)
    return found


def function_sources(roots: Iterable[Callable]) -> list[str]:
    """Each root's source preceded by the module-level functions and constants it uses (from
    the engine's data modules), every one once."""
    seen: set[str] = set()
    blocks: list[str] = []

    def visit(function: Callable) -> None:
        if function.__name__ in seen:
            return
        seen.add(function.__name__)
        for name in _names(function.__code__):
            value = function.__globals__.get(name)
            if inspect.isfunction(value) and value.__module__.startswith("engine.data"):
                visit(value)
            elif name.isupper() and isinstance(value, int | float | tuple) and name not in seen:
                seen.add(name)
                blocks.append(f"{name} = {value!r}")
        blocks.append(textwrap.dedent(inspect.getsource(function)).strip())

    for root in roots:
        visit(root)
    return blocks
