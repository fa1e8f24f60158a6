"""Parse the `model` section of an experiment into normalized node specs, collecting problems.

Parsing never raises: it returns what it could make sense of plus every problem it found, so
the page can still draw a broken model and point at the nodes that need fixing.
"""

from __future__ import annotations

import difflib
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from torch import fx, nn

import engine.layers  # noqa: F401  (registers every layer type)
from engine.errors import Problem, node_problem
from engine.params import ParamError
from engine.registry import REGISTRY

INPUT_ID = "input"
ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MODEL_KEYS = ("input", "nodes", "output", "layout")
NODE_KEYS = ("id", "type", "params", "inputs")
# Names a node cannot take: the compiled module's own attributes, `self` (its forward's), and the
# methods an exported GAN's model class adds.
RESERVED_IDS = frozenset(dir(fx.GraphModule(nn.Module(), fx.Graph()))) | {INPUT_ID, "self", "input_shape", "input_dtype",
                                                                       "generate", "judge"}  # a GAN script's methods
# Sizes the engine infers; users who give them get told so instead of "unknown parameter".
INFERRED_PARAMS = frozenset(
    {
        "in_features",
        "in_channels",
        "num_features",
        "normalized_shape",
        "input_size",
        "embed_dim",
        "d_model",
    }
)
MAX_NODES = 500


@dataclass(frozen=True)
class NodeSpec:
    """One node with its defaults filled in and its inputs made explicit."""

    id: str
    type: str
    params: dict[str, Any]
    inputs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "params": dict(self.params), "inputs": list(self.inputs)}


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model: the input, the nodes in file order, and the output node's id."""

    input_shape: tuple[int, ...]
    input_dtype: str
    nodes: tuple[NodeSpec, ...]
    output: str

    def node(self, node_id: str) -> NodeSpec:
        return next(n for n in self.nodes if n.id == node_id)

    def to_dict(self) -> dict[str, Any]:
        """The normalized model: every default written out, every input explicit."""
        return {
            "input": {"shape": list(self.input_shape), "dtype": self.input_dtype},
            "nodes": [n.to_dict() for n in self.nodes],
            "output": self.output,
        }


@dataclass
class ParsedModel:
    """What parsing made of a model section: the spec, the problems, and nodes that are broken."""

    spec: ModelSpec | None
    problems: list[Problem] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)


# Names people bring from Keras and other builders, for the hint on an unknown layer type (names
# that differ only in case, such as Conv2D, are matched without this table).
OTHER_NAMES = {"dense": "Linear", "fullyconnected": "Linear", "fc": "Linear", "maxpooling2d": "MaxPool2d",
               "averagepooling2d": "AvgPool2d", "maxpooling1d": "MaxPool1d", "averagepooling1d": "AvgPool1d",
               "batchnormalization": "BatchNorm1d", "globalaveragepooling2d": "GlobalAvgPool", "simplernn": "RNN",
               "swish": "SiLU", "multiheadattention": "MultiheadSelfAttention", "layernormalization": "LayerNorm",
               "concatenate": "Concat"}


def suggest(word: str, options, other_names: dict[str, str] | None = None) -> str:
    """"; did you mean 'X'?" for a near miss (case ignored), else ""."""
    options = [str(o) for o in options]
    by_lower = {o.lower(): o for o in options}
    key = str(word).lower().replace("_", "").replace(" ", "")
    match = by_lower.get(key) or (other_names or {}).get(key)
    if match is None:
        close = difflib.get_close_matches(str(word).lower(), list(by_lower), n=1, cutoff=0.6)
        match = by_lower[close[0]] if close else None
    return f"; did you mean '{match}'?" if match in options else ""


def parse_params(node_id: str, type_name: str, raw: Any, problems: list[Problem]) -> dict | None:
    """Check a node's params against its type's schema; fill defaults. None if any is wrong."""
    layer = REGISTRY[type_name]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        problems.append(node_problem(node_id, f'"params" must be an object, got {raw!r}', "params"))
        return None
    ok = True
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in layer.params:
            ok = False
            if name in INFERRED_PARAMS:
                message = f"'{name}' is inferred from the input shape; remove it"
            else:
                known = ", ".join(layer.params) or "none"
                message = (
                    f"{type_name} has no parameter '{name}'{suggest(name, layer.params)} (its parameters: {known})"
                )
            problems.append(node_problem(node_id, message, name))
            continue
        schema = layer.params[name]
        if value is None and schema.default is None:
            params[name] = None
            continue
        try:
            params[name] = schema.check(value)
        except ParamError as err:
            ok = False
            problems.append(node_problem(node_id, f"{name} {err}", name))
    for name, schema in layer.params.items():
        if name in params or name in raw:
            continue
        if schema.required:
            ok = False
            problems.append(
                node_problem(node_id, f"{type_name} needs '{name}' ({schema.describe()}); add it to params", name)
            )
        else:
            params[name] = schema.default
    # Keep the schema's order so normalized files read the same way every time.
    return {k: params[k] for k in layer.params if k in params} if ok else None


def check_id(raw_id: Any, position: int, problems: list[Problem]) -> str | None:
    if raw_id is None:
        problems.append(
            Problem("model", f'node {position} has no "id"; give it a unique name such as "layer{position}"')
        )
        return None
    if not isinstance(raw_id, str) or not ID_PATTERN.fullmatch(raw_id) or keyword.iskeyword(raw_id):
        problems.append(
            Problem(
                "model",
                f"node {position} has id {raw_id!r}; an id is a name of letters, digits and _ "
                "(at most 64, not starting with a digit), such as 'h1' or 'conv_1'",
            )
        )
        return None
    if raw_id in RESERVED_IDS:
        what = "the model's input" if raw_id == INPUT_ID else "a reserved name in PyTorch modules"
        problems.append(node_problem(raw_id, f"'{raw_id}' is {what}; rename the node", "id"))
        return None
    return raw_id


