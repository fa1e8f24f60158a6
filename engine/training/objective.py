"""Loss, predictions and metrics for a model on its data, whatever its last layer.

A model that ends in Sigmoid (with bce) or Softmax (with cross_entropy) is trained on the
layer before it with the numerically stable logits form of the loss, so nothing is squashed
twice; its outputs are squashed once for display. Other pairings use the loss as written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import fx, nn

from engine.data import DataInfo
from engine.spec import ModelSpec

EPS = 1e-7
SQUASH_FOR = {"bce": "Sigmoid", "cross_entropy": "Softmax"}


# The losses and targets, one plain function each: the engine calls them, and an exported script
# copies the ones its model uses (engine/export/training_code.py), so both train alike.


def cross_entropy_of_logits(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of class scores (the last dimension; per sample or position) against ids."""
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), target.reshape(-1))


def cross_entropy_of_probabilities(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The same for a model that applies Softmax itself (not on its last dimension)."""
    return F.nll_loss(out.clamp_min(EPS).log().reshape(-1, out.shape[-1]), target.reshape(-1))


def bce_of_logits(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(out, target)


def bce_of_probabilities(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of a model that squashes its outputs itself."""
    return F.binary_cross_entropy(out.clamp(EPS, 1 - EPS), target)


def mse(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(out.reshape(target.shape), target)


def l1(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(out.reshape(target.shape), target)


def huber(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.huber_loss(out.reshape(target.shape), target)


def class_ids(y: torch.Tensor, classes: int) -> torch.Tensor:
    return y


def zero_or_one(y: torch.Tensor, classes: int) -> torch.Tensor:
    """Two classes, one output: the label as a float column."""
    return y.float().reshape(-1, 1)


def one_hot(y: torch.Tensor, classes: int) -> torch.Tensor:
    return F.one_hot(y, classes).float()


def values(y: torch.Tensor, classes: int) -> torch.Tensor:
    """Regression: one value per sample (or the whole image, for autoencoders)."""
    return y.float().reshape(len(y), -1)


def loss_function(loss: str, ends_in: str | None) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The loss for what the trained model returns (`ends_in`: the Sigmoid/Softmax it applies itself)."""
    if loss == "cross_entropy":
        return cross_entropy_of_probabilities if ends_in == "Softmax" else cross_entropy_of_logits
    if loss == "bce":
        return bce_of_probabilities if ends_in in ("Sigmoid", "Softmax") else bce_of_logits
    return {"mse": mse, "l1": l1, "huber": huber}[loss]


def target_function(loss: str, info: DataInfo, outputs: int) -> Callable[[torch.Tensor, int], torch.Tensor]:
    """Targets in the form the loss wants: ids for cross_entropy, floats otherwise."""
    if not info.is_classification:
        return values
    if loss == "cross_entropy":
        return class_ids
    return zero_or_one if outputs == 1 else one_hot


@dataclass
class Objective:
    """Turns model outputs into a loss, scores (for pictures) and predictions (for accuracy)."""

    loss_name: str
    info: DataInfo
    squash: str | None  # "sigmoid"/"softmax": applied to outputs for scores (logits view)
    ends_in: str | None  # final layer the *model* applies itself (Sigmoid/Softmax), if not stripped
    n_outputs: int

    def __post_init__(self):
        self.loss = loss_function(self.loss_name, self.ends_in)  # loss(out, target)
        self._targets = target_function(self.loss_name, self.info, self.n_outputs)

    @property
    def one_output_binary(self) -> bool:
        return self.info.is_classification and self.n_outputs == 1

    def targets(self, y: torch.Tensor) -> torch.Tensor:
        return self._targets(y, self.info.n_classes)

    def scores(self, out: torch.Tensor) -> torch.Tensor:
        """Probabilities for classification (one per class, or P(positive) for one output),
        values for regression."""
        if self.squash == "sigmoid" or (self.loss_name == "bce" and self.ends_in is None):
            return torch.sigmoid(out)
        if self.squash == "softmax" or (self.loss_name == "cross_entropy" and self.ends_in is None):
            return torch.softmax(out, dim=-1)
        return out

    def predict(self, out: torch.Tensor) -> torch.Tensor:
        scores = self.scores(out)
        if self.one_output_binary:
            return (scores.reshape(-1) > 0.5).long()
        return scores.argmax(-1)


def strips_final(spec: ModelSpec, loss: str) -> bool:
    """Whether training skips the model's final Sigmoid/Softmax (the loss applies it, stably)."""
    last = spec.node(spec.output)
    return SQUASH_FOR.get(loss) == last.type and (last.type != "Softmax" or last.params.get("dim") == -1)


def prepare(
    model: fx.GraphModule, spec: ModelSpec, loss: str, info: DataInfo, output_shape: tuple[int, ...]
) -> tuple[nn.Module, Objective]:
    """The module to train and its objective. Strips a final Sigmoid/Softmax that the loss
    would apply itself, sharing all weights with `model`."""
    last = spec.node(spec.output)
    if not strips_final(spec, loss):
        ends_in = last.type if last.type in ("Sigmoid", "Softmax") else None
        return model, Objective(loss, info, None, ends_in, output_shape[-1])
    final = next(n for n in model.graph.nodes if n.op == "output").args[0]
    graph = fx.Graph()
    env: dict = {}
    for node in model.graph.nodes:
        if node is final:
            continue
        if node.op == "output":
            graph.output(env[final.args[0].name])
        else:
            env[node.name] = graph.node_copy(node, lambda n: env[n.name])
    view = fx.GraphModule(model, graph, class_name="TrainingView")  # shares model's submodules
    return view, Objective(loss, info, last.type.lower(), None, output_shape[-1])
