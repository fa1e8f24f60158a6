"""The model of an experiment as a readable `nn.Module` class: one attribute per node, named by
its id (so `state_dict` keys match `build_model`'s), created in the same order (so the same seed
gives the same weights), and a `forward` that follows the graph with shape comments."""

from __future__ import annotations

import inspect
import textwrap

from engine import modules
from engine.export.names import Namespace
from engine.registry import fmt
from engine.spec import INPUT_ID


def model_source(experiment, cut_final: bool) -> str:
    """The class `Model` (and the few NeuroLoom modules it uses, before it). With `cut_final`,
    `forward(x, logits=True)` stops before the final Sigmoid/Softmax, for a stable loss."""
    analysis, spec = experiment.analysis, experiment.model
    names = Namespace()
    local = {INPUT_ID: "x"}
    helpers: list[type] = []
    init, forward = [], [f"        # x: [batch, {', '.join(map(str, spec.input_shape))}]"]
    for node_id in analysis.order:
        if node_id == INPUT_ID:
            continue
        info = analysis.nodes[node_id]
        if info.call.ctor.__module__ == modules.__name__ and info.call.ctor not in helpers:
            helpers.append(info.call.ctor)
        init.append(f"        self.{node_id} = {info.call.source()}")
        args = ", ".join(local[i] for i in info.inputs)
        if cut_final and node_id == spec.output:
            forward.append(f"        if logits:  # the loss applies the {spec.node(node_id).type.lower()} itself, stably")
            forward.append(f"            return {args}")
        local[node_id] = names.claim(node_id)
        shape = ", ".join(["batch", *map(str, info.output_shape)])
        forward.append(f"        {local[node_id]} = self.{node_id}({args})  # [{shape}]")
    forward.append(f"        return {local[spec.output]}")
    params = analysis.total_params
    classes = [textwrap.dedent(inspect.getsource(cls)).strip() for cls in helpers]
    model = "\n".join([
        "class Model(nn.Module):",
        f'    """The model: {len(spec.nodes)} layers, {params:,} parameters, input {fmt(spec.input_shape)}."""',
        "",
        "    def __init__(self):",
        "        super().__init__()",
        *init,
        "",
        f"    def forward(self, x{', logits=False' if cut_final else ''}):",
        *forward,
    ])
    return "\n\n\n".join([*classes, model])
