"""SequencePool: reduce a sequence to one vector."""

from engine import modules
from engine.params import Choice
from engine.registry import Call, LayerType, ShapeError, fmt, register, zero_macs


def pool_shape(ins, p):
    if len(ins[0]) != 2:
        raise ShapeError(f"SequencePool needs a sequence [time, width], got {fmt(ins[0])}")
    return (ins[0][1],)


register(
    LayerType(
        name="SequencePool",
        group="sequence",
        explain="Reduces a sequence [time, width] to one vector [width]: the mean, max, last or first step.",
        params={"mode": Choice(default="mean", choices=("mean", "max", "last", "first"), help="how to reduce")},
        shape=pool_shape,
        module=lambda ins, p: Call(modules.SequencePool, dict(p)),
        macs=zero_macs,
    ),
)
