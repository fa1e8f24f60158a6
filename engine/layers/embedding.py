"""Embedding: turns token ids into learned vectors."""

from torch import nn

from engine.params import Int
from engine.registry import Call, LayerType, register, zero_macs

# num_embeddings' upper end: a vocabulary far past any dataset's (1,000 tokens at most), so a
# hostile size (10**19) is the node's problem, never a table to build or count.
MAX_EMBEDDINGS = 1_000_000

register(
    LayerType(
        name="Embedding",
        group="embedding",
        explain="Looks up a learned vector for each token id: [time] ids become [time, embedding_dim].",
        params={
            "num_embeddings": Int(
                high=MAX_EMBEDDINGS, help="how many distinct token ids (vocabulary size)", example=10
            ),
            "embedding_dim": Int(help="length of each token's vector", example=16),
        },
        shape=lambda ins, p: (*ins[0], p["embedding_dim"]),
        module=lambda ins, p: Call(nn.Embedding, dict(p)),
        macs=zero_macs,
        accepts=("long",),
    ),
)
