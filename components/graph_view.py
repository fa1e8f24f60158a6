"""The model as a diagram: layered left to right, one box per node coloured by family, labelled
with its id, type and output shape; nodes with problems in red with the message beside them. The
live view draws it for models without a neuron picture where the graph editor is not shown (the
presenting view); the gallery and the live node pictures use its layers and colours."""

from __future__ import annotations

import networkx as nx
import plotly.graph_objects as go

from engine import Analysis
from engine.registry import REGISTRY, fmt
from engine.spec import INPUT_ID

FAMILY_COLOURS = {
    "input": "#4a4a4a", "core": "#4C78A8", "activation": "#F58518", "convolution": "#54A24B",
    "pooling": "#B279A2", "normalization": "#9D755D", "recurrent": "#E45756", "embedding": "#72B7B2",
    "attention": "#B8860B", "sequence": "#FF9DA6", "merge": "#7F7F7F",
}
PROBLEM = "#D62728"


def layout(graph: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """Columns by longest path from the input, rows in file order within a column."""
    acyclic = graph.copy()
    for cycle_nodes in [c for c in nx.strongly_connected_components(graph) if len(c) > 1]:
        acyclic.remove_edges_from([(a, b) for a, b in graph.edges if a in cycle_nodes and b in cycle_nodes])
    acyclic.remove_edges_from(nx.selfloop_edges(acyclic))
    column: dict[str, int] = {}
    for node in nx.lexicographical_topological_sort(acyclic, key=lambda n: graph.nodes[n]["order"]):
        column[node] = max((column[p] + 1 for p in acyclic.predecessors(node)), default=0)
    rows: dict[int, list[str]] = {}
    for node in sorted(column, key=lambda n: graph.nodes[n]["order"]):
        rows.setdefault(column[node], []).append(node)
    positions = {}
    for x, members in rows.items():
        for i, node in enumerate(members):
            positions[node] = (float(x), (len(members) - 1) / 2 - i)
    return positions


def figure(analysis: Analysis, selected: str | None) -> go.Figure:
    graph = analysis.graph
    positions = layout(graph)
    edge_x, edge_y = [], []
    for a, b in graph.edges:
        if a in positions and b in positions and a != b:
            edge_x += [positions[a][0], positions[b][0], None]
            edge_y += [positions[a][1], positions[b][1], None]
    fig = go.Figure(go.Scatter(x=edge_x, y=edge_y, mode="lines", line={"color": "#9a9a9a", "width": 1.5},
                               hoverinfo="skip", showlegend=False))
    ids, xs, ys, colours, labels, hovers, sizes, outlines = [], [], [], [], [], [], [], []
    for node, (x, y) in positions.items():
        info = analysis.nodes.get(node)
        kind = graph.nodes[node]["type"]
        family = "input" if node == INPUT_ID else (REGISTRY[kind].group if kind in REGISTRY else "core")
        problems = analysis.problems_of(node)
        shape = fmt(info.output_shape) if info else "?"
        ids.append(node)
        xs.append(x)
        ys.append(y)
        colours.append(PROBLEM if problems else FAMILY_COLOURS[family])
        labels.append(f"<b>{node}</b><br>{kind}<br>{shape}" + ("<br>⚠ " + _short(problems[0].message) if problems else ""))
        detail = f"params {info.params:,} · MACs {info.macs:,}" if info else "not computed"
        hovers.append(f"{node} ({kind})<br>output {shape}<br>{detail}" + "".join(f"<br>⚠ {p.message}" for p in problems))
        sizes.append(30 if node == selected else 22)
        outlines.append("#111111" if node == selected else "#ffffff")
    fig.add_trace(go.Scatter(
        x=xs, y=ys, mode="markers+text", customdata=ids, text=labels, textposition="bottom center",
        hovertext=hovers, hoverinfo="text", showlegend=False,
        marker={"size": sizes, "color": colours, "symbol": "square", "line": {"width": 2, "color": outlines}},
        textfont={"size": 11},
    ))
    width = max((p[0] for p in positions.values()), default=0)
    height = max((abs(p[1]) for p in positions.values()), default=0)
    fig.update_layout(
        height=int(220 + 90 * height), margin={"l": 10, "r": 10, "t": 10, "b": 10}, dragmode=False,
        xaxis={"visible": False, "range": [-0.6, width + 0.6]},
        yaxis={"visible": False, "range": [-height - 1.2, height + 0.6]},
        clickmode="event+select", plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig


def _short(message: str, limit: int = 48) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
