"""The optional `family` and `expect` keys of an experiment: what gallery group a preset is in,
and the result it is known to reach on CPU (checked by the preset tests).

"expect": {"epochs": 60, "test_accuracy_min": 0.9, "test_loss_max": 0.3}
Bounds are `<metric>_min` or `<metric>_max` on the metrics of the last epoch.
"""

from __future__ import annotations

import math
from typing import Any

from engine.errors import Problem

FAMILIES = ("basics", "vision", "sequences", "attention", "generative", "tricks")
METRICS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_r2", "test_r2", "test_distance")
BOUNDS = tuple(f"{m}_{side}" for m in METRICS for side in ("min", "max"))


def check_family(value: Any) -> list[Problem]:
    if value is None or value in FAMILIES:
        return []
    return [Problem("file", f'"family" must be one of {", ".join(FAMILIES)}, got {value!r}')]


def check_expect(value: Any) -> list[Problem]:
    if value is None:
        return []
    if not isinstance(value, dict):
        return [Problem("file", '"expect" must be an object like {"epochs": 50, "test_accuracy_min": 0.9}')]
    problems = []
    epochs = value.get("epochs")
    if not (isinstance(epochs, int) and not isinstance(epochs, bool) and epochs >= 1):
        problems.append(Problem("file", f'"expect.epochs" must be a whole number of epochs >= 1, got {epochs!r}'))
    for key, bound in value.items():
        if key == "epochs":
            continue
        if key not in BOUNDS:
            problems.append(Problem("file", f'"expect.{key}" is not a known bound (use <metric>_min or <metric>_max '
                                            f'with a metric among {", ".join(METRICS)})'))
        elif not (isinstance(bound, int | float) and not isinstance(bound, bool) and _finite(bound)):
            problems.append(Problem("file", f'"expect.{key}" must be a number, got {bound!r}'))
    return problems


def _finite(number: float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an integer too large for a float
        return False


def unmet(expect: dict[str, Any], metrics: dict[str, Any]) -> list[str]:
    """Which bounds the metrics miss, in words (empty when the expectation holds)."""
    missed = []
    for key, bound in expect.items():
        if key == "epochs":
            continue
        metric, side = key.rsplit("_", 1)
        value = metrics.get(metric)
        if value is None or (value < bound if side == "min" else value > bound):
            missed.append(f"{metric} = {value} ({'expected >=' if side == 'min' else 'expected <='} {bound})")
    return missed


def train_for_expectation(experiment, device: str = "cpu") -> tuple[dict[str, Any], float]:
    """Train `experiment` for its `expect.epochs`; returns the last epoch's metrics and seconds."""
    import time

    from engine.training.session import Session

    start = time.perf_counter()
    session = Session(experiment, device)
    for _ in range(experiment.expect["epochs"]):
        session.run_epoch()
    return session.evaluate(), time.perf_counter() - start
