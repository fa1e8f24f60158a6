"""Convolutions over sequences (Conv1d) and images (Conv2d)."""

from torch import nn

from engine.layers.spatial import check_rank, per_dim, sliding_output
from engine.params import Bool, Int, Padding, Size
from engine.registry import Call, LayerType, numel, register


def conv_shape(dims):
    def rule(ins, p):
        check_rank(f"Conv{dims}d", ins[0], dims)
        sizes = sliding_output(ins[0], dims, p["kernel_size"], p["stride"], p["padding"])
        return (p["out_channels"], *sizes)

    return rule


def conv_macs(dims):
    def rule(ins, out, p):
        return numel(out) * ins[0][0] * numel(tuple(per_dim(p["kernel_size"], dims)))

    return rule


def conv(dims, explain):
    ctor = getattr(nn, f"Conv{dims}d")
    return LayerType(
        name=f"Conv{dims}d",
        group="convolution",
        explain=explain,
        params={
            "out_channels": Int(help="number of filters (output channels)", example=8),
            "kernel_size": Size(dims=dims, help="window size", example=3),
            "stride": Size(default=1, dims=dims, help="step between windows"),
            "padding": Padding(default=0, dims=dims, help='zeros added at the borders, or "same"'),
            "bias": Bool(default=True, help="learn an offset per filter"),
        },
        shape=conv_shape(dims),
        module=lambda ins, p: Call(ctor, {"in_channels": ins[0][0], **p}),
        macs=conv_macs(dims),
    )


register(
    conv(1, "Slides small learned filters along a sequence; each finds a local pattern anywhere in it."),
    conv(2, "Slides small learned filters over an image; each filter finds one local pattern (edge, blob) anywhere."),
)
