"""How strongly each layer is learning: the size (L2 norm) of its latest weight gradient, in
the model's order from input to output, on a log scale. Vanishing gradients show as bars that
shrink toward the input; exploding ones as bars that grow."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from components.charts import CHAR_PX, POSITIVE, fixed_margins

CAPTION = ("Gradient size per layer, input side first (log scale): layers whose bars are far lower "
           "barely learn; bars shrinking toward the input are vanishing gradients")


def log_axis(values) -> dict:
    """A log axis with a labelled tick at every `dtick` decades, at least two of them inside its
    range: plotly's own ticks leave a range under a decade with no label. The range reaches a
    tenth of a decade past the outer ticks, so the shortest bar still shows."""
    first = math.floor(math.log10(min(values)))
    decades = max(1, math.ceil(math.log10(max(values))) - first)
    dtick = math.ceil(decades / 5)  # five or six labels, however many decades
    last = first + dtick * math.ceil(decades / dtick)
    return {"type": "log", "range": [first - 0.1, last + 0.1], "tickmode": "linear", "tick0": first,
            "dtick": dtick, "exponentformat": "power", "showexponent": "all"}


def figure(visuals: dict) -> go.Figure | None:
    stats = visuals.get("layers") or {}
    norms = [(node, s["grad_norm"]) for node, s in stats.items() if s.get("grad_norm") is not None]
    norms = [(node, g) for node, g in norms if math.isfinite(g) and g > 0]  # a log axis shows no zeros
    if len(norms) < 2:
        return None
    nodes, values = zip(*norms, strict=True)
    bars = go.Bar(x=list(nodes), y=list(values), marker={"color": POSITIVE},
                  hovertemplate="%{x}: gradient norm %{y:.3g}<extra></extra>")
    # many or long layer names slant (with the room that takes) rather than overlap
    slanted = sum(len(node) + 2 for node in nodes) > 48
    below = 45 + (CHAR_PX * max(map(len, nodes)) * 3 // 4 if slanted else 0)
    # room for labels such as 10⁻¹² and the title beside them; `figures.fixed` keeps wider margins
    margin = {**fixed_margins(), "l": 65, "b": below}
    return go.Figure(bars).update_layout(height=220 + below - 45, margin=margin,
                                         yaxis={**log_axis(values), "title": "gradient norm"},
                                         xaxis={"title": "layer", "type": "category", "tickangle": -45 if slanted else 0})
