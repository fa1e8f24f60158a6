"""Recurrent layers: RNN, LSTM and GRU read a sequence step by step, carrying a hidden state."""

from engine import modules
from engine.params import Bool, Choice, Int
from engine.registry import Call, LayerType, ShapeError, fmt, register

GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def recurrent_shape(name):
    def rule(ins, p):
        if len(ins[0]) != 2:
            raise ShapeError(
                f"{name} needs a sequence [time, features], got {fmt(ins[0])}; "
                "add an Embedding for token ids, or a Reshape to [time, features]"
            )
        width = p["hidden_size"] * (2 if p["bidirectional"] else 1)
        return (ins[0][0], width) if p["return_sequences"] else (width,)

    return rule


def recurrent_macs(name):
    def rule(ins, out, p):
        steps, features = ins[0]
        hidden, directions = p["hidden_size"], 2 if p["bidirectional"] else 1
        total = 0
        for layer in range(p["num_layers"]):
            width_in = features if layer == 0 else hidden * directions
            total += GATES[name] * (width_in * hidden + hidden * hidden) * directions
        return total * steps

    return rule


def recurrent(name, explain, extra=None):
    params = {
        "hidden_size": Int(help="size of the hidden state", example=16),
        "num_layers": Int(default=1, high=16, help="recurrent layers stacked on each other"),
        "bidirectional": Bool(default=False, help="also read the sequence backwards"),
        "return_sequences": Bool(default=False, help="output every step instead of the final state"),
        **(extra or {}),
    }
    return LayerType(
        name=name,
        group="recurrent",
        explain=explain,
        params=params,
        shape=recurrent_shape(name),
        module=lambda ins, p: Call(modules.Recurrent, {"kind": name, "input_size": ins[0][1], **p}),
        macs=recurrent_macs(name),
    )


register(
    recurrent(
        "RNN",
        "Reads a sequence one step at a time, mixing each input into a running memory (hidden state).",
        {"nonlinearity": Choice(default="tanh", choices=("tanh", "relu"), help="activation of the state")},
    ),
    recurrent("LSTM", "An RNN with gates that decide what to keep, forget and output, so it remembers far back."),
    recurrent("GRU", "A lighter LSTM with two gates; often as good with fewer parameters."),
)
