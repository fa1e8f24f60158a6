"""How much memory making a dataset and training on it will take, estimated from the experiment
before anything is allocated. A run over the limit is refused with one line that names the field
to change (or the node), what it would take and the limit.

The estimate is an upper bound of the big parts: the dataset while it is made, the model's
parameters with their gradients and optimizer state, and the largest of one training step's
activations (kept for backward, plus their gradients), one evaluation chunk and the picture grid.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.data.base import DataInfo
from engine.errors import Problem, node_problem
from engine.registry import numel
from engine.shapes import FLOAT_BYTES, Analysis, Limits, human_bytes

MAKING_COPIES = 4  # making data holds a few arrays of its size at once (draws, noise, tensors)
STEP_COPIES = 3  # a training step keeps each output for backward and makes a gradient of it
EVAL_CHUNK = 4096  # samples per forward pass when a whole set is evaluated (training.session)
GRID_POINTS = 100 * 100  # the decision boundary's grid, evaluated in one pass (training.visuals)
OPTIMIZER_STATES = {"gd": 0, "sgd": 0, "adam": 2, "adamw": 2, "rmsprop": 1, "adagrad": 1}  # + momentum's


@dataclass(frozen=True)
class Split:
    samples: int
    train: int
    test: int


def split_of(info: DataInfo, data: dict) -> Split:
    """How many samples there will be, and how many train (as `engine.data.base.split` cuts)."""
    samples = data.get("n_samples") or info.rows or 0
    train = min(max(1, round(samples * data["train_fraction"])), max(samples - 1, 1))
    return Split(samples, train, max(samples - train, 0))


def dataset_bytes(info: DataInfo, data: dict) -> int:
    """The dataset's peak while it is made."""
    item = 8 if info.dtype == "long" else FLOAT_BYTES
    per_sample = numel(info.sample_shape) * item + max(numel(info.target_shape), 1) * 8
    return split_of(info, data).samples * per_sample * MAKING_COPIES


def data_problems(info: DataInfo, data: dict, limits: Limits) -> list[Problem]:
    need = dataset_bytes(info, data)
    if need <= limits.max_data_bytes:
        return []
    samples = split_of(info, data).samples
    shape = "x".join(map(str, info.sample_shape))
    fix = "use fewer samples (n_samples)" if data.get("n_samples") else "use a sample of the table's rows"
    return [Problem("data", f"{samples:,} samples of shape [{shape}] take about {human_bytes(need)} while they "
                            f"are made, over the limit of {human_bytes(limits.max_data_bytes)}; {fix}",
                    field="n_samples" if data.get("n_samples") else None)]


def run_problems(analysis: Analysis, info: DataInfo, data: dict, training: dict, limits: Limits) -> list[Problem]:
    """One problem when a training run would take more than `limits.max_run_bytes`."""
    split = split_of(info, data)
    full = training["optimizer"] == "gd" or training["batch_size"] == "full"
    batch = split.train if full else min(int(training["batch_size"]), split.train)
    per_sample = analysis.activation_bytes(1)
    evaluated = min(EVAL_CHUNK, max(split.train, split.test))
    rows = {  # how many samples' outputs each part holds at once
        "step": batch * STEP_COPIES,
        "evaluation": evaluated,
        "grid": GRID_POINTS if info.kind == "planar" else 0,
    }
    largest = max(rows, key=rows.get)
    activations = per_sample * rows[largest]
    states = OPTIMIZER_STATES[training["optimizer"]] + (training["momentum"] > 0)
    weights = analysis.total_params * FLOAT_BYTES * (2 + states)
    made = dataset_bytes(info, data)
    # evaluating a whole set keeps every sample's output (and the loss's copy) until its metrics
    outputs = numel(analysis.nodes[analysis.spec.output].output_shape) * FLOAT_BYTES * max(split.train, split.test) * 2
    need = made + weights + activations + outputs
    if need <= limits.max_run_bytes:
        return _compute_problems(analysis, split, rows["grid"], limits)
    over = f"a run would take about {human_bytes(need)}, over the limit of {human_bytes(limits.max_run_bytes)}"
    if weights >= max(activations, made):
        return [Problem("model", f"{over} (parameters with their gradients and optimizer state: "
                                 f"{human_bytes(weights)}); make the model smaller")]
    if outputs >= max(activations, made):
        return [Problem("data", f"{over} (the outputs of all {max(split.train, split.test):,} samples of a set, kept "
                                f"while it is evaluated: {human_bytes(outputs)}); use fewer samples (n_samples)",
                        field="n_samples")]
    if made >= activations:
        return [Problem("data", f"{over} (the dataset: {human_bytes(made)}); use fewer samples (n_samples)",
                        field="n_samples")]
    if largest == "step" and batch > 64:
        size = f'"full" ({batch:,} samples)' if full else f"{batch:,}"
        return [Problem("training", f"{over} (one step's activations with batch_size {size}: "
                                    f"{human_bytes(activations)}); use a smaller batch_size", field="batch_size")]
    return _widest_problem(analysis, over, largest, batch, evaluated, rows)


def _widest_problem(analysis: Analysis, over: str, largest: str, batch: int, evaluated: int,
                    rows: dict[str, int]) -> list[Problem]:
    widest = _widest(analysis)
    held = {"step": f"a batch of {batch:,} in training", "evaluation": f"{evaluated:,} samples evaluated at once",
            "grid": f"the {GRID_POINTS:,} points of the decision boundary"}[largest]
    output = numel(analysis.nodes[widest].output_shape) * FLOAT_BYTES * rows[largest]
    return [node_problem(widest, f"{over} (this node's outputs for {held}: {human_bytes(output)}); "
                                 "make this layer or its input smaller")]


def picture_macs(analysis: Analysis, info: DataInfo, data: dict) -> int:
    """The multiply-adds of drawing the model's pictures once: both sets, and for points in the
    plane the decision boundary's grid."""
    return analysis.total_macs * (split_of(info, data).samples + (GRID_POINTS if info.kind == "planar" else 0))


def _compute_problems(analysis: Analysis, split: Split, grid: int, limits: Limits) -> list[Problem]:
    """One epoch's multiply-adds, with its pictures, against the limit: a training slot is a share
    of the machine, and an epoch (or the first evaluation) cannot be interrupted for a turn."""
    macs = analysis.total_macs * (3 * split.train + split.samples + grid)  # forward and backward; evaluation
    if limits.max_epoch_macs is None or macs <= limits.max_epoch_macs:
        return []
    points = f" and the decision boundary's {grid:,} points" if grid else ""
    return [Problem("model", f"one epoch would take about {macs:.3g} multiply-adds ({analysis.total_macs:,} per sample "
                             f"for {split.samples:,} samples{points}), over this server's limit of "
                             f"{limits.max_epoch_macs:.3g}; make the model smaller or use fewer samples")]


def _widest(analysis: Analysis) -> str:
    """The node whose output per sample is largest: the one to make smaller."""
    nodes = [n for n in analysis.nodes.values() if n.id != "input"] or list(analysis.nodes.values())
    return max(nodes, key=lambda n: numel(n.output_shape)).id
