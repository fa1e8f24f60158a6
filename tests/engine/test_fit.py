"""A model's ending against its loss: a final Softmax over a single value always outputs 1, so it
is refused when the experiment is loaded, on its node, with the fix."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engine import SpecError, load_experiment
from tests.conftest import ROOT, experiment

CIRCLE = {"dataset": "circle", "n_samples": 100}
PLANE = {"dataset": "plane", "n_samples": 100}
SOFTMAX_BCE = (
    "node 'out': Softmax before the bce loss always outputs 1 (the softmax of a single value is 1), so the "
    "model cannot learn; use Sigmoid for bce, or cross_entropy with one output per class"
)


def ending_in(last: str, outputs: int, loss: str, data=CIRCLE) -> dict:
    nodes = [
        {"id": "h", "type": "Linear", "params": {"out_features": 8}},
        {"id": "a", "type": "Tanh"},
        {"id": "logits", "type": "Linear", "params": {"out_features": outputs}},
        {"id": "out", "type": last},
    ]
    return experiment(nodes, data=data, training={"loss": loss})


@pytest.mark.parametrize("loss", ["bce", "auto"])  # auto is bce for one output on two classes
def test_softmax_over_one_output_before_bce_is_a_problem_on_its_node(loss):
    with pytest.raises(SpecError) as caught:
        load_experiment(ending_in("Softmax", 1, loss))
    assert [str(p) for p in caught.value.problems] == [SOFTMAX_BCE]
    assert caught.value.problems[0].node == "out"


def test_softmax_over_one_value_cannot_learn_a_regression_either():
    with pytest.raises(SpecError, match=r"node 'out': Softmax over a single value always outputs 1, so the model "
                                        r"cannot learn with mse; remove it$"):
        load_experiment(ending_in("Softmax", 1, "mse", data=PLANE))


@pytest.mark.parametrize(
    ("last", "outputs", "loss"),
    [("Sigmoid", 1, "bce"), ("Softmax", 2, "bce"), ("Softmax", 2, "cross_entropy"), ("Sigmoid", 1, "auto")],
)
def test_endings_that_can_learn_still_load(last, outputs, loss):
    load_experiment(ending_in(last, outputs, loss))


def test_the_command_line_refuses_softmax_before_bce_in_one_line(tmp_path):
    import json

    path = tmp_path / "softmax_bce.json"
    path.write_text(json.dumps(ending_in("Softmax", 1, "bce")))
    result = subprocess.run([sys.executable, "-m", "engine", "train", str(path), "--epochs", "1"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [SOFTMAX_BCE]
