"""Does the model fit its data and loss? Input shape and dtype against the samples, output size
against the classes or values, and the loss against the task. Each mismatch is one `data:` or
`training:` problem that says how to fix it."""

from __future__ import annotations

import math

from engine.data import DataInfo
from engine.errors import Problem, node_problem
from engine.registry import fmt
from engine.spec import NodeSpec

REGRESSION_LOSSES = ("mse", "l1", "huber")


def resolve_loss(loss: str, info: DataInfo, output_shape: tuple[int, ...]) -> str:
    """The concrete loss for `auto`: bce for one output on two classes, cross_entropy for
    classes, mse for values."""
    if loss != "auto":
        return loss
    if not info.is_classification:
        return "mse"
    return "bce" if output_shape == (*info.target_shape, 1) and info.n_classes == 2 else "cross_entropy"


def fit_problems(
    info: DataInfo, input_shape, input_dtype, output_shape, loss: str, output_node: NodeSpec | None = None
) -> list[Problem]:
    """Every way the model's input, output and loss disagree with the data (and, given the
    output node, with each other)."""
    problems = [] if output_node is None else ending_problems(output_node, tuple(output_shape), loss, info)
    name = f"the {info.name} dataset"
    if tuple(input_shape) != info.sample_shape:
        hint = f"set the model's input shape to {fmt(info.sample_shape)}"
        if info.kind == "planar":
            hint += f" or choose {input_shape[0]} features" if len(input_shape) == 1 else ""
            detail = f" (features {', '.join(info.features)})"
        else:
            detail = ""
        problems.append(
            Problem(
                "data",
                f"{name} gives samples of shape {fmt(info.sample_shape)}{detail} "
                f"but the model's input is {fmt(tuple(input_shape))}; {hint}",
            )
        )
    if input_dtype != info.dtype:
        what = {"long": "token ids (long)", "float": "numbers (float)"}
        problems.append(
            Problem(
                "data",
                f"{name} gives {what[info.dtype]} but the model's input dtype is "
                f'"{input_dtype}"; set it to "{info.dtype}"',
            )
        )
    output = tuple(output_shape)
    if info.is_classification:
        problems += _classification_fit(info, name, output, loss)
    else:
        if loss not in REGRESSION_LOSSES:
            problems.append(
                Problem("training", f"{name} is regression (it predicts numbers): use mse, l1 or huber, not {loss}")
            )
        target = info.target_shape
        if target and math.prod(output) != math.prod(target):
            problems.append(
                Problem(
                    "data",
                    f"{name} predicts {fmt(target)} values per sample (target: the input itself): the model's "
                    f"output is {fmt(output)}; end the model with {math.prod(target)} outputs, e.g. a Linear "
                    f"with out_features {math.prod(target)} and a Reshape to {fmt(target)}",
                )
            )
        elif not target and output not in ((1,), ()):
            problems.append(
                Problem(
                    "data",
                    f"{name} predicts one number per sample: the model's output is "
                    f"{fmt(output)}, make it [1] (a Linear with out_features 1 at the end)",
                )
            )
    return problems


def _classification_fit(info: DataInfo, name: str, output: tuple[int, ...], loss: str) -> list[Problem]:
    k, per_position = info.n_classes, info.target_shape
    classes = f"{name} has {k} classes"
    if per_position:
        want = (*per_position, k)
        if output != want:
            return [
                Problem(
                    "data",
                    f"{name} has one of {k} classes at each of {per_position[0]} positions: "
                    f"the model's output must be {fmt(want)}, got {fmt(output)}",
                )
            ]
        return []
    if loss == "cross_entropy" and output != (k,):
        hint = "use 1 output with bce or 2 with cross_entropy" if k == 2 else f"use {k} outputs with cross_entropy"
        return [Problem("data", f"{classes}: {hint} (the model's output is {fmt(output)})")]
    if loss != "cross_entropy" and output != (k,) and not (k == 2 and output == (1,)):
        one = "1 output (or 2, one per class)" if k == 2 else f"{k} outputs, one per class"
        return [Problem("data", f"{classes}: with {loss} use {one}; the model's output is {fmt(output)}")]
    return []


def ending_problems(output_node: NodeSpec, output_shape: tuple[int, ...], loss: str, info: DataInfo) -> list[Problem]:
    """A final Softmax over a single value outputs 1 whatever the weights, so no loss can teach
    it anything (a Softmax over several outputs trains with bce or cross_entropy alike)."""
    if output_node.type != "Softmax" or not output_shape:
        return []
    if output_shape[output_node.params.get("dim", -1)] != 1:
        return []
    if loss == "bce":
        fix = "use Sigmoid for bce, or cross_entropy with one output per class"
        return [node_problem(output_node.id, f"Softmax before the bce loss always outputs 1 (the softmax of a "
                                             f"single value is 1), so the model cannot learn; {fix}")]
    fix = "remove it" + (", or give cross_entropy one output per class" if info.is_classification else "")
    return [node_problem(output_node.id, f"Softmax over a single value always outputs 1, so the model cannot "
                                         f"learn with {loss}; {fix}")]
