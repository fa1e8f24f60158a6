"""Embedding: turns token ids into learned vectors."""

from torch import nn

from engine.params import Int
from engine.registry import Call, LayerType, register, zero_macs

register(
    LayerType(
        name="Embedding",
        group="embedding",
        explain="Looks up a learned vector for each token id: [time] ids become [time, embedding_dim].",
        params={
            "num_embeddings": Int(help="how many distinct token ids (vocabulary size)", example=10),
            "embedding_dim": Int(help="length of each token's vector", example=16),
        },
        shape=lambda ins, p: (*ins[0], p["embedding_dim"]),
        module=lambda ins, p: Call(nn.Embedding, dict(p)),
        macs=zero_macs,
        accepts=("long",),
    ),
)
