"""The model summary: a table like Keras' `model.summary()`, or the contract's JSON."""

from __future__ import annotations

from typing import Any

from engine.registry import fmt
from engine.shapes import FLOAT_BYTES, Analysis, human_bytes
from engine.spec import INPUT_ID


def summary_dict(analysis: Analysis) -> dict[str, Any]:
    """The contract's `summary --json` object: one entry per node in file order, then totals."""
    nodes = [
        {
            "id": info.id,
            "type": info.type,
            "output_shape": list(info.output_shape),
            "params": info.params,
            "macs": info.macs,
        }
        for node in analysis.spec.nodes
        if (info := analysis.nodes.get(node.id))
    ]
    return {"nodes": nodes, "total_params": analysis.total_params, "total_macs": analysis.total_macs}


def summary_table(analysis: Analysis, title: str = "") -> str:
    """A fixed-width table: node, type, inputs, output shape, parameters, multiply-adds, totals."""
    header = ("node", "type", "inputs", "output shape", "params", "MACs")
    rows = []
    for node_id in [INPUT_ID, *(n.id for n in analysis.spec.nodes)]:
        info = analysis.nodes[node_id]
        inputs = ", ".join(info.inputs) if info.inputs else "-"
        shape = fmt(info.output_shape) + (" long" if info.dtype == "long" else "")
        rows.append((info.id, info.type, inputs, shape, f"{info.params:,}", f"{info.macs:,}"))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {4, 5}

    def line(cells):
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "-" * len(line(header))
    params = analysis.total_params
    out = [f'Model: "{title}"'] if title else []
    out += [rule, line(header), rule, *(line(r) for r in rows), rule]
    out += [
        f"Total params: {params:,} ({human_bytes(params * FLOAT_BYTES)} as float32)",
        f"Total multiply-adds: {analysis.total_macs:,} per sample",
        f"Activations: {human_bytes(analysis.activation_bytes(32))} for a batch of 32 (forward pass, float32)",
    ]
    return "\n".join(out)
