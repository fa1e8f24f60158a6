"""Every registry entry, checked the same way: its parameters round-trip through JSON, its shape
rule agrees with a real forward pass, its parameter count with the built module, and it is
documented. The tests run over `REGISTRY`, so a new layer type gets all of them automatically.

A new type only needs attention here when its group's fitting input (`GROUP_INPUT`) does not fit
it: add it to `TYPE_INPUT`. A type without any fitting input fails loudly, it is never skipped.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import fx

from engine import analyze, build_model, load_experiment
from engine.params import REQUIRED, AnyInt, Bool, Choice, Float, Int, Padding, Param, ShapeList, Size
from engine.registry import GROUPS, REGISTRY, LayerType
from tests.conftest import ROOT, experiment

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")

NODE = "n"  # the id of the node under test
VOCAB = 10  # token ids for long inputs are drawn from range(VOCAB) unless an Embedding says otherwise

# A per-sample input each group's types accept with their defaults and example values.
GROUP_INPUT: dict[str, tuple[tuple[int, ...], str]] = {
    "core": ((6,), "float"),
    "activation": ((6,), "float"),
    "convolution": ((3, 8, 8), "float"),
    "pooling": ((3, 8, 8), "float"),
    "normalization": ((3, 8, 8), "float"),
    "recurrent": ((7, 4), "float"),
    "embedding": ((7,), "long"),
    "attention": ((7, 4), "float"),
    "sequence": ((7, 4), "float"),
    "merge": ((6,), "float"),
}
# Types their group's input does not fit.
TYPE_INPUT: dict[str, tuple[tuple[int, ...], str]] = {
    "Flatten": ((2, 3, 4), "float"),
    "Conv1d": ((3, 10), "float"),
    "MaxPool1d": ((3, 10), "float"),
    "AvgPool1d": ((3, 10), "float"),
    "BatchNorm1d": ((6,), "float"),
}
# What feeds a merge node: one branch per entry, each reading the model's input.
MERGE_BRANCHES = ("Identity", "Tanh")


@dataclass(frozen=True)
class Case:
    """One model around the type under test: parameters over the defaults, and optionally
    another input or other merge branches."""

    params: dict[str, Any] = field(default_factory=dict)
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    branches: tuple[str, ...] | None = None

    def label(self) -> str:
        parts = [f"{k}={v}" for k, v in self.params.items()]
        if self.shape:
            parts.append("x".join(map(str, self.shape)))
        if self.dtype:
            parts.append(self.dtype)
        if self.branches:
            parts.append("+".join(self.branches))
        return ",".join(parts).replace(" ", "") or "defaults"


# Further cases for the branches of shape rules (strides, padding, lists, dims, directions...).
VARIANTS: dict[str, list[Case]] = {
    "Linear": [Case({"out_features": 5, "bias": False}), Case(shape=(4, 6))],
    "Reshape": [
        Case({"shape": [2, -1]}),
        Case({"shape": [3, 2]}),
        Case({"shape": [-1, 2]}, shape=(2, 3), dtype="long"),
    ],
    "Flatten": [Case(shape=(5,), dtype="long")],
    "Identity": [Case(shape=(2, 3), dtype="long")],
    "Dropout": [Case({"p": 0.0}, shape=(2, 3))],
    "Softmax": [Case({"dim": 0}, shape=(3, 4)), Case({"dim": -2}, shape=(3, 4)), Case({"dim": 1}, shape=(2, 3, 4))],
    "LeakyReLU": [Case({"negative_slope": 0.2}, shape=(2, 3))],
    "ELU": [Case({"alpha": 0.5})],
    "Conv1d": [
        Case({"out_channels": 5, "kernel_size": 3, "stride": 2, "padding": 1}),
        Case({"out_channels": 2, "kernel_size": 4, "padding": "same", "bias": False}),
        Case({"out_channels": 2, "kernel_size": 10}),
    ],
    "Conv2d": [
        Case({"out_channels": 4, "kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 0]}, shape=(2, 9, 7)),
        Case({"out_channels": 4, "kernel_size": 5, "padding": "same"}, shape=(1, 4, 6)),
        Case({"out_channels": 1, "kernel_size": 3, "stride": 3, "bias": False}, shape=(3, 8, 5)),
    ],
    "MaxPool1d": [Case({"kernel_size": 3, "stride": 2}), Case({"kernel_size": 10})],
    "AvgPool1d": [Case({"kernel_size": 3, "stride": 1})],
    "MaxPool2d": [Case({"kernel_size": [2, 3]}, shape=(2, 9, 7)), Case({"kernel_size": 3, "stride": [1, 2]})],
    "AvgPool2d": [Case({"kernel_size": 3, "stride": 2}, shape=(2, 9, 7))],
    "GlobalAvgPool": [Case(shape=(3, 10)), Case(shape=(2, 3, 4, 5))],
    "BatchNorm1d": [Case(shape=(3, 10))],
    "LayerNorm": [Case(shape=(5, 6)), Case(shape=(6,))],
    "RNN": [
        Case({"hidden_size": 5, "nonlinearity": "relu", "return_sequences": True}),
        Case({"hidden_size": 3, "num_layers": 2, "bidirectional": True}),
    ],
    "LSTM": [
        Case({"hidden_size": 5, "num_layers": 2, "bidirectional": True}),
        Case({"hidden_size": 3, "bidirectional": True, "return_sequences": True}),
    ],
    "GRU": [
        Case({"hidden_size": 5, "num_layers": 3, "return_sequences": True}),
        Case({"hidden_size": 3, "bidirectional": True}, shape=(1, 2)),
    ],
    "Embedding": [Case({"num_embeddings": 4, "embedding_dim": 3}, shape=(2, 5))],
    "MultiheadSelfAttention": [Case({"num_heads": 4, "dropout": 0.2}), Case({"num_heads": 1}, shape=(1, 3))],
    "TransformerEncoderLayer": [
        Case({"nhead": 4, "dim_feedforward": 8, "activation": "gelu", "norm_first": True}),
        Case({"nhead": 1}, shape=(3, 5)),
    ],
    "PositionalEncoding": [Case({"kind": "learned", "max_len": 7}), Case(shape=(7, 5)), Case(shape=(2, 1))],
    "SequencePool": [Case({"mode": "max"}), Case({"mode": "last"}), Case({"mode": "first"})],
    "Add": [Case(branches=("Identity", "Tanh", "Sigmoid")), Case(shape=(2, 3, 4))],
    "Multiply": [Case(branches=("Identity", "Tanh", "Sigmoid"), shape=(4, 2))],
    "Concat": [
        Case({"dim": 0}, shape=(2, 6)),
        Case({"dim": -2}, shape=(2, 3, 4), branches=("Identity", "Tanh", "ReLU")),
        Case(shape=(5,), dtype="long", branches=("Identity", "Flatten")),
    ],
}


def cases(name: str) -> list[Case]:
    return [Case(), *VARIANTS.get(name, [])]


CASES = [pytest.param(name, case, id=f"{name}-{case.label()}") for name in REGISTRY for case in cases(name)]


def starting_params(layer: LayerType) -> dict[str, Any]:
    """Every parameter: the default, or the example value for a required one."""
    return {k: copy.deepcopy(p.example if p.required else p.default) for k, p in layer.params.items()}


def fitting_input(name: str, case: Case) -> tuple[tuple[int, ...], str]:
    layer = REGISTRY[name]
    if name in TYPE_INPUT:
        shape, dtype = TYPE_INPUT[name]
    elif layer.group in GROUP_INPUT:
        shape, dtype = GROUP_INPUT[layer.group]
    else:
        pytest.fail(
            f"layer type {name} (group {layer.group!r}) has no fitting input: add it to TYPE_INPUT "
            "(or its group to GROUP_INPUT) in tests/engine/test_registry.py"
        )
    return case.shape or shape, case.dtype or dtype


def model_around(name: str, case: Case, params: dict[str, Any] | None = None) -> dict:
    """An experiment whose output is one node of type `name` (fed by branches for a merge)."""
    layer = REGISTRY[name]
    shape, dtype = fitting_input(name, case)
    if params is None:
        params = {**starting_params(layer), **copy.deepcopy(case.params)}
    node = {"id": NODE, "type": name, "params": params}
    nodes = []
    if layer.max_inputs is None or layer.max_inputs > 1:
        branches = case.branches or MERGE_BRANCHES[: max(layer.min_inputs, 2)]
        for i, branch in enumerate(branches):
            nodes.append({"id": f"b{i}", "type": branch, "inputs": ["input"]})
        node["inputs"] = [b["id"] for b in nodes]
    return experiment([*nodes, node], shape=shape, dtype=dtype)


def fits(name: str, case: Case, analysis) -> None:
    assert analysis.ok, (
        f"{name}: the model around it is invalid, so its fitting input in tests/engine/test_registry.py "
        f"(TYPE_INPUT / VARIANTS) needs fixing:\n" + "\n".join(str(p) for p in analysis.problems)
    )


def sample_input(model: fx.GraphModule, raw: dict, batch: int) -> torch.Tensor:
    shape = (batch, *model.input_shape)
    if model.input_dtype == torch.long:
        vocab = min(
            [VOCAB] + [n["params"]["num_embeddings"] for n in raw["model"]["nodes"] if n["type"] == "Embedding"]
        )
        return torch.randint(0, vocab, shape)
    return torch.randn(shape)


class Recorder(fx.Interpreter):
    """Runs the compiled graph node by node, keeping every layer node's output (modules and the
    parameter-free layers compiled to plain function calls alike)."""

    def __init__(self, module: fx.GraphModule):
        super().__init__(module)
        self.outputs: dict[str, torch.Tensor] = {}

    def run_node(self, n):
        out = super().run_node(n)
        if "node_id" in n.meta:
            self.outputs[n.meta["node_id"]] = out
        return out


DTYPES = {"float": torch.float32, "long": torch.long}


def check_forward_shapes(analysis, model: fx.GraphModule, raw: dict, batches=((3, True), (1, False), (5, False))):
    """Every node's analysed shape and dtype equal the real tensors' for several batch sizes."""
    torch.manual_seed(0)
    nodes = {k: v for k, v in analysis.nodes.items() if k != "input"}
    for batch, training in batches:
        model.train(training)
        x = sample_input(model, raw, batch)
        recorder = Recorder(model)
        with torch.no_grad():
            result = recorder.run(x)
            direct = model(x)
        assert set(recorder.outputs) == set(nodes)
        for node_id, info in nodes.items():
            out = recorder.outputs[node_id]
            assert isinstance(out, torch.Tensor), f"{node_id} returned {type(out).__name__}"
            where = f"node {node_id!r} ({info.type}), batch {batch}, {'train' if training else 'eval'} mode"
            assert tuple(out.shape) == (batch, *info.output_shape), f"{where}: analysis says {info.output_shape}"
            assert out.dtype == DTYPES[info.dtype], f"{where}: analysis says {info.dtype}, got {out.dtype}"
        assert direct.shape == result.shape == (batch, *analysis.nodes[analysis.spec.output].output_shape)


def check_param_counts(analysis, model: fx.GraphModule) -> None:
    for node_id, info in analysis.nodes.items():
        if node_id == "input":
            continue
        built = sum(p.numel() for p in model.get_submodule(node_id).parameters())
        assert info.params == built, (
            f"node {node_id!r} ({info.type}): analysis counts {info.params}, module has {built}"
        )


# --- parameters round-trip through JSON -------------------------------------------------------


@pytest.mark.parametrize(("name", "case"), CASES)
def test_params_round_trip_through_json(name, case):
    layer = REGISTRY[name]
    raw = model_around(name, case)
    expected = dict(raw["model"]["nodes"][-1]["params"])
    exp = load_experiment(json.loads(json.dumps(raw)))
    assert exp.model.node(NODE).params == expected
    assert list(exp.model.node(NODE).params) == list(layer.params)  # schema order, every default written

    normalized = exp.to_dict()
    text = json.dumps(normalized)
    again = load_experiment(json.loads(text))
    assert again.to_dict() == normalized
    assert again.model == exp.model

    # Leaving the defaults out gives the same normalized node.
    minimal = copy.deepcopy(raw)
    given_params = {k: v for k, v in expected.items() if layer.params[k].required or k in case.params}
    minimal["model"]["nodes"][-1]["params"] = given_params
    assert load_experiment(minimal).model.node(NODE) == exp.model.node(NODE)

    model = build_model(again.model, seed=0)
    assert isinstance(model.get_submodule(NODE), exp.analysis.nodes[NODE].call.ctor)


# --- shape rules against real tensors, parameter counts against real modules ---------------------


@pytest.mark.parametrize(("name", "case"), CASES)
def test_shape_rule_matches_a_real_forward_pass(name, case):
    raw = model_around(name, case)
    analysis = analyze(raw["model"])
    fits(name, case, analysis)
    check_forward_shapes(analysis, build_model(analysis, seed=0), raw)


@pytest.mark.parametrize(("name", "case"), CASES)
def test_param_counts_match_built_modules(name, case):
    raw = model_around(name, case)
    analysis = analyze(raw["model"])
    fits(name, case, analysis)
    check_param_counts(analysis, build_model(analysis, seed=0))


# --- random parameters: rejected with a clean problem, or shapes and counts agree with torch -----


def value_strategy(pname: str, param: Param) -> st.SearchStrategy:
    """Schema-valid values, kept small so models stay cheap."""
    if isinstance(param, Bool):
        base = st.booleans()
    elif isinstance(param, Choice):
        base = st.sampled_from(param.choices)
    elif isinstance(param, Int):
        base = st.integers(param.low, min(param.high or param.low + 7, param.low + 7))
    elif isinstance(param, Float):
        high = min(param.high, param.low + 5.0)
        base = st.floats(
            param.low, high, exclude_min=param.low_open, exclude_max=param.high_open and high == param.high
        )
    elif isinstance(param, AnyInt):
        base = st.integers(-4, 3)
    elif isinstance(param, Size):
        one = st.integers(1, 4)
        base = st.one_of(one, st.lists(one, min_size=param.dims, max_size=param.dims)) if param.dims > 1 else one
    elif isinstance(param, Padding):
        one = st.integers(0, 2)
        lists = st.lists(one, min_size=param.dims, max_size=param.dims)
        base = st.one_of(one, st.just("same"), *([lists] if param.dims > 1 else []))
    elif isinstance(param, ShapeList):
        base = st.lists(st.integers(1, 4), min_size=1, max_size=3).flatmap(
            lambda sizes: st.integers(-1, len(sizes) - 1).map(
                lambda i: [-1 if j == i else s for j, s in enumerate(sizes)]
            )
        )
    else:
        pytest.fail(f"no value strategy for {pname}: {type(param).__name__}; add one in tests/engine/test_registry.py")
    return st.one_of(st.none(), base) if param.default is None else base


@pytest.mark.parametrize("name", list(REGISTRY))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_params_are_rejected_cleanly_or_match_torch(name, data):
    layer = REGISTRY[name]
    base_shape, dtype = fitting_input(name, Case())
    shape = tuple(data.draw(st.integers(1, 8), label=f"dim {i}") for i in range(len(base_shape)))
    params = {k: data.draw(value_strategy(k, p), label=k) for k, p in layer.params.items()}
    raw = model_around(name, Case(shape=shape, dtype=dtype), params=params)
    analysis = analyze(raw["model"])  # never raises
    if not analysis.ok:
        # Every value is schema-valid, so the only acceptable problems are the node's shape rule.
        assert [(p.node, p.field) for p in analysis.problems] == [(NODE, None)], [str(p) for p in analysis.problems]
        return
    model = build_model(analysis, seed=0)
    check_forward_shapes(analysis, model, raw, batches=((2, True), (1, False)))
    check_param_counts(analysis, model)


# Integer parameters that may be negative are dimension indices (Softmax.dim, Concat.dim, ...).
DIM_PARAMS = [
    pytest.param(name, pname, id=f"{name}.{pname}")
    for name, layer in REGISTRY.items()
    for pname, param in layer.params.items()
    if isinstance(param, AnyInt)
]


@pytest.mark.parametrize(("name", "pname"), DIM_PARAMS)
@pytest.mark.parametrize("beyond", [0, 1, 4])
def test_dimensions_out_of_range_are_shape_problems(name, pname, beyond):
    layer = REGISTRY[name]
    rank = len(fitting_input(name, Case())[0])
    for dim in (rank + beyond, -rank - 1 - beyond):
        raw = model_around(name, Case(), params={**starting_params(layer), pname: dim})
        analysis = analyze(raw["model"])  # never raises
        assert [(p.node, p.field) for p in analysis.problems] == [(NODE, None)], (dim, analysis.problems)
        assert "out of range" in analysis.problems[0].message


# --- coverage and documentation -----------------------------------------------------------------


# CONTRACT.md's layer table: type -> the parameters it names, with their defaults (REQUIRED when
# the user must give one; None where the default is computed, such as stride = kernel_size).
# The contract lives outside the repository; the last test checks this copy against it when it is
# at hand.
CONV = {"out_channels": REQUIRED, "kernel_size": REQUIRED, "stride": 1, "padding": 0, "bias": True}
POOL = {"kernel_size": REQUIRED, "stride": None}
RECURRENT = {"hidden_size": REQUIRED, "num_layers": 1, "bidirectional": False, "return_sequences": False}
CONTRACT_LAYERS: dict[str, dict[str, dict[str, Any]]] = {
    "core": {
        "Linear": {"out_features": REQUIRED, "bias": True},
        "Flatten": {},
        "Reshape": {"shape": REQUIRED},
        "Dropout": {"p": 0.5},
        "Identity": {},
    },
    "activation": {
        "ReLU": {},
        "LeakyReLU": {"negative_slope": 0.01},
        "Sigmoid": {},
        "Tanh": {},
        "Softmax": {"dim": -1},
        "GELU": {},
        "ELU": {"alpha": 1.0},
        "SiLU": {},
    },
    "convolution": {"Conv1d": CONV, "Conv2d": CONV},
    "pooling": {"MaxPool1d": POOL, "MaxPool2d": POOL, "AvgPool1d": POOL, "AvgPool2d": POOL, "GlobalAvgPool": {}},
    "normalization": {"BatchNorm1d": {}, "BatchNorm2d": {}, "LayerNorm": {}},
    "recurrent": {"RNN": {**RECURRENT, "nonlinearity": "tanh"}, "LSTM": RECURRENT, "GRU": RECURRENT},
    "embedding": {"Embedding": {"num_embeddings": REQUIRED, "embedding_dim": REQUIRED}},
    "attention": {
        "MultiheadSelfAttention": {"num_heads": REQUIRED, "dropout": 0.0},
        "TransformerEncoderLayer": {
            "nhead": REQUIRED,
            "dim_feedforward": None,
            "dropout": 0.1,
            "activation": "relu",
            "norm_first": False,
        },
        "PositionalEncoding": {"kind": "sinusoidal", "max_len": 512},
    },
    "sequence": {"SequencePool": {"mode": "mean"}},
    "merge": {"Add": {}, "Multiply": {}, "Concat": {"dim": -1}},
}


@pytest.mark.parametrize("group", list(CONTRACT_LAYERS))
def test_every_contract_layer_type_is_registered_with_its_parameters(group):
    for name, params in CONTRACT_LAYERS[group].items():
        assert name in REGISTRY, f"CONTRACT.md names {name}, the registry lacks it"
        layer = REGISTRY[name]
        assert layer.group == group, f"{name}: contract group {group}, registry {layer.group}"
        for pname, default in params.items():
            assert pname in layer.params, f"{name}: contract parameter '{pname}' is missing"
            assert layer.params[pname].default == default, f"{name}.{pname}: contract default is {default!r}"


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_entry_is_explained_grouped_and_has_a_sane_schema(name):
    layer = REGISTRY[name]
    assert layer.name == name
    assert layer.group in GROUPS
    assert layer.explain.strip() and "\n" not in layer.explain, "explain is one non-empty line"
    assert layer.min_inputs >= 1 and (layer.max_inputs is None or layer.max_inputs >= layer.min_inputs)
    assert layer.accepts and set(layer.accepts) <= {"float", "long"}
    for pname, param in layer.params.items():
        where = f"{name}.{pname}"
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", pname), f"{where}: parameter names are PyTorch-style"
        assert param.help.strip(), f"{where}: a help text is needed for the page"
        assert param.describe().strip()
        if param.required:
            assert param.check(copy.deepcopy(param.example)) == param.example, f"{where}: example out of range"
        elif param.default is not None:
            value = param.default
            assert param.check(copy.deepcopy(value)) == value, f"{where}: default {value!r} is outside its range"
            assert json.loads(json.dumps(value)) == value, f"{where}: default is not plain JSON"
            if isinstance(value, float):
                assert math.isfinite(value)


def contract_path() -> Path | None:
    for path in (ROOT / "CONTRACT.md", ROOT / "docs" / "CONTRACT.md", ROOT.parent / "shared" / "CONTRACT.md"):
        if path.exists():
            return path
    return None


def contract_table(text: str) -> dict[str, list[str]]:
    """group -> type names, read from the contract's 'Layer types' table."""
    table = text.split("Layer types", 1)[1]
    groups: dict[str, list[str]] = {}
    for line in table.splitlines()[1:]:
        if not line.startswith("|"):
            if groups:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == "group" or set(cells[0]) <= {"-"}:
            continue
        groups.setdefault(cells[0], []).extend(re.findall(r"`([A-Z]\w*)`", cells[1]))
    return groups


def test_the_copy_of_the_contract_table_is_current():
    path = contract_path()
    if path is None:
        pytest.skip("CONTRACT.md is not at hand (it lives next to the repository)")
    table = contract_table(path.read_text())
    assert sum(map(len, table.values())) >= 30, f"could not read the layer table of {path}: {table}"
    assert {g: sorted(names) for g, names in table.items()} == {
        g: sorted(types) for g, types in CONTRACT_LAYERS.items()
    }
