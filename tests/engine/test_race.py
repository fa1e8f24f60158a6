"""A race's contenders: the experiment once per value of the varied setting, labelled, checked."""

from __future__ import annotations

import json

import pytest

from engine.errors import SpecError
from engine.race import MAX_CONTENDERS, contenders, defaults
from tests.conftest import ROOT

SPIRAL = json.loads((ROOT / "presets" / "spiral.json").read_text())


def test_each_contender_differs_from_the_experiment_in_the_varied_setting_only():
    field = contenders(SPIRAL, "optimizer", ["sgd", "adam", "rmsprop"])
    assert [label for label, _ in field] == ["optimizer sgd", "optimizer adam", "optimizer rmsprop"]
    for (_, experiment), optimizer in zip(field, ["sgd", "adam", "rmsprop"], strict=True):
        assert experiment["training"] == {**SPIRAL["training"], "optimizer": optimizer}
        assert {k: v for k, v in experiment.items() if k != "training"} == \
            {k: v for k, v in SPIRAL.items() if k != "training"}
    assert SPIRAL["training"]["optimizer"] == "adam"  # the experiment itself is left as it was


def test_rates_and_seeds_are_labelled_and_repeats_count_once():
    assert [label for label, _ in contenders(SPIRAL, "lr", [0.003, 0.03, 0.03])] == ["learning rate 0.003",
                                                                                    "learning rate 0.03"]
    assert [e["training"]["seed"] for _, e in contenders(SPIRAL, "seed", [4, 5, 6])] == [4, 5, 6]


@pytest.mark.parametrize(("varied", "values", "says"), [
    ("momentum", [0.1, 0.9], "a race varies optimizer, lr, seed"),
    ("optimizer", ["adam"], "pick 2 to"),
    ("optimizer", ["adam", "lbfgs"], "optimizer"),
    ("lr", [0.1, -1], "learning rate"),
    ("seed", list(range(MAX_CONTENDERS + 1)), f"pick 2 to {MAX_CONTENDERS}"),
])
def test_a_race_that_cannot_be_run_says_why(varied, values, says):
    with pytest.raises(SpecError) as err:
        contenders(SPIRAL, varied, values)
    assert says in str(err.value) and err.value.problems[0].section == "training"


def test_defaults_start_from_the_experiments_own_value():
    assert defaults(SPIRAL, "optimizer")[0] == "adam" and len(set(defaults(SPIRAL, "optimizer"))) >= 3
    assert defaults(SPIRAL, "lr") == [0.01, 0.03, 0.1]
    assert defaults(SPIRAL, "seed") == [0, 1, 2]
