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
    if experiment.gan:
        forward = _two_parts(forward, local[experiment.gan], cut_final)
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
        *([] if experiment.gan else [f"    def forward(self, x{', logits=False' if cut_final else ''}):"]),
        *forward,
    ])
    return "\n\n\n".join([*classes, model])


def _two_parts(forward: list[str], sample: str, cut_final: bool) -> list[str]:
    """A GAN's forward lines as `generate` (noise to sample), `judge` (sample to the
    discriminator's score) and `forward`, the one after the other (engine.gan)."""
    end = next(i for i, line in enumerate(forward) if line.lstrip().startswith(f"{sample} = "))
    logits = ", logits=False" if cut_final else ""
    return [
        "    def generate(self, x):",
        '        """The generator: noise in, a generated sample out."""',
        *forward[: end + 1],
        f"        return {sample}",
        "",
        f"    def judge(self, {sample}{logits}):",
        '        """The discriminator: a sample in, its score for "real" out."""',
        *forward[end + 1:],
        "",
        f"    def forward(self, x{logits}):",
        f"        return self.judge(self.generate(x){', logits' if cut_final else ''})",
    ]
