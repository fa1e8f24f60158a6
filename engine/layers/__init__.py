"""Importing this package registers every layer type in `engine.registry.REGISTRY`."""

from engine.layers import (  # noqa: F401
    activations,
    attention,
    convolution,
    core,
    embedding,
    merge,
    normalization,
    pooling,
    recurrent,
    sequence,
)
