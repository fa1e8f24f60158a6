"""Core layers: Linear, Flatten, Reshape, Dropout, Identity."""

from torch import nn

from engine import modules
from engine.params import Bool, Float, Int, ShapeList
from engine.registry import Call, LayerType, ShapeError, fmt, numel, register, zero_macs


def linear_shape(ins, p):
    return (*ins[0][:-1], p["out_features"])


def linear_macs(ins, out, p):
    return numel(ins[0]) * p["out_features"]


def flatten_shape(ins, p):
    return (numel(ins[0]),)


def reshape_shape(ins, p):
    total = numel(ins[0])
    target = list(p["shape"])
    known = numel(tuple(s for s in target if s != -1))
    if -1 in target:
        if total % known:
            raise ShapeError(
                f"cannot reshape {fmt(ins[0])} ({total} values) to {target}: {total} is not divisible by {known}"
            )
        target[target.index(-1)] = total // known
    elif known != total:
        raise ShapeError(
            f"cannot reshape {fmt(ins[0])} ({total} values) to {target} ({known} values); "
            "use a shape with the same number of values, or -1 for one size"
        )
    return tuple(target)


def same_shape(ins, p):
    return ins[0]


register(
    LayerType(
        name="Linear",
        group="core",
        explain="Every output is a weighted sum of all inputs plus a bias: a fully connected layer.",
        params={
            "out_features": Int(help="number of outputs (neurons)", example=8),
            "bias": Bool(default=True, help="learn an offset per output"),
        },
        shape=linear_shape,
        module=lambda ins, p: Call(nn.Linear, {"in_features": ins[0][-1], **p}),
        macs=linear_macs,
    ),
    LayerType(
        name="Flatten",
        group="core",
        explain="Lays each sample out as one long vector, e.g. an image [1, 8, 8] becomes [64].",
        params={},
        shape=flatten_shape,
        module=lambda ins, p: Call(nn.Flatten),
        macs=zero_macs,
        accepts=("float", "long"),
    ),
    LayerType(
        name="Reshape",
        group="core",
        explain="Rearranges each sample's values into a new shape; -1 stands for 'whatever is left'.",
        params={"shape": ShapeList(help="new per-sample shape, one -1 allowed", example=[-1])},
        shape=reshape_shape,
        module=lambda ins, p: Call(modules.Reshape, {"shape": list(p["shape"])}),
        macs=zero_macs,
        accepts=("float", "long"),
    ),
    LayerType(
        name="Dropout",
        group="core",
        explain="While training, zeroes each value with probability p so the net cannot rely on any one.",
        params={"p": Float(default=0.5, low=0.0, high=1.0, high_open=True, help="probability of dropping a value")},
        shape=same_shape,
        module=lambda ins, p: Call(nn.Dropout, {"p": p["p"]}),
        macs=zero_macs,
    ),
    LayerType(
        name="Identity",
        group="core",
        explain="Passes its input through unchanged; handy as a named junction in a graph.",
        params={},
        shape=same_shape,
        module=lambda ins, p: Call(nn.Identity),
        macs=zero_macs,
        accepts=("float", "long"),
    ),
)
