"""What the graph editor's frame is told: every node with the engine's analysis of it (output
shape, parameter count, problems), every wire with the shape it carries, the palette and each
layer type's parameters. Built from the model as written, so a model with problems is still
drawn, problems and all."""

from __future__ import annotations

import functools
from typing import Any

from components.graph_view import FAMILY_COLOURS
from engine import Analysis
from engine.edit import explicit
from engine.params import Bool, Choice, Float, Int
from engine.registry import GROUPS, REGISTRY, fmt
from engine.spec import INPUT_ID

Model = dict[str, Any]


def nodes_and_edges(model: Model, analysis: Analysis) -> tuple[list[dict], list[dict]]:
    """The input first, then the nodes in file order; malformed entries (not an object, no string
    id) are left out here and named by the model's problems."""
    written = _explicit(model)
    output = written.get("output")
    nodes = [_node(INPUT_ID, "Input", {}, [], analysis, output)]
    seen = {INPUT_ID}
    for raw in written.get("nodes", []):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or raw["id"] in seen:
            continue
        seen.add(raw["id"])
        params = raw.get("params") if isinstance(raw.get("params"), dict) else {}
        listed = raw.get("inputs")
        inputs = [i for i in listed if isinstance(i, str)] if isinstance(listed, list) else []
        nodes.append(_node(raw["id"], str(raw.get("type")), params, inputs, analysis, output))
    edges = [{"source": source, "target": node["id"], "shape": _shape(analysis, source)}
             for node in nodes for source in node["inputs"] if source in seen]
    return nodes, edges


def _explicit(model: Model) -> Model:
    """The model with every node's inputs listed; as written where some node is too broken for that."""
    if not isinstance(model.get("nodes"), list):
        return {"nodes": []}
    if all(isinstance(n, dict) for n in model["nodes"]):
        return explicit(model)
    return model


def _node(node_id: str, kind: str, params: dict, inputs: list[str], analysis: Analysis, output: Any) -> dict:
    layer = REGISTRY.get(kind)
    info = analysis.nodes.get(node_id)
    family = "input" if node_id == INPUT_ID else (layer.group if layer else "core")
    return {
        "id": node_id, "type": kind, "family": family, "colour": FAMILY_COLOURS[family], "params": params,
        "inputs": inputs, "shape": _shape(analysis, node_id), "param_count": info.params if info else 0,
        "problems": [p.message for p in analysis.problems_of(node_id)], "output": node_id == output,
        "merge": layer is not None and (layer.max_inputs is None or layer.max_inputs > 1),
    }


def _shape(analysis: Analysis, node_id: str) -> str | None:
    info = analysis.nodes.get(node_id)
    return fmt(info.output_shape) if info else None


def whole_model_problems(analysis: Analysis) -> list[str]:
    """Problems that belong to no one node (shown beside the canvas, not on a node)."""
    return [p.message for p in analysis.problems if not p.node]


@functools.cache
def palette() -> tuple[dict, ...]:
    """Every layer type by family, in the registry's family order, each with its explanation."""
    families = []
    for group in GROUPS:
        members = sorted((name, layer) for name, layer in REGISTRY.items() if layer.group == group)
        if members:
            families.append({"family": group, "colour": FAMILY_COLOURS[group], "types": [
                {"type": name, "explain": layer.explain, "merge": layer.max_inputs is None or layer.max_inputs > 1}
                for name, layer in members]})
    return tuple(families)


@functools.cache
def schemas() -> dict[str, list[dict]]:
    """Each layer type's parameters as the inspector shows them."""
    return {name: [_schema(pname, param) for pname, param in layer.params.items()]
            for name, layer in REGISTRY.items()}


def _schema(name: str, param) -> dict:
    kind = ("bool" if isinstance(param, Bool) else "int" if isinstance(param, Int) else
            "float" if isinstance(param, Float) else "choice" if isinstance(param, Choice) else "other")
    return {"name": name, "describe": param.describe(), "default": None if param.required else param.default,
            "required": param.required, "help": param.help,
            "choices": list(param.choices) if isinstance(param, Choice) else None, "kind": kind}
