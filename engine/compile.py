"""Compile an analysed model into a real `torch.nn.Module`.

The module is a `torch.fx.GraphModule`: the graph becomes generated Python code for `forward`
(no interpreter loop, so it runs as fast as hand-written code), every node is a submodule named
by its id (so `state_dict` keys read `h1.weight`), and `model.code` prints that forward.
"""

from __future__ import annotations

import torch
from torch import fx, nn

from engine.errors import SpecError
from engine.shapes import Analysis, Limits, analyze
from engine.spec import INPUT_ID, ModelSpec


def build_model(model, seed: int = 0, limits: Limits | None = None) -> fx.GraphModule:
    """Build the model of an experiment (or a model section); same seed, same weights.

    Raises `SpecError` listing every problem, before any weight is allocated.
    """
    analysis = model if isinstance(model, Analysis) else analyze(_model_section(model), limits)
    if analysis.problems:
        raise SpecError(analysis.problems)
    spec = analysis.spec
    graph = fx.Graph()
    values = {INPUT_ID: graph.placeholder("x")}
    submodules: dict[str, nn.Module] = {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for node_id in analysis.order:
            if node_id == INPUT_ID:
                continue
            info = analysis.nodes[node_id]
            submodules[node_id] = info.call.build()
            values[node_id] = graph.call_module(node_id, tuple(values[i] for i in info.inputs))
    graph.output(values[spec.output])
    compiled = fx.GraphModule(submodules, graph, class_name="NeuroLoomModel")
    compiled.input_shape = spec.input_shape
    compiled.input_dtype = torch.long if spec.input_dtype == "long" else torch.float32
    return compiled


def _model_section(model):
    if isinstance(model, ModelSpec | dict):
        return model
    if hasattr(model, "model"):  # an Experiment
        return model.model
    raise TypeError(f"build_model needs an experiment's model, got {type(model).__name__}")
