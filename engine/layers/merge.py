"""Merge layers: join two or more branches (residual Add, gating Multiply, Concat)."""

from engine import modules
from engine.params import AnyInt
from engine.registry import Call, LayerType, ShapeError, batch_dim, fmt, numel, register, zero_macs

MOST_MERGED = 64  # inputs of one merge: a link could otherwise list one node 100,000 times


def elementwise_macs(ins, out, p) -> int:
    """Adding or multiplying n inputs: n - 1 operations per output element (counted, so that a
    merge of many inputs is weighed against the server's limits like any other work)."""
    return numel(out) * (len(ins) - 1)


def equal_shapes(name):
    def rule(ins, p):
        first = ins[0]
        for i, shape in enumerate(ins[1:], start=2):
            if shape != first:
                raise ShapeError(
                    f"{name} needs inputs of equal shape, but input 1 is {fmt(first)} and input {i} "
                    f"is {fmt(shape)}; make their sizes match (e.g. a Linear to {first[-1]} features)"
                )
        return first

    return rule


def concat_shape(ins, p):
    rank = len(ins[0])
    if any(len(s) != rank for s in ins):
        ranks = ", ".join(fmt(s) for s in ins)
        raise ShapeError(f"Concat needs inputs of the same rank, got {ranks}")
    batch_dim(p["dim"], rank)  # checks the range, negative dims included
    axis = p["dim"] if p["dim"] >= 0 else rank + p["dim"]
    for i, shape in enumerate(ins[1:], start=2):
        if any(a != b for d, (a, b) in enumerate(zip(ins[0], shape, strict=True)) if d != axis):
            raise ShapeError(
                f"Concat along dim {p['dim']} needs the other sizes equal, but input 1 is "
                f"{fmt(ins[0])} and input {i} is {fmt(shape)}"
            )
    out = list(ins[0])
    out[axis] = sum(s[axis] for s in ins)
    return tuple(out)


def merge(name, explain, ctor, shape, params=None, accepts=("float",), macs=zero_macs):
    return LayerType(
        name=name,
        group="merge",
        explain=explain,
        params=params or {},
        shape=shape,
        module=ctor,
        macs=macs,
        min_inputs=2,
        max_inputs=MOST_MERGED,
        accepts=accepts,
    )


register(
    merge(
        "Add",
        "Adds its inputs elementwise; with a skip connection this makes a residual block.",
        lambda ins, p: Call(modules.Add),
        equal_shapes("Add"),
        macs=elementwise_macs,
    ),
    merge(
        "Multiply",
        "Multiplies its inputs elementwise, e.g. to let one branch gate another.",
        lambda ins, p: Call(modules.Multiply),
        equal_shapes("Multiply"),
        macs=elementwise_macs,
    ),
    LayerType(
        name="Sample",
        group="merge",
        explain="A variational autoencoder's random code: takes a mean and a log-variance (two branches of equal "
                "size) and draws mean + e^(log_var/2)·noise while training, the mean otherwise; the loss adds "
                "the KL term that keeps the codes near N(0, 1) (weight: training.kl_weight).",
        params={},
        shape=equal_shapes("Sample"),
        module=lambda ins, p: Call(modules.Sample),
        macs=zero_macs,
        min_inputs=2,
        max_inputs=2,
    ),
    merge(
        "Concat",
        "Joins its inputs end to end along one dimension, keeping all their features.",
        lambda ins, p: Call(modules.Concat, {"dim": batch_dim(p["dim"], len(ins[0]))}),
        concat_shape,
        {"dim": AnyInt(default=-1, help="per-sample dimension to join along")},
        accepts=("float", "long"),
    ),
)
