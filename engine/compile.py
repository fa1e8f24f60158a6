"""Compile an analysed model into a real `torch.nn.Module`.

The module is a `torch.fx.GraphModule`: the graph becomes generated Python code for `forward`
(no interpreter loop, so it runs as fast as hand-written code), every node is a submodule named
by its id (so `state_dict` keys read `h1.weight`), and `model.code` prints that forward.
"""

from __future__ import annotations

import operator

import torch
import torch.nn.functional as F
from torch import fx, nn

from engine import modules
from engine.errors import SpecError
from engine.shapes import Analysis, Limits, analyze
from engine.spec import INPUT_ID, ModelSpec


def build_model(model, seed: int = 0, limits: Limits | None = None) -> fx.GraphModule:
    """Build the model of an experiment (or a model section); same seed, same weights.

    Raises `SpecError` listing every problem, before any weight is allocated.
    """
    known = getattr(model, "analysis", None)  # an Experiment was analysed when it was loaded: not again
    if isinstance(model, Analysis):
        analysis = model
    elif isinstance(known, Analysis) and limits is None:
        analysis = known
    else:
        analysis = analyze(_model_section(model), limits)
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
            module = submodules[node_id] = info.call.build()
            args = tuple(values[i] for i in info.inputs)
            function = _inline(module, len(args))
            if function is None:
                values[node_id] = graph.call_module(node_id, args)
            else:
                values[node_id] = graph.create_node("call_function", function[0], args, function[1], name=node_id)
            values[node_id].meta["node_id"] = node_id
    graph.output(values[spec.output])
    compiled = fx.GraphModule(submodules, graph, class_name="NeuroLoomModel")
    for node_id, module in submodules.items():
        if not hasattr(compiled, node_id):  # inlined: kept, so every node has its module by name
            compiled.add_submodule(node_id, module)
    compiled.input_shape = spec.input_shape
    compiled.input_dtype = torch.long if spec.input_dtype == "long" else torch.float32
    return compiled


# Parameter-free modules that forward calls as plain functions: nn.Module.__call__ costs about a
# microsecond per call, which shows on small models (the module stays registered, for its name).
INLINE = {
    nn.ReLU: lambda m: (torch.relu, {}),
    nn.Tanh: lambda m: (torch.tanh, {}),
    nn.Sigmoid: lambda m: (torch.sigmoid, {}),
    nn.SiLU: lambda m: (F.silu, {}),
    nn.GELU: lambda m: (F.gelu, {"approximate": m.approximate}),
    nn.LeakyReLU: lambda m: (F.leaky_relu, {"negative_slope": m.negative_slope}),
    nn.ELU: lambda m: (F.elu, {"alpha": m.alpha}),
    nn.Mish: lambda m: (F.mish, {}),
    nn.Softplus: lambda m: (F.softplus, {"beta": m.beta, "threshold": m.threshold}),
    nn.Softmax: lambda m: (F.softmax, {"dim": m.dim}),
    nn.Flatten: lambda m: (torch.flatten, {"start_dim": m.start_dim, "end_dim": m.end_dim}),
}
BINARY = {modules.Add: operator.add, modules.Multiply: operator.mul}


def _inline(module: nn.Module, inputs: int):
    if type(module) in INLINE:
        return INLINE[type(module)](module)
    if type(module) in BINARY and inputs == 2:
        return BINARY[type(module)], {}
    return None


def node_values(model: fx.GraphModule, node_ids: list[str]) -> fx.GraphModule:
    """A view of `model` (sharing its weights) that returns the outputs of `node_ids` instead."""
    graph = fx.Graph()
    env: dict = {}
    found: dict[str, fx.Node] = {}
    for node in model.graph.nodes:
        if node.op == "output":
            graph.output(tuple(found[i] for i in node_ids))
            continue
        env[node.name] = graph.node_copy(node, lambda n: env[n.name])
        if node.meta.get("node_id") in node_ids:
            found[node.meta["node_id"]] = env[node.name]
    return fx.GraphModule(model, graph, class_name="NodeValues")


def tail_from(model: fx.GraphModule, node_id: str) -> fx.GraphModule | None:
    """The part of `model` after node `node_id`, taking that node's value as its input (an
    autoencoder's decoder, sharing its weights); None when the rest also reads anything before it
    (a skip around the bottleneck)."""
    nodes = list(model.graph.nodes)
    last = max((i for i, n in enumerate(nodes) if n.meta.get("node_id") == node_id), default=None)
    if last is None:
        return None
    graph, env = fx.Graph(), {}
    env[nodes[last].name] = graph.placeholder("latent")
    for node in nodes[last + 1:]:
        if node.op == "output":
            graph.output(fx.node.map_arg(node.args[0], lambda n: env[n.name]))
            break
        if any(n.name not in env and n.op != "get_attr" for n in node.all_input_nodes):
            return None
        for attr in (n for n in node.all_input_nodes if n.op == "get_attr" and n.name not in env):
            env[attr.name] = graph.node_copy(attr)
        env[node.name] = graph.node_copy(node, lambda n: env[n.name])
    return fx.GraphModule(model, graph, class_name="Decoder")


def _model_section(model):
    if isinstance(model, ModelSpec | dict):
        return model
    if hasattr(model, "model"):  # an Experiment
        return model.model
    raise TypeError(f"build_model needs an experiment's model, got {type(model).__name__}")
