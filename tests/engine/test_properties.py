"""Property-based tests: random valid stacks always build and run; random corruptions of a valid
experiment are always a `SpecError` naming something, never another exception or a model.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import keyword
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import SpecError, analyze, build_model, load_experiment
from engine.data import DATASETS
from engine.experiment import FORMAT, TOP_KEYS
from engine.params import AnyInt, Bool, Float, Int, Param
from engine.registry import REGISTRY
from engine.spec import INFERRED_PARAMS, RESERVED_IDS
from engine.training.config import OPTIMIZERS
from tests.conftest import MLP, experiment

SETTINGS = settings(
    max_examples=50, deadline=None, report_multiple_bugs=False, suppress_health_check=[HealthCheck.too_slow]
)
# Loading without building takes a few milliseconds.
CHEAP = settings(SETTINGS, max_examples=150)
LINE = re.compile(r"^(node '[A-Za-z0-9_]+'|model|data|training|file): \S")

# --- valid stacks ---------------------------------------------------------------------------------

# Names that are valid ids but mean something to Python, PyTorch or the compiled module.
TRICKY_IDS = (
    "x",
    "self",
    "torch",
    "nn",
    "max",
    "sum",
    "match",
    "case",
    "_",
    "Tensor",
    "getattr",
    "output",
    "inputs",
    "input_shape",
    "input_dtype",
)


def good_id(name: str) -> bool:
    return not keyword.iskeyword(name) and name not in RESERVED_IDS


valid_ids = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True), st.sampled_from(TRICKY_IDS)
).filter(good_id)


@st.composite
def activation_node(draw) -> dict:
    kind = draw(st.sampled_from(["ReLU", "Tanh", "Sigmoid", "GELU", "SiLU", "LeakyReLU", "ELU", "Softmax"]))
    params = {
        "LeakyReLU": {"negative_slope": draw(st.floats(0.0, 1.0))},
        "ELU": {"alpha": draw(st.floats(0.01, 3.0))},
        "Softmax": {"dim": draw(st.sampled_from([-1, 0]))},
    }.get(kind)
    return {"type": kind, **({"params": params} if params and draw(st.booleans()) else {})}


@dataclass
class Stack:
    raw: dict
    in_features: int
    out_features: int


@st.composite
def valid_stacks(draw) -> Stack:
    """A random valid experiment: Linear blocks with activations, Dropout and norms, residual Adds
    and Concats, on a random flat input. Inputs are written out only sometimes (implicit otherwise)."""
    in_features = draw(st.integers(1, 16))
    nodes: list[dict] = []  # "inputs" hold node indices (-1 = the input) until ids are assigned
    width, current = in_features, -1

    def add(node: dict, inputs: list[int] | None = None) -> int:
        nodes.append({**node, "_inputs": inputs if inputs is not None else [current]})
        return len(nodes) - 1

    def dense(out: int) -> int:
        return add({"type": "Linear", "params": {"out_features": out, "bias": draw(st.booleans())}})

    for _ in range(draw(st.integers(1, 5))):
        block = draw(st.sampled_from(["dense", "dense", "residual", "concat"]))
        if block == "dense":
            width = draw(st.integers(1, 16))
            current = dense(width)
        elif block == "residual":
            start = current
            current = dense(width)
            current = add(draw(activation_node()))
            current = add({"type": "Add"}, [current, start] if draw(st.booleans()) else [start, current])
        else:
            start, start_width = current, width
            width = draw(st.integers(1, 8))
            current = dense(width)
            current = add({"type": "Concat"}, [current, start])
            width += start_width
        if draw(st.booleans()):
            current = add(draw(activation_node()))
        if draw(st.booleans()):
            current = add({"type": "Dropout", "params": {"p": draw(st.floats(0.0, 0.9))}})
        norm = draw(st.sampled_from([None, "LayerNorm", "BatchNorm1d"]))
        if norm:
            current = add({"type": norm})
    if draw(st.booleans()):
        width = draw(st.integers(1, 4))
        current = dense(width)

    ids = draw(st.lists(valid_ids, min_size=len(nodes), max_size=len(nodes), unique=True))
    out_nodes = []
    for i, (node, node_id) in enumerate(zip(nodes, ids, strict=True)):
        sources = ["input" if s == -1 else ids[s] for s in node.pop("_inputs")]
        implicit = sources == [ids[i - 1] if i else "input"]
        out_nodes.append({"id": node_id, **node, **({} if implicit and draw(st.booleans()) else {"inputs": sources})})
    model: dict[str, Any] = {"input": {"shape": [in_features]}, "nodes": out_nodes}
    if draw(st.booleans()):
        model["input"]["dtype"] = "float"
    if draw(st.booleans()):
        model["output"] = ids[-1]
    return Stack({"format": FORMAT, "title": "random stack", "model": model}, in_features, width)


@SETTINGS
@given(stack=valid_stacks(), batch=st.integers(2, 5))
def test_valid_stacks_build_and_run_with_the_expected_shape(stack, batch):
    exp = load_experiment(json.loads(json.dumps(stack.raw)))
    assert exp.output_shape == (stack.out_features,)
    model = build_model(exp.model, seed=0)
    weights = copy.deepcopy(model.state_dict())  # before training-mode passes move BatchNorm's running stats
    torch.manual_seed(0)
    for size, training in ((batch, True), (1, False)):
        model.train(training)
        with torch.no_grad():
            y = model(torch.randn(size, stack.in_features))
        assert y.shape == (size, stack.out_features)
        assert torch.isfinite(y).all()
    # The normalized experiment round-trips and rebuilds the same weights.
    normalized = exp.to_dict()
    again = load_experiment(json.loads(json.dumps(normalized)))
    assert again.to_dict() == normalized
    rebuilt = build_model(again.model, seed=0).state_dict()
    assert list(rebuilt) == list(weights)
    assert all(torch.equal(v, rebuilt[k]) for k, v in weights.items())


# --- corruptions -----------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.sampled_from([0, -1, 10**9, 2**63, 10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)
non_integer_floats = st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: not float(v).is_integer())
not_numbers = st.one_of(st.none(), st.booleans(), st.text(max_size=6), st.lists(json_scalars, max_size=2))


def bad_value(param: Param) -> st.SearchStrategy:
    """Values outside a parameter's type or range, by the contract's rules (not the engine's)."""
    if isinstance(param, Int):
        over = [st.integers(min_value=param.high + 1)] if param.high is not None else []
        return st.one_of(st.integers(max_value=param.low - 1), *over, non_integer_floats, not_numbers, st.just({}))
    if isinstance(param, Float):
        below = st.floats(max_value=param.low).filter(lambda v: v < param.low or (param.low_open and v == param.low))
        outside = [below, st.just(-(10**400)), st.just(math.nan), st.just(-math.inf)]
        if param.high != math.inf:
            above = st.floats(min_value=param.high).filter(
                lambda v: v > param.high or (param.high_open and v == param.high)
            )
            outside += [above, st.just(10**400)]
        return st.one_of(*outside, not_numbers)
    if isinstance(param, Bool):
        return st.one_of(st.integers(), st.floats(), st.none(), st.text(max_size=6), st.lists(st.booleans()))
    if isinstance(param, AnyInt):
        return st.one_of(st.floats(), not_numbers)
    raise AssertionError(f"no bad values for {type(param).__name__}; add them in tests/engine/test_properties.py")


@dataclass
class Corrupted:
    """A corrupted experiment: a dict, JSON text or raw bytes, and where the problem must be reported."""

    what: str
    content: dict | str | bytes
    where: tuple[str, ...]  # a problem line starts with one of these
    model_level: bool = False  # the model section itself is invalid, so build_model refuses it too


def other_name(draw, taken, strategy=None) -> str:
    strategy = valid_ids if strategy is None else strategy
    return draw(strategy.filter(lambda s: s not in taken and s != "input"))


CORRUPTIONS = (
    "unknown type",
    "missing type",
    "unknown param",
    "inferred param",
    "bad param",
    "too big",
    "duplicate id",
    "bad id",
    "unknown reference",
    "cycle",
    "arity",
    "bad inputs",
    "node not an object",
    "params not an object",
    "unknown node key",
    "shape mismatch",
    "token input",
    "bad input shape",
    "missing output",
    "unknown model key",
    "no nodes",
    "no model",
    "non-object JSON",
    "wrong format",
    "unknown top-level key",
    "truncated JSON",
    "broken JSON",
    "not UTF-8",
    "bad data",
    "bad training",
)


@st.composite
def corrupted(draw, kind: str) -> Corrupted:
    raw = draw(valid_stacks()).raw
    model = raw["model"]
    nodes = model["nodes"]
    ids = [n["id"] for n in nodes]
    i = draw(st.integers(0, len(nodes) - 1))
    node = nodes[i]
    at = (f"node '{node['id']}'",)
    text = json.dumps(raw)
    if kind == "unknown type":
        node["type"] = draw(json_values.filter(lambda t: not (isinstance(t, str) and t in REGISTRY)))
        return Corrupted(kind, raw, at, True)
    if kind == "missing type":
        del node["type"]
        return Corrupted(kind, raw, at, True)
    if kind in ("unknown param", "inferred param"):
        schema = REGISTRY[node["type"]].params
        names = st.sampled_from(sorted(INFERRED_PARAMS)) if kind == "inferred param" else st.text(max_size=10)
        node.setdefault("params", {})[other_name(draw, schema, names)] = draw(json_values)
        return Corrupted(kind, raw, at, True)
    if kind == "bad param":
        with_params = [n for n in nodes if REGISTRY[n["type"]].params]
        node = draw(st.sampled_from(with_params))
        name, param = draw(st.sampled_from(sorted(REGISTRY[node["type"]].params.items())))
        node.setdefault("params", {})[name] = draw(bad_value(param))
        return Corrupted(f"bad {node['type']}.{name}", raw, (f"node '{node['id']}'",), True)
    if kind == "too big":
        linear = draw(st.sampled_from([n for n in nodes if n["type"] == "Linear"]))
        linear["params"]["out_features"] = draw(st.sampled_from([10**9, 10**12, 2**63, 10**30, 10**400]))
        return Corrupted(kind, raw, (f"node '{linear['id']}'",), True)
    if kind == "duplicate id":
        if len(nodes) == 1:
            nodes.append(copy.deepcopy(node))
        else:
            j = draw(st.integers(0, len(nodes) - 1).filter(lambda j: j != i))
            nodes[j]["id"] = node["id"]
        return Corrupted(kind, raw, at, True)
    if kind == "bad id":
        bad = draw(
            st.one_of(
                st.sampled_from(["", "1a", "a-b", "a b", "é", "class", "None", "input", "forward", "h1\n", "a" * 65]),
                st.sampled_from(sorted(RESERVED_IDS)),
                json_scalars.filter(lambda v: not isinstance(v, str)),
            )
        )
        node["id"] = bad
        return Corrupted(kind, raw, ("model: ", f"node '{bad}'"), True)
    if kind == "unknown reference":
        ghost = other_name(draw, ids)
        sources = node.get("inputs") or [ids[i - 1] if i else "input"]
        node["inputs"] = [*sources[:-1], ghost]
        return Corrupted(kind, raw, at, True)
    if kind == "cycle":
        if i == len(nodes) - 1:
            node["inputs"] = [node["id"], *node.get("inputs", ["x"])[1:]]  # reads from itself
            return Corrupted(kind, raw, at, True)
        later = ids[draw(st.integers(i + 1, len(nodes) - 1))]
        node["inputs"] = [later, *node.get("inputs", ["x"])[1:]]
        return Corrupted(kind, raw, ("model: cycle",), True)
    if kind == "arity":
        node["inputs"] = ["input", "input"] if REGISTRY[node["type"]].max_inputs == 1 else ["input"]
        return Corrupted(kind, raw, at, True)
    if kind == "bad inputs":
        node["inputs"] = draw(st.sampled_from([[], 3, [3], {}, [["input"]], [None], [True]]))
        return Corrupted(kind, raw, at, True)
    if kind == "node not an object":
        nodes[i] = draw(json_values.filter(lambda v: not isinstance(v, dict)))
        return Corrupted(kind, raw, ("model: ",), True)
    if kind == "params not an object":
        node["params"] = draw(json_values.filter(lambda v: v is not None and not isinstance(v, dict)))
        return Corrupted(kind, raw, at, True)
    if kind == "unknown node key":
        node[other_name(draw, ("id", "type", "params", "inputs"), st.text(max_size=8))] = draw(json_values)
        return Corrupted(kind, raw, at, True)
    if kind == "shape mismatch":
        conv = other_name(draw, ids)
        nodes.append({"id": conv, "type": "Conv2d", "params": {"out_channels": 2, "kernel_size": 1}})
        model["output"] = conv
        return Corrupted(kind, raw, (f"node '{conv}'",), True)
    if kind == "token input":
        model["input"]["dtype"] = "long"
        return Corrupted(kind, raw, ("node '",), True)
    if kind == "bad input shape":
        model["input"] = draw(
            st.one_of(
                st.sampled_from([[], [0], [-2], [2.5], ["2"], [True], [1] * 7, [10**8], None, "2"]).map(
                    lambda s: {"shape": s}
                ),
                st.just({"shape": [2], "dtype": "double"}),
                st.just({"shape": [2], "size": 2}),
                json_scalars,
            )
        )
        return Corrupted(kind, raw, ("model: ",), True)
    if kind == "missing output":
        model["output"] = draw(st.one_of(st.just("input"), st.text(max_size=8).filter(lambda s: s not in ids)))
        if draw(st.booleans()):
            model["output"] = draw(json_scalars.filter(lambda v: not isinstance(v, str)))
        return Corrupted(kind, raw, ("model: ",), True)
    if kind == "unknown model key":
        model[other_name(draw, ("input", "nodes", "output"), st.text(max_size=8))] = draw(json_values)
        return Corrupted(kind, raw, ("model: ",), True)
    if kind == "no nodes":
        model["nodes"] = draw(st.sampled_from([[], None, {}, "h1", 3]))
        return Corrupted(kind, raw, ("model: ",), True)
    if kind == "no model":
        if draw(st.booleans()):
            del raw["model"]
            return Corrupted(kind, raw, ("model: ",))
        raw["model"] = draw(json_scalars)  # build_model takes a model section, so it is not asked
        return Corrupted(kind, raw, ("model: ",))
    if kind == "non-object JSON":
        return Corrupted(kind, json.dumps(draw(json_values.filter(lambda v: not isinstance(v, dict)))), ("file: ",))
    if kind == "wrong format":
        if draw(st.booleans()):
            del raw["format"]
        else:
            raw["format"] = draw(
                st.one_of(
                    st.sampled_from(["neuroloom/2", "NeuroLoom/1", " neuroloom/1", "neuroloom"]), json_values
                ).filter(lambda v: v != FORMAT)
            )
        return Corrupted(kind, raw, ("file: ",))
    if kind == "unknown top-level key":
        raw[other_name(draw, TOP_KEYS, st.text(max_size=10))] = draw(json_values)
        return Corrupted(kind, raw, ("file: unknown key",))
    if kind == "truncated JSON":
        return Corrupted(kind, text[: draw(st.integers(0, len(text) - 1))], ("file: ",))
    if kind == "broken JSON":
        pos = draw(st.integers(0, len(text)))
        junk = draw(st.sampled_from(["}", "]", ",", "{", "[", "'", "NaN,", "x", "\x00"]))
        broken = text[:pos] + junk + text[pos:]
        try:  # a few insertions (a space-like spot for NaN, say) still parse; keep those that do not
            json.loads(broken)
            broken = text + junk + "}"
        except (ValueError, RecursionError):
            pass
        return Corrupted(kind, broken, ("file: ",))
    if kind == "not UTF-8":
        return Corrupted(kind, b"\xff\xfe" + text.encode(), ("file: ",))
    if kind == "bad data":
        raw["data"] = draw(
            st.one_of(
                st.builds(
                    lambda v: {"dataset": v}, json_values.filter(lambda v: not (isinstance(v, str) and v in DATASETS))
                ),
                st.builds(lambda v: {"dataset": "circle", "noise": v}, bad_value(Float(low=0.0, high=0.5))),
                json_scalars.filter(lambda v: v is not None),
            )
        )
        return Corrupted(kind, raw, ("data: ",))
    assert kind == "bad training"
    raw["training"] = draw(
        st.one_of(
            st.builds(lambda v: {"lr": v}, bad_value(Float(low=0.0, high=100.0, low_open=True))),
            st.builds(lambda v: {"epochs": v}, bad_value(Int(low=1, high=1_000_000))),
            st.builds(
                lambda v: {"optimizer": v}, json_values.filter(lambda v: not (isinstance(v, str) and v in OPTIMIZERS))
            ),
            st.just({"lossy": "mse"}),
            json_scalars.filter(lambda v: v is not None),
        )
    )
    return Corrupted(kind, raw, ("training: ",))


def load(content, tmp: Path):
    """load_experiment on the content, from a file as the CLI reads it (and as a dict when it is one)."""
    path = tmp / "experiment.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    if isinstance(content, dict):
        assert_spec_error(lambda: load_experiment(copy.deepcopy(content)))
    return assert_spec_error(lambda: load_experiment(path))


def assert_spec_error(call) -> list[str]:
    try:
        result = call()
    except SpecError as err:
        assert err.problems, "a SpecError lists its problems"
        return err.lines()
    raise AssertionError(f"accepted an invalid experiment and returned {type(result).__name__}")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("corrupt")


@pytest.mark.parametrize("kind", CORRUPTIONS)
@settings(SETTINGS, max_examples=12)
@given(data=st.data())
def test_corruptions_raise_spec_error_naming_the_problem(kind, data, scratch):
    case = data.draw(corrupted(kind), label="case")
    lines = load(case.content, scratch)
    assert any(line.startswith(case.where) for line in lines), (case.what, lines)
    for line in lines:
        assert "\n" not in line and LINE.match(line), (case.what, line)
    if case.model_level:  # no model gets built from it either
        section = case.content["model"]
        assert analyze(section).problems
        assert_spec_error(lambda: build_model(section))


# --- any value anywhere: valid or a SpecError, never another exception -------------------------------

FULL = {
    **copy.deepcopy(MLP),
    "description": "every section",
    "family": "basics",
    "expect": {"epochs": 5, "test_accuracy_min": 0.5},
    "data": {"dataset": "circle", "n_samples": 100, "noise": 0.1, "train_fraction": 0.5, "seed": 0},
    "training": {"loss": "bce", "optimizer": "adam", "lr": 0.03, "batch_size": 10, "epochs": 5, "seed": 0},
}


def paths(value, prefix=()) -> list[tuple]:
    """Every key/index path inside a JSON value (the root excluded)."""
    found = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found.append((*prefix, key))
        found += paths(child, (*prefix, key))
    return found


DELETE = object()


def replaced(raw: dict, path: tuple, value) -> dict:
    raw = copy.deepcopy(raw)
    target = raw
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return raw


ALL_PATHS = paths(FULL)
# Values hostile to a validator: too big for a float, not hashable, not finite, the wrong shape.
HOSTILE = {
    "huge int": 10**400,
    "huge negative int": -(10**400),
    "nan": math.nan,
    "inf": math.inf,
    "empty list": [],
    "list": [["circle"]],
    "object": {"a": {}},
    "null": None,
    "true": True,
    "text": "neuroloom/1",
    "deleted": DELETE,
}


def loads_or_spec_error(raw) -> None:
    try:
        load_experiment(raw)
    except SpecError as err:
        assert err.problems and all(LINE.match(line) for line in err.lines()), err.lines()


@pytest.mark.parametrize("label", list(HOSTILE))
def test_hostile_values_anywhere_are_valid_or_a_spec_error(label):
    assert load_experiment(copy.deepcopy(FULL)).data_info is not None  # the starting point is valid
    failures = []
    for path in ALL_PATHS:
        try:
            loads_or_spec_error(replaced(FULL, path, HOSTILE[label]))
        except Exception as err:  # collected, so one run lists every place that breaks
            failures.append(f"{'.'.join(map(str, path))} = {label}: {type(err).__name__}: {err}"[:200])
    assert not failures, "\n".join(failures)


@CHEAP
@given(stack=valid_stacks(), data=st.data())
def test_random_values_anywhere_are_valid_or_a_spec_error(stack, data):
    # Start from a valid experiment with every section: the stack on the circle data, one output.
    # Generated ids are at most 12 characters, so these two names are free.
    model = stack.raw["model"]
    model["input"]["shape"] = [2]
    for node in model["nodes"]:
        node["inputs"] = ["adapter_input_node" if i == "input" else i for i in node.get("inputs", [])] or None
        if node["inputs"] is None:
            del node["inputs"]
    model["nodes"].insert(
        0, {"id": "adapter_input_node", "type": "Linear", "params": {"out_features": stack.in_features}}
    )
    model.pop("output", None)
    model["nodes"].append({"id": "final_output_node", "type": "Linear", "params": {"out_features": 1}})
    raw = {**copy.deepcopy(FULL), "model": model}
    if not data.draw(st.booleans(), label="edit the valid experiment"):
        load_experiment(copy.deepcopy(raw))
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        path = data.draw(st.sampled_from(paths(raw)), label="path")
        raw = replaced(raw, path, data.draw(st.one_of(json_values, st.just(DELETE)), label="value"))
    loads_or_spec_error(raw)


@pytest.mark.parametrize("name", TRICKY_IDS)
def test_ids_that_mean_something_to_python_or_torch_are_refused_or_build_and_run(name):
    raw = experiment(
        [
            {"id": name, "type": "Linear", "params": {"out_features": 3}},
            {"id": "after", "type": "ReLU"},
            {"id": "join", "type": "Add", "inputs": [name, "after"]},
        ]
    )
    try:
        exp = load_experiment(raw)
    except SpecError as err:  # refusing the name is fine, as long as the problem names it
        assert any(line.startswith(f"node '{name}'") for line in err.lines()), err.lines()
        return
    model = build_model(exp.model)
    assert model(torch.randn(2, 2)).shape == (2, 3)


def test_ids_with_a_trailing_newline_are_refused():
    raw = copy.deepcopy(MLP)
    raw["model"]["nodes"][0]["id"] = "h1\n"  # ID_PATTERN's `$` matches before a final newline
    lines = assert_spec_error(lambda: load_experiment(raw))
    assert any(line.startswith("model: node 1 has id") for line in lines), lines


NEWLINE = "a\nb"
# Where a user's text ends up inside a problem message.
TEXT_PLACES = {
    "top-level key": lambda raw: raw.update({NEWLINE: 1}),
    "model key": lambda raw: raw["model"].update({NEWLINE: 1}),
    "input key": lambda raw: raw["model"]["input"].update({NEWLINE: 1}),
    "node key": lambda raw: raw["model"]["nodes"][0].update({NEWLINE: 1}),
    "param name": lambda raw: raw["model"]["nodes"][0]["params"].update({NEWLINE: 1}),
    "node id": lambda raw: raw["model"]["nodes"][1].update({"id": NEWLINE}),
    "layer type": lambda raw: raw["model"]["nodes"][1].update({"type": NEWLINE}),
    "reference": lambda raw: raw["model"]["nodes"][2].update({"inputs": [NEWLINE]}),
    "output": lambda raw: raw["model"].update({"output": NEWLINE}),
    "dataset": lambda raw: raw["data"].update({"dataset": NEWLINE}),
    "data field": lambda raw: raw["data"].update({NEWLINE: 1}),
    "training field": lambda raw: raw["training"].update({NEWLINE: 1}),
    "training choice": lambda raw: raw["training"].update({"loss": NEWLINE}),
    "expect bound": lambda raw: raw["expect"].update({NEWLINE: 1}),
    "family": lambda raw: raw.update({"family": NEWLINE}),
    "format": lambda raw: raw.update({"format": NEWLINE}),
}


@pytest.mark.parametrize("place", list(TEXT_PLACES))
def test_every_problem_is_one_line_even_when_a_name_has_a_newline(place):
    raw = copy.deepcopy(FULL)
    TEXT_PLACES[place](raw)
    lines = assert_spec_error(lambda: load_experiment(raw))
    assert all("\n" not in line for line in lines), lines


def test_json_with_a_huge_integer_literal_is_a_file_problem(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(MLP).replace('"out_features": 1', '"out_features": ' + "9" * 5000))
    lines = assert_spec_error(lambda: load_experiment(path))
    assert lines and lines[0].startswith(("file: ", "node 'out'")), lines


# --- the command line --------------------------------------------------------------------------------

MLP_TEXT = json.dumps(MLP)
CLI_CASES = {
    "truncated": MLP_TEXT[:-7],
    "not an object": "[1, 2, 3]",
    "several problems": MLP_TEXT.replace('"Tanh"', '"Tanhh"')
    .replace('"inputs": ["a1"]', '"inputs": ["out"]')
    .replace('"out_features": 1}', '"out_features": -1}'),
    "huge param": MLP_TEXT.replace('"out_features": 1}', '"out_features": 1' + "0" * 400 + "}"),
    "dataset list": json.dumps({**MLP, "data": {"dataset": ["circle"]}}),
}


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """`engine summary` on every case, in this process (tests/engine/test_cli.py runs the command
    in processes of its own; here a process each would spend seconds importing torch)."""
    from engine.cli import main

    folder = tmp_path_factory.mktemp("cli")
    results = {}
    for i, (label, content) in enumerate(CLI_CASES.items()):
        path = folder / f"case{i}.json"
        path.write_text(content)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["summary", str(path)])
        results[label] = subprocess.CompletedProcess(["summary", str(path)], code, out.getvalue(), err.getvalue())
    return results


@pytest.mark.parametrize("label", list(CLI_CASES))
def test_cli_summary_of_a_corrupted_file_exits_2_without_traceback(cli_results, label):
    result = cli_results[label]
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines
    if label == "several problems":  # all of them, one line each
        assert len(lines) >= 3, lines
