"""Normalization layers: rescale activations to zero mean and unit variance, then learn a scale."""

from torch import nn

from engine.registry import Call, LayerType, ShapeError, fmt, numel, register


def batchnorm_shape(ranks, layout):
    def rule(ins, p):
        if len(ins[0]) not in ranks:
            raise ShapeError(f"needs a {layout} input, got {fmt(ins[0])}")
        return ins[0]

    return rule


def affine_macs(ins, out, p):
    return numel(out)


register(
    LayerType(
        name="BatchNorm1d",
        group="normalization",
        explain="Normalizes each feature over the batch, which steadies and speeds up training.",
        params={},
        shape=batchnorm_shape((1, 2), "[features] or [channels, length]"),
        module=lambda ins, p: Call(nn.BatchNorm1d, {"num_features": ins[0][0]}),
        macs=affine_macs,
    ),
    LayerType(
        name="BatchNorm2d",
        group="normalization",
        explain="Normalizes each image channel over the batch and positions; standard after Conv2d.",
        params={},
        shape=batchnorm_shape((3,), "[channels, height, width]"),
        module=lambda ins, p: Call(nn.BatchNorm2d, {"num_features": ins[0][0]}),
        macs=affine_macs,
    ),
    LayerType(
        name="LayerNorm",
        group="normalization",
        explain="Normalizes each sample over its last dimension; independent of batch size (Transformers use it).",
        params={},
        shape=lambda ins, p: ins[0],
        module=lambda ins, p: Call(nn.LayerNorm, {"normalized_shape": ins[0][-1]}),
        macs=affine_macs,
    ),
)
