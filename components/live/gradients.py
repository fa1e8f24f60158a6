"""How strongly each layer is learning: the size (L2 norm) of its latest weight gradient, in
the model's order from input to output, on a log scale. Vanishing gradients show as bars that
shrink toward the input; exploding ones as bars that grow."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from components.charts import POSITIVE

CAPTION = ("Gradient size per layer, input side first (log scale): layers whose bars are far lower "
           "barely learn; bars shrinking toward the input are vanishing gradients")


def figure(visuals: dict) -> go.Figure | None:
    stats = visuals.get("layers") or {}
    norms = [(node, s["grad_norm"]) for node, s in stats.items() if s.get("grad_norm") is not None]
    norms = [(node, g) for node, g in norms if math.isfinite(g) and g > 0]  # a log axis shows no zeros
    if len(norms) < 2:
        return None
    nodes, values = zip(*norms, strict=True)
    bars = go.Bar(x=list(nodes), y=list(values), marker={"color": POSITIVE},
                  hovertemplate="%{x}: gradient norm %{y:.3g}<extra></extra>")
    return go.Figure(bars).update_layout(height=220, yaxis={"type": "log", "title": "gradient norm"},
                                         xaxis={"title": "layer", "type": "category"})
