"""Several runs' curves overlaid, one colour per run: loss (test solid, train dotted) and test
accuracy, on epochs or seconds. Shared by the Runs tab (recorded runs) and the race (live ones)."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.charts import CLASS_COLOURS, TEMPLATE, fixed_margins


def figure(series: list[tuple[str, str, list[dict]]], seconds: bool = False, height: int = 320) -> go.Figure:
    """`series`: (key, label, history) per run, each history a list of epochs' metrics."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss (solid: test, dotted: train)", "test accuracy"),
                        horizontal_spacing=0.1)
    for i, (key, name, history) in enumerate(series):
        x = [e.get("seconds") if seconds else e["epoch"] for e in history]
        colour = CLASS_COLOURS[i % len(CLASS_COLOURS)]
        fig.add_scatter(x=x, y=[e.get("test_loss") for e in history], name=name, legendgroup=key,
                        line={"color": colour}, row=1, col=1)
        fig.add_scatter(x=x, y=[e.get("train_loss") for e in history], name=name, legendgroup=key,
                        showlegend=False, line={"color": colour, "dash": "dot"}, row=1, col=1)
        if any(e.get("test_accuracy") is not None for e in history):
            fig.add_scatter(x=x, y=[e.get("test_accuracy") for e in history], name=name, legendgroup=key,
                            showlegend=False, line={"color": colour}, row=1, col=2)
    fig.update_xaxes(title_text="seconds (s)" if seconds else "epoch")
    fig.update_yaxes(title_text="loss", row=1, col=1)
    fig.update_yaxes(title_text="accuracy", tickformat=".0%", range=[0, 1.02], row=1, col=2)
    return fig.update_layout(template=TEMPLATE, height=height, margin=fixed_margins(),
                             legend={"orientation": "h", "y": -0.3})
