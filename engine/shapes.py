"""Whole-model analysis: one walk in topological order that records, for every node, its output
shape and dtype, its module call, parameters and multiply-adds, and enforces the size limits.

Parameters are counted on PyTorch's `meta` device: the real module is built without storage, so
the count is exact and nothing is allocated even for a model far over the limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import torch

from engine.errors import Problem, first_line, node_problem
from engine.graph import structure_problems, to_graph, topological_order
from engine.registry import REGISTRY, Call, Shape, ShapeError, fmt, numel
from engine.settings import env_int
from engine.spec import INPUT_ID, ModelSpec, ParsedModel, parse_model

FLOAT_BYTES = 4


@dataclass(frozen=True)
class Limits:
    """What the engine will build, make and read. Defaults can be changed with environment
    variables; a server serving visitors uses `engine.web.WEB_LIMITS`."""

    max_params: int = env_int("NEUROLOOM_MAX_PARAMS", 50_000_000)
    max_activation_bytes: int = env_int("NEUROLOOM_MAX_ACTIVATION_BYTES", 4 * 2**30)
    batch_size: int = 32  # for the model alone; with data and training, the real batch counts
    max_run_bytes: int = env_int("NEUROLOOM_MAX_RUN_BYTES", 16 * 2**30)  # a training's estimated peak
    max_data_bytes: int = env_int("NEUROLOOM_MAX_DATA_BYTES", 4 * 2**30)  # a dataset while it is made
    max_epoch_macs: int | None = None  # multiply-adds of one epoch (3 per training sample, 1 per evaluated)
    read_paths: bool = True  # the command line and the API read files their user names; a server never


@dataclass(frozen=True)
class NodeInfo:
    """What the analysis knows about one node (or the input)."""

    id: str
    type: str
    inputs: tuple[str, ...]
    output_shape: Shape
    dtype: str
    params: int
    macs: int
    call: Call | None


@dataclass
class Analysis:
    """The result of analysing a model: per-node facts, totals and every problem found."""

    spec: ModelSpec | None
    graph: nx.DiGraph
    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    order: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total_params(self) -> int:
        return sum(n.params for n in self.nodes.values())

    @property
    def total_macs(self) -> int:
        return sum(n.macs for n in self.nodes.values())

    def activation_bytes(self, batch_size: int = 32) -> int:
        """Memory for every node's output (and the input) for one forward pass, float32."""
        return sum(numel(n.output_shape) for n in self.nodes.values()) * FLOAT_BYTES * batch_size

    def problems_of(self, node_id: str) -> list[Problem]:
        return [p for p in self.problems if p.node == node_id]


def human_bytes(count: float) -> str:
    if count >= 1024**5:
        return "more than 1 PiB"  # from absurd parameters (and too large for a float, perhaps)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.1f} {unit}" if unit != "B" else f"{int(count)} B"
        count /= 1024
    return f"{count:.1f} GiB"  # pragma: no cover


def count_params(call: Call) -> int:
    with torch.device("meta"):
        module = call.build()
    return sum(p.numel() for p in module.parameters())


def analyze(model: ModelSpec | dict | ParsedModel, limits: Limits | None = None) -> Analysis:
    """Analyse a model section (raw dict or parsed); never raises, collects every problem."""
    limits = limits or Limits()
    parsed = (
        model
        if isinstance(model, ParsedModel)
        else (ParsedModel(model) if isinstance(model, ModelSpec) else parse_model(model))
    )
    spec, broken = parsed.spec, set(parsed.broken)
    problems = list(parsed.problems)
    if spec is None:
        return Analysis(None, nx.DiGraph(), problems=problems)
    graph = to_graph(spec)
    problems += structure_problems(spec, graph, broken)

    acyclic = graph.copy()
    acyclic.remove_edges_from(nx.selfloop_edges(acyclic))
    acyclic.remove_nodes_from(_cyclic_nodes(graph))
    analysis = Analysis(spec, graph, problems=problems, order=topological_order(acyclic))
    if INPUT_ID in broken:
        return analysis
    analysis.nodes[INPUT_ID] = NodeInfo(INPUT_ID, "Input", (), spec.input_shape, spec.input_dtype, 0, 0, None)
    _walk(spec, analysis, broken, limits)
    return analysis


def _cyclic_nodes(graph: nx.DiGraph) -> set[str]:
    return {n for c in nx.strongly_connected_components(graph) if len(c) > 1 for n in c}


def _walk(spec: ModelSpec, analysis: Analysis, broken: set[str], limits: Limits) -> None:
    by_id: dict = {}
    for n in spec.nodes:
        by_id.setdefault(n.id, n)  # a duplicated id is broken; keep the first for the walk
    total_params = 0
    activations = numel(spec.input_shape) * FLOAT_BYTES * limits.batch_size
    for node_id in analysis.order:
        node = by_id.get(node_id)
        if node is None or node_id in broken:
            continue
        sources = [analysis.nodes.get(i) for i in node.inputs]
        if any(s is None for s in sources):
            continue  # an input is broken: its own problem is reported already
        layer = REGISTRY[node.type]
        problem = _dtype_problem(node.id, node.type, layer.accepts, sources)
        if problem:
            analysis.problems.append(problem)
            continue
        in_shapes = [s.output_shape for s in sources]
        try:
            shape = layer.shape(in_shapes, node.params)
            call = layer.module(in_shapes, node.params)
            macs = layer.macs(in_shapes, shape, node.params)
        except ShapeError as err:
            got = " and ".join(f"{fmt(s)} from '{i}'" for s, i in zip(in_shapes, node.inputs, strict=True))
            analysis.problems.append(node_problem(node.id, f"{err} (input: {got})"))
            continue
        activations += numel(shape) * FLOAT_BYTES * limits.batch_size
        if activations > limits.max_activation_bytes:
            analysis.problems.append(
                node_problem(
                    node.id,
                    f"the model's activations for a batch of {limits.batch_size} would take "
                    f"{human_bytes(activations)} from here on, over the limit of "
                    f"{human_bytes(limits.max_activation_bytes)}; make this layer or its input smaller",
                )
            )
            return
        try:
            params = count_params(call)
        except (RuntimeError, ValueError, OverflowError, TypeError) as err:  # TypeError: a size past 64 bits
            analysis.problems.append(node_problem(node.id, f"cannot be built: {first_line(err)}"))
            continue
        total_params += params
        if total_params > limits.max_params:
            analysis.problems.append(
                node_problem(
                    node.id,
                    f"the model would have {total_params:,} parameters ({params:,} in this node), "
                    f"over the limit of {limits.max_params:,}; make this layer or its input smaller",
                )
            )
            return
        dtype = layer.output_dtype(sources[0].dtype)
        analysis.nodes[node.id] = NodeInfo(node.id, node.type, node.inputs, shape, dtype, params, macs, call)


def _dtype_problem(node_id, type_name, accepts, sources) -> Problem | None:
    dtypes = {s.dtype for s in sources}
    if len(dtypes) > 1:
        return node_problem(node_id, f"{type_name} cannot mix token ids (long) and numbers (float) in its inputs")
    (dtype,) = dtypes
    if dtype in accepts:
        return None
    if dtype == "long":
        return node_problem(
            node_id, f"{type_name} needs numbers (float) but gets token ids (long); put an Embedding before it"
        )
    return node_problem(
        node_id, f'{type_name} needs token ids (long) but gets numbers (float); set the input dtype to "long"'
    )
