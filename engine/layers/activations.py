"""Activation functions: elementwise non-linearities (and Softmax over one dimension)."""

from torch import nn

from engine import modules
from engine.params import AnyInt, Float
from engine.registry import Call, LayerType, batch_dim, register, zero_macs


def same_shape(ins, p):
    return ins[0]


def softmax_shape(ins, p):
    batch_dim(p["dim"], len(ins[0]))
    return ins[0]


def activation(name, explain, params=None, shape=same_shape, ctor=None, kwargs=None):
    ctor = ctor or getattr(nn, name)
    return LayerType(
        name=name,
        group="activation",
        explain=explain,
        params=params or {},
        shape=shape,
        module=kwargs or (lambda ins, p: Call(ctor, dict(p))),
        macs=zero_macs,
    )


register(
    activation("ReLU", "max(0, x): passes positives, zeroes negatives. Fast and the usual default."),
    activation(
        "LeakyReLU",
        "Like ReLU but lets a small slope through for negatives, so no neuron goes fully silent.",
        {"negative_slope": Float(default=0.01, low=0.0, high=1.0, help="slope for negative inputs")},
    ),
    activation("Sigmoid", "Squashes any number into (0, 1); saturates (flat) for large |x|."),
    activation("Tanh", "Squashes any number into (-1, 1), centred on 0; saturates for large |x|."),
    activation(
        "Softmax",
        "Turns a vector of scores into probabilities that sum to 1 along one dimension.",
        {"dim": AnyInt(default=-1, help="per-sample dimension to normalize over")},
        shape=softmax_shape,
        kwargs=lambda ins, p: Call(nn.Softmax, {"dim": batch_dim(p["dim"], len(ins[0]))}),
    ),
    activation("GELU", "A smooth ReLU used in Transformers: x weighted by how likely it is positive."),
    activation(
        "ELU",
        "Like ReLU for positives, a smooth curve down to -alpha for negatives.",
        {"alpha": Float(default=1.0, low=0.0, low_open=True, help="value approached for very negative inputs")},
    ),
    activation("SiLU", "x * sigmoid(x) (also called swish): a smooth, slightly non-monotonic ReLU."),
    activation(
        "Step",
        "The perceptron's own: 1 for x > 0, else 0. Its slope is zero everywhere, so no gradient "
        "flows back through it and the layers before it cannot learn by backpropagation.",
        ctor=modules.Step,
    ),
    activation(
        "Softplus",
        "log(1 + e^x): a smooth ReLU that is never exactly flat, so every neuron keeps a gradient.",
        {"beta": Float(default=1.0, low=0.0, low_open=True, help="sharpness: larger is closer to ReLU"),
         "threshold": Float(default=20.0, low=0.0, low_open=True, help="above this beta·x it is x itself")},
    ),
    activation("Mish", "x * tanh(softplus(x)): a smooth, self-gated ReLU like SiLU, dipping a little below zero."),
)
