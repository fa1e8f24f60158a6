"""Editing operations on a model section, as pure functions: each takes a model dict (the JSON
form) and returns a new one, never changing its argument. The page and the tests drive these.

Edits work on explicit inputs and write the result back compactly, so a node that reads from the
one listed before it keeps omitting `inputs`, as a hand-written file would.
"""

from __future__ import annotations

import copy
import keyword
import re
from typing import Any

from engine.params import ParamError
from engine.registry import REGISTRY
from engine.spec import ID_PATTERN, INPUT_ID, MAX_NODES, RESERVED_IDS

Model = dict[str, Any]


class EditError(ValueError):
    """An edit that cannot be made; the message says why."""


def explicit(model: Model) -> Model:
    """A copy in which every node lists its inputs and the output is named."""
    out = copy.deepcopy(model)
    previous = INPUT_ID
    for node in out.get("nodes", []):
        if node.get("inputs") is None:
            node["inputs"] = [previous]
        elif isinstance(node["inputs"], str):
            node["inputs"] = [node["inputs"]]
        previous = node.get("id", previous)
    if out.get("nodes") and "output" not in out:
        out["output"] = out["nodes"][-1].get("id")
    return out


def compact(model: Model) -> Model:
    """A copy that leaves out `inputs` wherever it is just the node listed before."""
    out = copy.deepcopy(model)
    previous = INPUT_ID
    for node in out.get("nodes", []):
        if node.get("inputs") == [previous]:
            del node["inputs"]
        previous = node.get("id")
    return out


def ids(model: Model) -> list[str]:
    return [n.get("id") for n in model.get("nodes", [])]


def new_id(model: Model, type_name: str) -> str:
    """A fresh readable id for a node of this type: linear1, relu2, conv2d1, ..."""
    base = re.sub(r"[^a-z0-9_]", "", type_name.lower()) or "node"
    taken = set(ids(model))
    number = 1
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def new_node(model: Model, type_name: str, params: dict | None = None, node_id: str | None = None) -> dict:
    """A node dict for `type_name` with its required parameters set to their example values."""
    if type_name not in REGISTRY:
        raise EditError(f"unknown layer type '{type_name}'")
    layer = REGISTRY[type_name]
    node_params = {k: copy.deepcopy(p.example) for k, p in layer.params.items() if p.required}
    node_params.update(params or {})
    node_id = node_id or new_id(model, type_name)
    _check_new_id(model, node_id)
    node = {"id": node_id, "type": type_name}
    if node_params:
        node["params"] = node_params
    return node


def insert_node(
    model: Model,
    after: str,
    type_name: str,
    params: dict | None = None,
    node_id: str | None = None,
    also: list[str] | None = None,
) -> tuple[Model, str]:
    """Insert a node right after `after`: it reads from `after` (and from `also`, for merges such
    as a residual Add), and whatever read `after`, the output included, now reads from it.
    Returns the new model and the new node's id."""
    out = explicit(model)
    for source in [after, *(also or [])]:
        _require(out, source, allow_input=True)
    node = new_node(out, type_name, params, node_id)
    for other in out["nodes"]:
        other["inputs"] = [node["id"] if i == after else i for i in other["inputs"]]
    node["inputs"] = [after, *(also or [])]
    position = 0 if after == INPUT_ID else ids(out).index(after) + 1
    out["nodes"].insert(position, node)
    if out.get("output") == after or not out.get("output"):
        out["output"] = node["id"]
    return compact(out), node["id"]


def add_node(
    model: Model, type_name: str, inputs: list[str], params: dict | None = None, node_id: str | None = None
) -> tuple[Model, str]:
    """Add a node reading from `inputs` without rewiring anything (branches, merges).

    It is placed after the last of its inputs, and becomes the output if one of them was."""
    out = explicit(model)
    for source in inputs:
        _require(out, source, allow_input=True)
    node = new_node(out, type_name, params, node_id)
    node["inputs"] = list(inputs)
    positions = [ids(out).index(i) + 1 for i in inputs if i != INPUT_ID]
    out["nodes"].insert(max(positions, default=0), node)
    if out.get("output") in inputs:
        out["output"] = node["id"]
    return compact(out), node["id"]


def remove_node(model: Model, node_id: str) -> Model:
    """Remove a node; whatever read from it reads from its first input instead."""
    out = explicit(model)
    node = _require(out, node_id)
    replacement = node["inputs"][0] if node["inputs"] else INPUT_ID
    out["nodes"] = [n for n in out["nodes"] if n.get("id") != node_id]
    for other in out["nodes"]:
        rewired = [replacement if i == node_id else i for i in other["inputs"]]
        other["inputs"] = list(dict.fromkeys(rewired)) if other["inputs"] != rewired else rewired
    if out.get("output") == node_id:
        out["output"] = replacement if replacement != INPUT_ID else (ids(out)[-1] if out["nodes"] else "")
    (out.get("layout") or {}).pop(node_id, None)
    return compact(out)


