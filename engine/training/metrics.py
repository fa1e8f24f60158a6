"""Metrics of a set of outputs: loss, and accuracy for classes or R² and RMSE for values."""

from __future__ import annotations

import torch

from engine.training.objective import Objective

# The most classes a confusion matrix is made for: past this its cells are too small to read, and
# its classes² counts grow with the number of classes a table's target has (a 10,000-class table
# made a 10,000 x 10,000 matrix, 1.6 GB, every time the pictures were drawn).
MAX_CONFUSION_CLASSES = 50


def metric_tensor(out: torch.Tensor, target: torch.Tensor, objective: Objective) -> torch.Tensor:
    """A set's metrics as one tensor, so that a run reads them from the device once, not once per
    number: the loss and accuracy for classes; the loss, R², RMSE and the targets' spread (R² means
    nothing without one) for values."""
    loss = objective.loss(out, target)
    if objective.info.is_classification:
        labels = target if objective.loss_name == "cross_entropy" else _labels(target, objective)
        return torch.stack([loss.float(), (objective.predict(out).reshape(-1) == labels.reshape(-1)).float().mean()])
    values, truth = out.reshape(-1).float(), target.reshape(-1).float()
    error = ((values - truth) ** 2).sum()
    spread = ((truth - truth.mean()) ** 2).sum()
    return torch.stack([loss.float(), 1 - error / spread, (error / len(truth)).sqrt(), spread])


def as_metrics(values: list[float], objective: Objective) -> dict:
    """`metric_tensor`'s numbers, read back: floats keyed loss, accuracy (classification; per
    position for sequences), r2 and rmse (regression); None where a metric does not apply."""
    if objective.info.is_classification:
        return {"loss": values[0], "accuracy": values[1], "r2": None, "rmse": None}
    loss, r2, rmse, spread = values
    return {"loss": loss, "accuracy": None, "r2": r2 if spread > 0 else None, "rmse": rmse}


def _labels(target: torch.Tensor, objective: Objective) -> torch.Tensor:
    """Class ids back from float targets (0/1 for one output, one-hot otherwise)."""
    if objective.one_output_binary:
        return target.reshape(-1).long()
    return target.argmax(-1)


def confusion(predicted: torch.Tensor, truth: torch.Tensor, classes: int) -> list[list[int]] | None:
    """Counts[true][predicted] over every sample (and position); None past MAX_CONFUSION_CLASSES."""
    if classes > MAX_CONFUSION_CLASSES:
        return None
    pairs = truth.reshape(-1).long() * classes + predicted.reshape(-1).long()
    return torch.bincount(pairs, minlength=classes * classes).reshape(classes, classes).tolist()
