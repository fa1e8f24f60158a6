"""Quick MLP mode: read a plain stack of Linear + activation layers as widths and activations,
and write one back. Pure functions on the model section, so the +/- buttons and tests agree."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from engine.registry import REGISTRY

ACTIVATIONS = tuple(name for name, t in REGISTRY.items() if t.group == "activation" and name != "Softmax")
MAX_LAYERS = 8
MAX_NEURONS = 64


@dataclass(frozen=True)
class Stack:
    """A plain MLP: hidden layer widths, their activations, the output size and an optional
    final activation (e.g. Sigmoid)."""

    widths: tuple[int, ...]
    activations: tuple[str, ...]
    outputs: int
    final: str | None = None


def read_stack(model: dict[str, Any]) -> Stack | None:
    """The model as a plain stack, or None if it is anything else (branches, other layers)."""
    nodes = model.get("nodes")
    if not isinstance(nodes, list) or not nodes or model.get("output", _last_id(nodes)) != _last_id(nodes):
        return None
    if any(not isinstance(n, dict) or n.get("inputs") not in (None, [_prev(nodes, i)]) for i, n in enumerate(nodes)):
        return None
    types = [n.get("type") for n in nodes]
    final = types[-1] if types[-1] in ("Sigmoid", "Softmax") else None
    body = nodes[:-1] if final else nodes
    if len(body) % 2 == 0 or body[-1].get("type") != "Linear":
        return None
    widths, activations = [], []
    for linear, activation in zip(body[:-1:2], body[1::2], strict=True):
        if linear.get("type") != "Linear" or activation.get("type") not in ACTIVATIONS or activation.get("params"):
            return None
        widths.append(_width(linear))
        activations.append(activation["type"])
    outputs = _width(body[-1])
    if outputs is None or any(w is None for w in widths):
        return None
    return Stack(tuple(widths), tuple(activations), outputs, final)


def write_stack(model: dict[str, Any], stack: Stack) -> dict[str, Any]:
    """A copy of `model` whose nodes are the stack, ids h1/a1, h2/a2, ..., out."""
    nodes = []
    for i, (width, activation) in enumerate(zip(stack.widths, stack.activations, strict=True), start=1):
        nodes.append({"id": f"h{i}", "type": "Linear", "params": {"out_features": width}})
        nodes.append({"id": f"a{i}", "type": activation})
    nodes.append({"id": "out", "type": "Linear", "params": {"out_features": stack.outputs}})
    if stack.final:
        nodes.append({"id": "squash", "type": stack.final})
    out = copy.deepcopy(model)
    out["nodes"] = nodes
    out["output"] = nodes[-1]["id"]
    return out


def add_layer(stack: Stack) -> Stack:
    if len(stack.widths) >= MAX_LAYERS:
        return stack
    width = stack.widths[-1] if stack.widths else 4
    activation = stack.activations[-1] if stack.activations else "Tanh"
    return Stack((*stack.widths, width), (*stack.activations, activation), stack.outputs, stack.final)


def remove_layer(stack: Stack) -> Stack:
    return Stack(stack.widths[:-1], stack.activations[:-1], stack.outputs, stack.final)


def resize(stack: Stack, layer: int, delta: int) -> Stack:
    widths = list(stack.widths)
    widths[layer] = min(MAX_NEURONS, max(1, widths[layer] + delta))
    return Stack(tuple(widths), stack.activations, stack.outputs, stack.final)


def set_activation(stack: Stack, activation: str, layer: int | None = None) -> Stack:
    """One activation for every hidden layer, or for one (`layer`)."""
    acts = [activation if layer is None or i == layer else a for i, a in enumerate(stack.activations)]
    return Stack(stack.widths, tuple(acts), stack.outputs, stack.final)


def _width(node: dict) -> int | None:
    params = node.get("params") or {}
    width = params.get("out_features")
    extra = set(params) - {"out_features", "bias"}
    return width if isinstance(width, int) and not isinstance(width, bool) and not extra else None


def _last_id(nodes: list) -> Any:
    return nodes[-1].get("id") if nodes and isinstance(nodes[-1], dict) else None


def _prev(nodes: list, index: int) -> Any:
    return "input" if index == 0 else (nodes[index - 1].get("id") if isinstance(nodes[index - 1], dict) else None)