def move_node(model: Model, node_id: str, offset: int) -> Model:
    """Swap a node with its neighbour in a plain chain (offset -1: up, +1: down)."""
    out = explicit(model)
    order = ids(out)
    _require(out, node_id)
    index = order.index(node_id)
    other_index = index + offset
    if offset not in (-1, 1) or not 0 <= other_index < len(order):
        raise EditError(f"'{node_id}' cannot move {'up' if offset < 0 else 'down'} from there")
    first, second = sorted((index, other_index))
    upper, lower = out["nodes"][first], out["nodes"][second]
    readers = [n for n in out["nodes"] if upper["id"] in n["inputs"]]
    if lower["inputs"] != [upper["id"]] or len(upper["inputs"]) != 1 or readers != [lower]:
        raise EditError(f"'{upper['id']}' and '{lower['id']}' are not a plain chain; change their inputs instead")
    # upper -> lower becomes lower -> upper: lower takes upper's input, upper reads lower.
    lower["inputs"], upper["inputs"] = upper["inputs"], [lower["id"]]
    for n in out["nodes"]:
        if n is not upper:
            n["inputs"] = [upper["id"] if i == lower["id"] else i for i in n["inputs"]]
    if out.get("output") == lower["id"]:
        out["output"] = upper["id"]
    out["nodes"][first], out["nodes"][second] = lower, upper
    return compact(out)


def change_type(model: Model, node_id: str, type_name: str) -> Model:
    """Give a node a new type, keeping the parameters that the new type has and accepts."""
    out = explicit(model)
    node = _require(out, node_id)
    if type_name not in REGISTRY:
        raise EditError(f"unknown layer type '{type_name}'")
    schema = REGISTRY[type_name].params
    kept = {}
    for name, value in (node.get("params") or {}).items():
        if name in schema:
            try:
                kept[name] = schema[name].check(value)
            except ParamError:
                continue
    fresh = new_node(out, type_name, kept, node_id="__placeholder__")
    node["type"] = type_name
    node.pop("params", None)
    if fresh.get("params"):
        node["params"] = fresh["params"]
    return compact(out)


def set_params(model: Model, node_id: str, params: dict) -> Model:
    """Replace a node's parameters (validation reports bad values; edits never refuse them)."""
    out = explicit(model)
    node = _require(out, node_id)
    node.pop("params", None)
    if params:
        node["params"] = copy.deepcopy(params)
    return compact(out)


def set_inputs(model: Model, node_id: str, inputs: list[str]) -> Model:
    out = explicit(model)
    _require(out, node_id)["inputs"] = list(inputs)
    return compact(out)


def rename_node(model: Model, old: str, new: str) -> Model:
    """Rename a node and every reference to it."""
    out = explicit(model)
    node = _require(out, old)
    if new == old:
        return compact(out)
    _check_new_id(out, new)
    node["id"] = new
    for other in out["nodes"]:
        other["inputs"] = [new if i == old else i for i in other["inputs"]]
    if out.get("output") == old:
        out["output"] = new
    if old in (out.get("layout") or {}):
        out["layout"][new] = out["layout"].pop(old)
    return compact(out)


def _require(model: Model, node_id: str, allow_input: bool = False) -> dict | None:
    if allow_input and node_id == INPUT_ID:
        return None
    for node in model.get("nodes", []):
        if node.get("id") == node_id:
            return node
    raise EditError(f"there is no node '{node_id}'")


def _check_new_id(model: Model, node_id: str) -> None:
    if node_id == "__placeholder__":
        return
    if not isinstance(node_id, str) or not ID_PATTERN.fullmatch(node_id) or keyword.iskeyword(node_id):
        raise EditError(f"'{node_id}' is not a valid id: use letters, digits and _, not starting with a digit")
    if node_id in RESERVED_IDS:
        raise EditError(f"'{node_id}' is a reserved name; pick another id")
    if node_id in ids(model):
        raise EditError(f"the id '{node_id}' is already used; pick another")


# -- the graph editor's operations ---------------------------------------------------------


def insert_between(model: Model, source: str, target: str, type_name: str, params: dict | None = None
                   ) -> tuple[Model, str]:
    """Put a new node on the edge `source` -> `target`: it reads `source`, and `target` reads it
    where it read `source`. Returns the new model and the new node's id."""
    out = explicit(model)
    _require(out, source, allow_input=True)
    reader = _require(out, target)
    if source not in reader["inputs"]:
        raise EditError(f"'{target}' does not read from '{source}'")
    node = new_node(out, type_name, params)
    node["inputs"] = [source]
    reader["inputs"] = [node["id"] if i == source else i for i in reader["inputs"]]
    out["nodes"].insert(ids(out).index(target), node)
    return compact(out), node["id"]


