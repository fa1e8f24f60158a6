"""Attention: self-attention, the Transformer encoder layer, and positional encodings."""

from torch import nn

from engine import modules
from engine.params import Bool, Choice, Float, Int
from engine.registry import Call, LayerType, ShapeError, fmt, register, zero_macs

# max_len's upper end: far longer than any dataset's sequences (512 steps at most), so only a
# hostile link reaches it, and it gets the node's problem instead of a table nobody can allocate.
MAX_POSITIONS = 100_000


def divisors(n: int) -> str:
    found = [d for d in range(1, min(n, 16) + 1) if n % d == 0]
    return ", ".join(str(d) for d in found)


def sequence_shape(name, heads_param=None):
    def rule(ins, p):
        shape = ins[0]
        if len(shape) != 2:
            raise ShapeError(
                f"{name} needs a sequence [time, width], got {fmt(shape)}; "
                "add an Embedding (token ids) or a Reshape to [time, width] first"
            )
        if heads_param and shape[1] % p[heads_param]:
            raise ShapeError(
                f"{heads_param} {p[heads_param]} does not divide the width {shape[1]}; use one of {divisors(shape[1])}"
            )
        return shape

    return rule


def attention_macs(steps: int, width: int) -> int:
    projections = 4 * steps * width * width  # queries, keys, values and output
    return projections + 2 * steps * steps * width  # scores and weighted sum


def encoder_feedforward(p, width: int) -> int:
    return p["dim_feedforward"] or 4 * width


def encoder_macs(ins, out, p):
    steps, width = ins[0]
    feedforward = 2 * steps * width * encoder_feedforward(p, width)
    return attention_macs(steps, width) + feedforward + 2 * steps * width


def encoder_module(ins, p):
    width = ins[0][1]
    return Call(
        nn.TransformerEncoderLayer,
        {
            "d_model": width,
            "nhead": p["nhead"],
            "dim_feedforward": encoder_feedforward(p, width),
            "dropout": p["dropout"],
            "activation": p["activation"],
            "batch_first": True,
            "norm_first": p["norm_first"],
        },
    )


def positional_shape(ins, p):
    shape = sequence_shape("PositionalEncoding")(ins, p)
    if shape[0] > p["max_len"]:
        raise ShapeError(f"the sequence has {shape[0]} steps but max_len is {p['max_len']}; raise max_len")
    return shape


def positional_module(ins, p):
    steps, width = ins[0]
    # The fixed table is a buffer, which no parameter count sees; forward reads only its first
    # `steps` rows, so it is built that long: no larger than this node's output for one sample,
    # which the activation limit bounds (4 GiB for a batch of 32: 128 MiB). Built max_len rows long
    # it was bounded by nothing (the default 512 rows of a 500,000-wide sequence: 1 GB). A learned
    # table is parameters, counted as such.
    rows = p["max_len"] if p["kind"] == "learned" else steps
    return Call(modules.PositionalEncoding, {"embed_dim": width, "max_len": rows, "kind": p["kind"]})


register(
    LayerType(
        name="MultiheadSelfAttention",
        group="attention",
        explain="Each position looks at every other and takes a weighted mix of them; several heads look for different things.",
        params={
            "num_heads": Int(help="parallel attention heads; must divide the width", example=2),
            "dropout": Float(default=0.0, low=0.0, high=1.0, high_open=True, help="dropout on attention weights"),
        },
        shape=sequence_shape("MultiheadSelfAttention", "num_heads"),
        module=lambda ins, p: Call(modules.SelfAttention, {"embed_dim": ins[0][1], **p}),
        macs=lambda ins, out, p: attention_macs(*ins[0]),
    ),
    LayerType(
        name="TransformerEncoderLayer",
        group="attention",
        explain="Self-attention then a small MLP, each with a residual connection and LayerNorm: one Transformer block.",
        params={
            "nhead": Int(help="attention heads; must divide the width", example=2),
            "dim_feedforward": Int(default=None, help="hidden size of the MLP (default: 4 x width)"),
            "dropout": Float(default=0.1, low=0.0, high=1.0, high_open=True, help="dropout rate"),
            "activation": Choice(default="relu", choices=("relu", "gelu"), help="MLP activation"),
            "norm_first": Bool(default=False, help="LayerNorm before each part (pre-norm) instead of after"),
        },
        shape=sequence_shape("TransformerEncoderLayer", "nhead"),
        module=encoder_module,
        macs=encoder_macs,
    ),
    LayerType(
        name="PositionalEncoding",
        group="attention",
        explain="Adds a position signal to each step so attention, which ignores order, can tell steps apart.",
        params={
            "kind": Choice(
                default="sinusoidal", choices=("sinusoidal", "learned"), help="fixed sinusoids or a learned table"
            ),
            "max_len": Int(default=512, high=MAX_POSITIONS, help="longest sequence it can encode"),
        },
        shape=positional_shape,
        module=positional_module,
        macs=zero_macs,
    ),
)
