"""The model follows its data, as in TensorFlow Playground: picking another dataset, a feature or
a table's target re-shapes the network's ends instead of leaving a model that no longer fits.

- A model that takes a vector takes the new samples' width (a feature more, an input more).
- A plain stack (`engine.mlp`) also takes the task's output and loss: one output for two classes
  or a value, one per class beyond two. A loss that cannot serve the task gives way to one that
  can. Only what does not fit changes: a model and loss that fit the new data are kept as they
  are.

Anything else (images, sequences, branching graphs' outputs) is left alone: the experiment's
check then says what does not fit and how to fix it.
"""

from __future__ import annotations

import copy
from typing import Any

from engine import mlp
from engine.data import DataInfo, check_data
from engine.fit import REGRESSION_LOSSES, fit_problems, resolve_loss
from engine.shapes import Limits


def follow_data(raw: dict[str, Any], limits: Limits | None = None) -> dict[str, Any]:
    """`raw` with its model's input, and a plain stack's output and loss, fitted to its data
    section (checked under `limits`). Returns `raw` itself when there is nothing to fit or the
    data cannot be read."""
    model, data = raw.get("model"), raw.get("data")
    if not isinstance(model, dict) or data is None:
        return raw
    _, info, problems = check_data(data, limits)
    if info is None or problems or info.target_shape != () or len(info.sample_shape) != 1:
        return raw
    out = copy.deepcopy(raw)
    source = out["model"].get("input")
    if isinstance(source, dict) and _is_vector(source.get("shape")) and source.get("dtype", "float") == info.dtype:
        source["shape"] = list(info.sample_shape)
    stack = mlp.read_stack(out["model"])
    training = out.get("training") if isinstance(out.get("training"), dict) else None
    loss = (training or {}).get("loss", "auto")
    if stack is not None and isinstance(loss, str) and not _fits(info, stack.outputs, loss):
        outputs, loss = _task_end(info, loss)
        # a value takes no squashing; a Softmax over one output is always 1
        final = None if not info.is_classification or (outputs == 1 and stack.final == "Softmax") else stack.final
        out["model"] = mlp.write_stack(out["model"], mlp.Stack(stack.widths, stack.activations, outputs, final))
        if training is not None and loss != training.get("loss", "auto"):
            training["loss"] = loss
    return out if out != raw else raw

def _is_vector(shape: Any) -> bool:
    return isinstance(shape, list) and len(shape) == 1 and isinstance(shape[0], int) and not isinstance(shape[0], bool)


def _fits(info: DataInfo, outputs: int, loss: str) -> bool:
    return not fit_problems(info, info.sample_shape, info.dtype, (outputs,), resolve_loss(loss, info, (outputs,)))


def _task_end(info: DataInfo, loss: str) -> tuple[int, str]:
    """The output width and loss a plain stack ends with for this task, keeping `loss` where it
    serves: a value takes one output and a regression loss; two classes one output (bce for
    cross_entropy, which needs one per class); more classes one output each (cross_entropy for
    bce, which would read them as independent labels)."""
    if not info.is_classification:
        return 1, loss if loss == "auto" or loss in REGRESSION_LOSSES else "mse"
    if info.n_classes == 2:
        return 1, "bce" if loss == "cross_entropy" else loss
    return info.n_classes, "cross_entropy" if loss == "bce" else loss