def connect(model: Model, source: str, target: str) -> Model:
    """Wire `source` into `target`: a merge node (Add, Multiply, Concat) gains an input, any other
    node reads from `source` instead. Refused (EditError, with the reason) when the wire would make
    a cycle or give `target` a shape it cannot take, so the model is never left broken by it."""
    from engine.shapes import analyze  # the analysis imports this module's neighbours, not this one

    out = explicit(model)
    _require(out, source, allow_input=True)
    reader = _require(out, target)
    if source == target:
        raise EditError(f"'{target}' cannot read from itself")
    if source in reader["inputs"]:
        raise EditError(f"'{target}' already reads from '{source}'")
    path = _path(out, target, source)
    if path:
        raise EditError(f"wiring '{source}' into '{target}' would make a cycle: {' → '.join([*path, target])}")
    # a wire that leaves `target` with a shape it cannot take is refused; other problems (a node
    # that does not reach the output yet) are the normal state of a graph being built
    layer = REGISTRY.get(reader.get("type"))
    several = layer is not None and (layer.max_inputs is None or layer.max_inputs > 1)
    reader["inputs"] = [*reader["inputs"], source] if several else [source]
    edited = compact(out)
    if several and len(reader["inputs"]) < (layer.min_inputs if layer else 1):
        return edited  # a merge still waiting for its other inputs: nothing to check yet
    problems = analyze(_upstream(out, target)).problems_of(target)
    if problems:
        raise EditError(f"'{target}' cannot read from '{source}': {problems[0].message}")
    return edited


def _upstream(model: Model, node_id: str) -> Model:
    """The part of an explicit model that `node_id` reads, directly or not, with `node_id` as its
    output: what its shape depends on, whatever the rest of the graph is waiting for."""
    by_id = {n.get("id"): n for n in model.get("nodes", [])}
    needed, stack = set(), [node_id]
    while stack:
        here = stack.pop()
        if here in needed or here not in by_id:
            continue
        needed.add(here)
        stack.extend(by_id[here].get("inputs") or [])
    nodes = [n for n in model["nodes"] if n.get("id") in needed]
    return {"input": model.get("input"), "nodes": nodes, "output": node_id}


def disconnect(model: Model, source: str, target: str) -> Model:
    """Remove the wire `source` -> `target` (`target` then reads from the rest of its inputs)."""
    out = explicit(model)
    reader = _require(out, target)
    if source not in reader["inputs"]:
        raise EditError(f"'{target}' does not read from '{source}'")
    reader["inputs"] = [i for i in reader["inputs"] if i != source]
    return compact(out)


def set_output(model: Model, node_id: str) -> Model:
    out = explicit(model)
    _require(out, node_id)
    out["output"] = node_id
    return compact(out)


def paste_nodes(model: Model, nodes: list[dict], positions: dict[str, list[float]] | None = None
                ) -> tuple[Model, dict[str, str]]:
    """Add copies of `nodes` (id, type, params, inputs) with fresh ids; wires among them are kept,
    wires from outside the group are dropped (the copies wait to be wired). `positions` (by the
    copied ids) place them. Returns the new model and {copied id: new id}."""
    out = explicit(model)
    if not isinstance(nodes, list) or len(out.get("nodes", [])) + len(nodes) > MAX_NODES:
        raise EditError(f"pasting these would pass the limit of {MAX_NODES} nodes")
    renamed: dict[str, str] = {}
    copies = []
    for node in nodes:
        if not isinstance(node, dict) or node.get("type") not in REGISTRY:
            raise EditError(f"cannot paste {node!r}: not a layer")
        params = node.get("params") if isinstance(node.get("params"), dict) else None
        copy_ = new_node(out, node["type"], params)
        out["nodes"].append(copy_)  # its id is taken before the next one is chosen
        renamed[str(node.get("id"))] = copy_["id"]
        copies.append((copy_, node.get("inputs") or []))
    for copy_, inputs in copies:
        copy_["inputs"] = [renamed[str(i)] for i in inputs if str(i) in renamed]
    if positions:
        layout = out.setdefault("layout", {})
        for old, new in renamed.items():
            if old in positions:
                layout[new] = list(positions[old])
    return compact(out), renamed


def set_layout(model: Model, positions: dict[str, list[float]] | None) -> Model:
    """Keep where the editor draws these nodes (None: forget every position, back to the automatic
    layout). Positions of ids the model lacks are dropped."""
    out = copy.deepcopy(model)
    if positions is None:
        out.pop("layout", None)
        return out
    known = {INPUT_ID, *ids(out)}
    layout = {k: v for k, v in (out.get("layout") or {}).items() if k in known}
    for node_id, place in positions.items():
        if node_id in known and isinstance(place, list | tuple) and len(place) == 2 \
                and all(isinstance(v, int | float) and not isinstance(v, bool) and abs(v) <= 1e6 for v in place):
            layout[node_id] = [float(place[0]), float(place[1])]
    out["layout"] = layout
    return out


def _path(model: Model, start: str, end: str) -> list[str]:
    """A path of wires from `start` to `end` (each node to one that reads it), or []."""
    readers: dict[str, list[str]] = {}
    for node in model.get("nodes", []):
        for source in node.get("inputs") or []:
            readers.setdefault(source, []).append(node.get("id"))
    trail, seen, stack = {start: None}, {start}, [start]
    while stack:
        here = stack.pop()
        if here == end:
            path = []
            while here is not None:
                path.append(here)
                here = trail[here]
            return path[::-1]
        for nxt in readers.get(here, []):
            if nxt not in seen:
                seen.add(nxt)
                trail[nxt] = here
                stack.append(nxt)
    return []
