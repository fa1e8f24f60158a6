"""One namespace for the identifiers of a generated script, so no two things share a name and
no name shadows Python, the script's imports or its own globals."""

from __future__ import annotations

import builtins
import keyword
import re

SCRIPT_GLOBALS = {"argparse", "math", "np", "torch", "nn", "F", "Model", "DATA", "TRAINING", "EPS", "self", "x",
                  "logits", "main", "load_data", "split", "dist", "TITLE", "DESCRIPTION", "CLASS_NAMES"}


class Namespace:
    def __init__(self, reserved=()):
        self._used = set(keyword.kwlist) | set(dir(builtins)) | SCRIPT_GLOBALS | set(reserved)

    def claim(self, wanted: str) -> str:
        """`wanted` made into an identifier, with a number added if it is taken."""
        base = re.sub(r"\W", "_", wanted) or "value"
        if base[0].isdigit():
            base = f"n_{base}"
        name, count = base, 2
        while name in self._used:
            name, count = f"{base}_{count}", count + 1
        self._used.add(name)
        return name
