"""What differs between runs' experiments: nested settings as dotted names, the ones whose values
are not all the same (the command line's `runs compare` and the page's Runs panel)."""

from __future__ import annotations

import json

IGNORED = ("title", "description", "layout")  # words and drawing, not settings


def flat(value, prefix: str = "") -> dict:
    """{"training": {"lr": 0.1}} -> {"training.lr": 0.1}; lists stay whole values."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in flat(item, f"{prefix}{key}.").items()}
    return {prefix[:-1]: value}


def differing(experiments: list[dict]) -> dict[str, list]:
    """Each setting whose value differs between `experiments`, with the values in their order."""
    settings = [flat(experiment) for experiment in experiments]
    names = sorted({name for one in settings for name in one
                    if not any(name == i or name.startswith(f"{i}.") or name.endswith(f".{i}") for i in IGNORED)})
    return {name: [one.get(name) for one in settings] for name in names
            if len({json.dumps(one.get(name), sort_keys=True) for one in settings}) > 1}
