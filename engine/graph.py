"""The model as a networkx graph, and the structural checks on it (ids, cycles, arity, reach)."""

from __future__ import annotations

from collections import Counter

import networkx as nx

from engine.errors import Problem, node_problem
from engine.registry import REGISTRY
from engine.spec import INPUT_ID, ModelSpec, suggest


def to_graph(spec: ModelSpec) -> nx.DiGraph:
    """A DiGraph with the input and every node; edges run from a node to the nodes reading it."""
    graph = nx.DiGraph()
    graph.add_node(INPUT_ID, type="Input", order=0)
    first: list = []  # a duplicated id's later nodes are reported, not wired
    for order, node in enumerate(spec.nodes, start=1):
        if node.id not in graph:
            graph.add_node(node.id, type=node.type, order=order)
            first.append(node)
    for node in first:
        for source in node.inputs:
            if source in graph:
                graph.add_edge(source, node.id)
    return graph


def topological_order(graph: nx.DiGraph) -> list[str]:
    """Nodes in an order that respects every edge, ties broken by file order (stable, readable)."""
    return list(nx.lexicographical_topological_sort(graph, key=lambda n: graph.nodes[n]["order"]))


def structure_problems(spec: ModelSpec, graph: nx.DiGraph, broken: set[str]) -> list[Problem]:
    """Duplicate ids, unknown references, arity, cycles, a missing output and dead branches.

    Nodes involved are added to `broken` so later checks do not pile errors on them.
    """
    problems: list[Problem] = []
    counts = Counter(n.id for n in spec.nodes)
    for node_id, count in counts.items():
        if count > 1:
            problems.append(
                node_problem(node_id, f"the id is used by {count} nodes; ids must be unique, rename the others", "id")
            )
            broken.add(node_id)

    known = [INPUT_ID, *counts]
    for node in spec.nodes:
        for source in node.inputs:
            if source not in graph:
                hint = suggest(source, known) or (f" (nodes: {', '.join(known)})" if len(known) <= 12 else "")
                problems.append(node_problem(node.id, f"reads from '{source}', which is not a node{hint}", "inputs"))
                broken.add(node.id)
            elif source == node.id:
                problems.append(node_problem(node.id, 'reads from itself; pick an earlier node in "inputs"', "inputs"))
                broken.add(node.id)
        layer = REGISTRY.get(node.type)
        if layer and not layer.min_inputs <= len(node.inputs) <= (layer.max_inputs or len(node.inputs)):
            if layer.max_inputs is None:
                need = f"at least {layer.min_inputs} inputs"
            elif layer.max_inputs == layer.min_inputs:
                need = f"exactly {layer.max_inputs} input" + ("s" if layer.max_inputs > 1 else "")
            else:
                need = f"{layer.min_inputs} to {layer.max_inputs} inputs"
            problems.append(
                node_problem(
                    node.id, f'{node.type} takes {need}, got {len(node.inputs)}; list them in "inputs"', "inputs"
                )
            )
            broken.add(node.id)

    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            ring = sorted(component, key=lambda n: graph.nodes[n]["order"])
            path = " -> ".join([*ring, ring[0]])
            problems.append(
                Problem(
                    "model",
                    f"cycle {path}: a node cannot read from its own result; point one of their inputs at an earlier node",
                )
            )
            broken.update(component)

    if spec.output not in graph or spec.output == INPUT_ID:
        if spec.nodes:
            problems.append(
                Problem(
                    "model",
                    f"output '{spec.output}' is not a node{suggest(spec.output, counts)}; set \"output\" to the id of the last layer",
                )
            )
    else:
        feeding = nx.ancestors(graph, spec.output) | {spec.output}
        for node in spec.nodes:
            if node.id not in feeding and node.id not in broken:
                problems.append(
                    node_problem(
                        node.id,
                        f"its result never reaches the output '{spec.output}'; connect it to a later node or remove it",
                    )
                )
                broken.add(node.id)
    return problems
