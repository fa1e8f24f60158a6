"""Loss, predictions and metrics for a model on its data, whatever its last layer.

A model that ends in Sigmoid (with bce) or Softmax (with cross_entropy) is trained on the
layer before it with the numerically stable logits form of the loss, so nothing is squashed
twice; its outputs are squashed once for display. Other pairings use the loss as written.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import fx, nn

from engine.data import DataInfo
from engine.spec import ModelSpec

EPS = 1e-7
SQUASH_FOR = {"bce": "Sigmoid", "cross_entropy": "Softmax"}


@dataclass
class Objective:
    """Turns model outputs into a loss, scores (for pictures) and predictions (for accuracy)."""

    loss_name: str
    info: DataInfo
    squash: str | None  # "sigmoid"/"softmax": applied to outputs for scores (logits view)
    ends_in: str | None  # final layer the *model* applies itself (Sigmoid/Softmax), if not stripped
    n_outputs: int

    @property
    def one_output_binary(self) -> bool:
        return self.info.is_classification and self.n_outputs == 1

    def targets(self, y: torch.Tensor) -> torch.Tensor:
        """Targets in the form the loss wants: ids for cross_entropy, floats otherwise."""
        if not self.info.is_classification:
            return y.float().reshape(len(y), -1)  # one value, or a whole image for autoencoders
        if self.loss_name == "cross_entropy":
            return y
        if self.one_output_binary:
            return y.float().reshape(-1, 1)
        return F.one_hot(y, self.info.n_classes).float()

    def loss(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.loss_name == "cross_entropy":
            if self.ends_in == "Softmax":
                return F.nll_loss(_flat(out.clamp_min(EPS).log()), target.reshape(-1))
            return F.cross_entropy(_flat(out), target.reshape(-1))
        if self.loss_name == "bce":
            if self.ends_in in ("Sigmoid", "Softmax"):
                return F.binary_cross_entropy(out.clamp(EPS, 1 - EPS), target)
            return F.binary_cross_entropy_with_logits(out, target)
        out = out.reshape(target.shape)
        if self.loss_name == "mse":
            return F.mse_loss(out, target)
        if self.loss_name == "l1":
            return F.l1_loss(out, target)
        return F.huber_loss(out, target)

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


def _flat(out: torch.Tensor) -> torch.Tensor:
    return out.reshape(-1, out.shape[-1])  # (batch * positions, classes)


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