def parse_inputs(node_id: str, raw: Any, previous: str | None, problems: list[Problem]):
    if raw is None:
        return (previous,) if previous else None
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(r, str) for r in raw):
        problems.append(node_problem(node_id, f'"inputs" must be a non-empty list of node ids, got {raw!r}', "inputs"))
        return None
    return tuple(raw)


def parse_input(raw: Any, problems: list[Problem]) -> tuple[tuple[int, ...], str] | None:
    if not isinstance(raw, dict):
        problems.append(Problem("model", '"input" must be an object like {"shape": [2], "dtype": "float"}'))
        return None
    for key in raw:
        if key not in ("shape", "dtype"):
            problems.append(Problem("model", f"\"input\" has unknown key '{key}' (allowed: shape, dtype)"))
    shape = raw.get("shape")
    dtype = raw.get("dtype", "float")
    good = True
    if (
        not isinstance(shape, list)
        or not shape
        or len(shape) > 6
        or not all(isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= 10**7 for s in shape)
    ):
        problems.append(
            Problem(
                "model", f"input shape must be a list of 1 to 6 positive integers (one sample, no batch), got {shape!r}"
            )
        )
        good = False
    if dtype not in ("float", "long"):
        problems.append(Problem("model", f'input dtype must be "float" or "long", got {dtype!r}'))
        good = False
    return (tuple(shape), dtype) if good else None


def _check_layout(layout: Any, problems: list[Problem]) -> None:
    """`layout` is where the page's graph editor draws each node: {id: [x, y]}. The engine builds
    nothing from it; it is only checked, so that a bad one is named instead of breaking the page."""
    if layout is None:
        return
    if not isinstance(layout, dict) or len(layout) > MAX_NODES + 1:
        problems.append(Problem("model", f'"layout" must be an object of at most {MAX_NODES + 1} ids, each with [x, y]'))
        return
    for node_id, place in layout.items():
        if not (isinstance(place, list) and len(place) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) and abs(v) <= 1e6 for v in place)):
            problems.append(Problem("model", f'"layout" of \'{node_id}\' must be [x, y], two numbers within ±1e6, '
                                             f"got {place!r}", field="layout"))


def parse_model(raw: Any) -> ParsedModel:
    """Parse a model section; never raises."""
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        return ParsedModel(None, [Problem("model", "the model must be an object with input, nodes and output")])
    for key in raw:
        if key not in MODEL_KEYS:
            problems.append(
                Problem("model", f"unknown key '{key}'{suggest(key, MODEL_KEYS)} (allowed: {', '.join(MODEL_KEYS)})")
            )
    parsed_input = parse_input(raw.get("input"), problems)
    _check_layout(raw.get("layout"), problems)
    raw_nodes = raw.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        problems.append(Problem("model", '"nodes" must be a non-empty list of layers'))
        return ParsedModel(None, problems)
    if len(raw_nodes) > MAX_NODES:
        problems.append(Problem("model", f"{len(raw_nodes)} nodes is over the limit of {MAX_NODES}"))
        return ParsedModel(None, problems)

    nodes: list[NodeSpec] = []
    broken: set[str] = set()
    previous: str | None = INPUT_ID
    for position, raw_node in enumerate(raw_nodes, start=1):
        if not isinstance(raw_node, dict):
            problems.append(Problem("model", f"node {position} must be an object with id and type, got {raw_node!r}"))
            previous = None
            continue
        node_id = check_id(raw_node.get("id"), position, problems)
        label = node_id or f"#{position}"
        if node_id is None:
            previous = None
            continue
        ok = True
        for key in raw_node:
            if key not in NODE_KEYS:
                ok = False
                problems.append(
                    node_problem(
                        node_id, f"unknown key '{key}'{suggest(key, NODE_KEYS)} (allowed: {', '.join(NODE_KEYS)})", key
                    )
                )
        type_name = raw_node.get("type")
        params = None
        if not isinstance(type_name, str) or type_name not in REGISTRY:
            ok = False
            hint = suggest(type_name, REGISTRY, OTHER_NAMES) if isinstance(type_name, str) else ""
            problems.append(node_problem(label, f"unknown layer type {type_name!r}{hint}", "type"))
        else:
            params = parse_params(node_id, type_name, raw_node.get("params"), problems)
            ok = ok and params is not None
        inputs = parse_inputs(node_id, raw_node.get("inputs"), previous, problems)
        if inputs is None:
            if previous is None and raw_node.get("inputs") is None:
                problems.append(
                    node_problem(node_id, 'the node before it has no valid id, so give "inputs" explicitly', "inputs")
                )
            ok = False
        nodes.append(NodeSpec(node_id, type_name if isinstance(type_name, str) else "?", params or {}, inputs or ()))
        if not ok:
            broken.add(node_id)
        previous = node_id

    output = raw.get("output", nodes[-1].id if nodes else "")
    if not isinstance(output, str):
        problems.append(Problem("model", f'"output" must be a node id, got {output!r}'))
        output = ""
    if parsed_input is None:
        broken.add(INPUT_ID)  # keep the nodes so the page can still draw them
    shape, dtype = parsed_input or ((), "float")
    return ParsedModel(ModelSpec(shape, dtype, tuple(nodes), output), problems, broken)
