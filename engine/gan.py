"""Generative adversarial networks: one model graph in two named parts.

`training.generator_output` names the node whose output is a generated sample. The nodes up to it
(from the model's input, which is the noise) are the generator; the nodes after it, which read only
from it, are the discriminator, ending in one score per sample ("real" as a logit, or a probability
after a final Sigmoid). Built whole, the model is D(G(z)); training splits it into the two parts,
sharing their weights, and trains them against each other with two optimizers.
"""

from __future__ import annotations

import math

import torch
from torch import fx

from engine.data import DataInfo
from engine.errors import Problem, node_problem
from engine.registry import fmt
from engine.shapes import Analysis
from engine.spec import INPUT_ID

DISTANCE_PROJECTIONS = 64  # random directions of the sliced distance
DISTANCE_SEED = 1234  # the same directions every epoch, so the numbers compare


def gan_loss(loss: str) -> str:
    """A GAN's loss: its discriminator tells real from generated, so `auto` is bce."""
    return "bce" if loss == "auto" else loss


def parts(analysis: Analysis, generated: str) -> tuple[list[str], list[str]]:
    """The generator's node ids (ending at `generated`) and the discriminator's, in order."""
    before = _ancestors(analysis, generated) | {generated}
    generator = [n for n in analysis.order if n in before and n != INPUT_ID]
    discriminator = [n for n in analysis.order if n not in before and n != INPUT_ID]
    return generator, discriminator


def _ancestors(analysis: Analysis, node_id: str) -> set[str]:
    seen: set[str] = set()
    stack = list(analysis.nodes[node_id].inputs)
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(analysis.nodes[current].inputs if current in analysis.nodes else ())
    return seen


def gan_problems(analysis: Analysis, info: DataInfo | None, generated: str, loss: str) -> list[Problem]:
    """Every way the model, the data and the loss do not make a GAN split at `generated`."""
    spec = analysis.spec
    where = "training.generator_output"
    if generated not in analysis.nodes or generated == INPUT_ID:
        ids = ", ".join(n.id for n in spec.nodes)
        return [Problem("training", f"{where} names {generated!r}, which is no node of the model (nodes: {ids})",
                        field="generator_output")]
    if generated == spec.output:
        return [Problem("training", f"{where} is the model's output {generated!r}: the discriminator must come "
                                    "after the generated sample (the model's output is its score)", field="generator_output")]
    generator, discriminator = parts(analysis, generated)
    problems = []
    for node_id in discriminator:
        strays = [i for i in analysis.nodes[node_id].inputs if i == INPUT_ID or (i in generator and i != generated)]
        if strays:
            problems.append(node_problem(node_id, f"it is in the discriminator (after {generated!r}) but reads "
                                                  f"{', '.join(repr(s) for s in strays)}: the discriminator may read only "
                                                  "the generated sample and its own nodes"))
    if spec.output not in discriminator:
        problems.append(node_problem(spec.output, f"the model's output must be the discriminator's score, after "
                                                  f"{generated!r}"))
    score = tuple(analysis.nodes[spec.output].output_shape)
    if score != (1,):
        problems.append(node_problem(spec.output, f"the discriminator's output is {fmt(score)}: a GAN's "
                                                  "discriminator gives one score per sample, [1]"))
    if loss != "bce":
        problems.append(Problem("training", f"a GAN trains with bce (real or generated), not {loss}", field="loss"))
    if spec.input_dtype != "float":
        problems.append(Problem("model", 'a GAN\'s input is its noise: set the input dtype to "float"'))
    if info is not None:
        sample = tuple(analysis.nodes[generated].output_shape)
        if sample != tuple(info.sample_shape):
            problems.append(Problem("data", f"the generator's output {generated!r} is {fmt(sample)} but the "
                                            f"{info.name} dataset's samples are {fmt(tuple(info.sample_shape))}: the "
                                            "generator must make samples like the data's", node=generated))
        if info.dtype != "float":
            problems.append(Problem("data", f"the {info.name} dataset gives token ids: a GAN generates numbers"))
    return problems


def split(model: fx.GraphModule, generated: str) -> tuple[fx.GraphModule, fx.GraphModule]:
    """The generator (noise -> sample) and the discriminator (sample -> score) of a built model
    (or of its training view), both sharing its weights."""
    generator, discriminator = fx.Graph(), fx.Graph()
    g_env: dict = {}
    d_env: dict = {}
    at_sample = False
    for node in model.graph.nodes:
        if node.op == "output":
            discriminator.output(d_env[node.args[0].name])
        elif not at_sample:
            g_env[node.name] = generator.node_copy(node, lambda n: g_env[n.name])
            if node.meta.get("node_id") == generated:
                generator.output(g_env[node.name])
                d_env[node.name] = discriminator.placeholder("sample")
                at_sample = True
        else:
            d_env[node.name] = discriminator.node_copy(node, lambda n: d_env[n.name])
    return (fx.GraphModule(model, generator, class_name="Generator"),
            fx.GraphModule(model, discriminator, class_name="Discriminator"))


def sliced_distance(real: torch.Tensor, generated: torch.Tensor) -> float:
    """How far the generated samples lie from the real ones: the sliced Wasserstein-1 distance,
    the mean over fixed random directions of the distance between the two sets' projections
    (sorted, compared quantile by quantile). Zero when the sets match; it grows when samples miss
    the data or crowd into a few of its modes (mode collapse)."""
    real, generated = real.reshape(len(real), -1).float(), generated.reshape(len(generated), -1).float()
    count = min(len(real), len(generated))
    real, generated = real[:count], generated[:count]
    directions = torch.randn(real.shape[1], DISTANCE_PROJECTIONS, generator=torch.Generator().manual_seed(DISTANCE_SEED))
    directions = (directions / directions.norm(dim=0, keepdim=True)).to(real.device)
    a, _ = (real @ directions).sort(0)
    b, _ = (generated @ directions).sort(0)
    distance = float((a - b).abs().mean())
    return distance if math.isfinite(distance) else float("inf")
