"""Pooling: shrink feature maps by taking the max or mean of each window, or of everything."""

from torch import nn

from engine import modules
from engine.layers.spatial import check_rank, sliding_output
from engine.params import Size
from engine.registry import Call, LayerType, ShapeError, fmt, register, zero_macs


def pool_shape(name, dims):
    def rule(ins, p):
        check_rank(name, ins[0], dims)
        stride = p["stride"] if p["stride"] is not None else p["kernel_size"]
        return (ins[0][0], *sliding_output(ins[0], dims, p["kernel_size"], stride, 0))

    return rule


def pool_module(ctor):
    def rule(ins, p):
        kwargs = {"kernel_size": p["kernel_size"]}
        if p["stride"] is not None:
            kwargs["stride"] = p["stride"]
        return Call(ctor, kwargs)

    return rule


def pool(kind, dims, explain):
    name = f"{kind}Pool{dims}d"
    return LayerType(
        name=name,
        group="pooling",
        explain=explain,
        params={
            "kernel_size": Size(dims=dims, help="window size", example=2),
            "stride": Size(default=None, dims=dims, help="step between windows (default: kernel_size)"),
        },
        shape=pool_shape(name, dims),
        module=pool_module(getattr(nn, name)),
        macs=zero_macs,
    )


def global_avg_shape(ins, p):
    if len(ins[0]) < 2:
        raise ShapeError(f"GlobalAvgPool needs [channels, ...] with at least one more dimension, got {fmt(ins[0])}")
    return (ins[0][0],)


register(
    pool("Max", 1, "Keeps the largest value of each window along a sequence, shrinking it."),
    pool("Max", 2, "Keeps the largest value of each window of an image, shrinking it and adding tolerance to shifts."),
    pool("Avg", 1, "Averages each window along a sequence, shrinking it."),
    pool("Avg", 2, "Averages each window of an image, shrinking it smoothly."),
    LayerType(
        name="GlobalAvgPool",
        group="pooling",
        explain="Averages each channel over all positions: [C, H, W] becomes [C].",
        params={},
        shape=global_avg_shape,
        module=lambda ins, p: Call(modules.GlobalAvgPool),
        macs=zero_macs,
    ),
)
