"""A race: one experiment trained several ways side by side, differing in one setting (the
optimizer, the learning rate or the seed), each contender its own run."""

from __future__ import annotations

import copy
from typing import Any

from engine.errors import Problem, SpecError
from engine.params import ParamError
from engine.training.config import FIELDS, LR_LADDER, OPTIMIZERS

VARIED = {"optimizer": "optimizer", "lr": "learning rate", "seed": "seed"}  # field → what a person calls it
MIN_CONTENDERS, MAX_CONTENDERS = 2, 6
CHOICES = {"optimizer": OPTIMIZERS, "lr": LR_LADDER, "seed": tuple(range(10))}


def contenders(raw: dict[str, Any], varied: str, values: list) -> list[tuple[str, dict[str, Any]]]:
    """(label, experiment) for each value: `raw` with `training.<varied>` set to it. Raises
    SpecError naming what is wrong (an unknown setting, a bad value, too few or too many)."""
    if varied not in VARIED:
        raise SpecError(Problem("training", f"a race varies {', '.join(VARIED)}, not {varied!r}"))
    checked = []
    for value in values:
        try:
            checked.append(FIELDS[varied].check(value))
        except ParamError as err:
            raise SpecError(Problem("training", f"race: {VARIED[varied]} {err}", field=varied)) from None
    distinct = list(dict.fromkeys(checked))
    if not MIN_CONTENDERS <= len(distinct) <= MAX_CONTENDERS:
        raise SpecError(Problem("training", f"race: pick {MIN_CONTENDERS} to {MAX_CONTENDERS} different values "
                                            f"of the {VARIED[varied]} (got {len(distinct)})", field=varied))
    races = []
    for value in distinct:
        experiment = copy.deepcopy(raw)
        experiment["training"] = {**(experiment.get("training") or {}), varied: value}
        races.append((f"{VARIED[varied]} {value:g}" if isinstance(value, float) else f"{VARIED[varied]} {value}",
                      experiment))
    return races


def defaults(raw: dict[str, Any], varied: str) -> list:
    """The values a race over `varied` starts from: the experiment's own and its neighbours."""
    own = (raw.get("training") or {}).get(varied, FIELDS[varied].default)
    if varied == "optimizer":
        return list(dict.fromkeys([own, "sgd", "adam", "rmsprop"]))[:4]
    if varied == "lr":
        ladder = list(LR_LADDER)
        at = min(range(len(ladder)), key=lambda i: abs(ladder[i] - own))
        return ladder[max(0, at - 1): at + 2]
    return [own + i for i in range(3)]
