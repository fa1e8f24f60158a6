"""Every preset is a valid experiment that teaches one idea and reaches, on CPU, the result its
`expect` block states."""

from __future__ import annotations

import json

import pytest
import torch

from engine import SpecError, load_experiment
from engine.expect import FAMILIES, train_for_expectation, unmet
from tests.conftest import ROOT

PRESETS = sorted((ROOT / "presets").glob("*.json"))


def test_the_gallery_has_at_least_fourteen_presets_across_every_family():
    assert len(PRESETS) >= 14
    families = {json.loads(p.read_text()).get("family") for p in PRESETS}
    assert families == set(FAMILIES)


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_preset_reaches_its_stated_result_on_cpu(path):
    experiment = load_experiment(path)
    assert experiment.title and experiment.family in FAMILIES
    assert 1 <= experiment.description.count(". ") + 1 <= 3, "describe what to look at and why, in two sentences"
    assert experiment.expect and len(experiment.expect) >= 2, "state the result the preset reaches"
    torch.set_num_threads(1)  # the figures in `expect` are honest on one core
    metrics, seconds = train_for_expectation(experiment)
    assert not unmet(experiment.expect, metrics), f"{path.name}: {unmet(experiment.expect, metrics)} after {seconds:.1f} s"


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ({"test_accuracy_min": 0.9}, "expect.epochs"),
        ({"epochs": 10, "test_acuracy_min": 0.9}, "not a known bound"),
        ({"epochs": 10, "test_loss_max": "low"}, "must be a number"),
        ([1, 2], "must be an object"),
    ],
)
def test_a_broken_expect_block_is_a_file_problem(expect, message):
    raw = json.loads((ROOT / "presets" / "perceptron.json").read_text())
    raw["expect"] = expect
    with pytest.raises(SpecError) as caught:
        load_experiment(raw)
    assert any(message in line and line.startswith("file:") for line in caught.value.lines())


def test_an_unknown_family_is_a_file_problem():
    raw = json.loads((ROOT / "presets" / "perceptron.json").read_text())
    raw["family"] = "magic"
    with pytest.raises(SpecError, match="family"):
        load_experiment(raw)


def test_unmet_names_the_metric_and_the_bound():
    assert unmet({"epochs": 1, "test_accuracy_min": 0.9}, {"test_accuracy": 0.5}) == [
        "test_accuracy = 0.5 (expected >= 0.9)"
    ]
    assert unmet({"epochs": 1, "test_loss_max": 0.1}, {"test_loss": 0.05}) == []
