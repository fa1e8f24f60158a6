"""The training part of an exported script: the loss and targets in the form the engine uses, the
optimizer, the schedule and the epoch's loop (the engine's own functions, copied), and
regularization."""

from __future__ import annotations

import inspect
import pprint
import textwrap

from engine.modules import kl_terms
from engine.training.objective import loss_function, strips_final, target_function
from engine.training.session import make_optimizer, schedule_factor, weight_penalty
from engine.training.steps import train_epoch


def objective_source(experiment) -> str:
    """`loss_fn(out, t)` and `targets(y)`: the engine's own functions for this model, data and
    loss, copied; and `correct(out, y)`."""
    loss, info, spec = experiment.loss, experiment.data_info, experiment.model
    last = spec.node(spec.output).type
    squashed = last if last in ("Sigmoid", "Softmax") and not strips_final(spec, loss) else None
    outputs = experiment.output_shape[-1] if experiment.output_shape else 1
    loss_fn, target = loss_function(loss, squashed), target_function(loss, info, outputs)
    lines = [
        "\n\n\n".join(copied(loss_fn, target)),
        "",
        "",
        f"loss_fn = {loss_fn.__name__}  # {loss} on what the model returns"
        f"{' with logits=True' if strips_final(spec, loss) else ''}",
        "",
        "",
        "def targets(y):",
        f"    return {target.__name__}(y, {info.n_classes})",
    ]
    if info.is_classification:
        if outputs == 1 and loss == "bce":
            threshold = "0.5" if squashed else "0.0"  # probability 0.5 is logit 0
            predict = f"(out.reshape(-1) > {threshold}).long()"
        else:
            predict = "out.argmax(-1).reshape(-1)"
        lines += ["", "", "def correct(out, y):", '    """How many predictions (per sample or position) are right."""',
                  f"    return int(({predict} == y.reshape(-1)).sum()), y.numel()"]
    return "\n".join(lines)


def copied(*functions) -> list[str]:
    return [textwrap.dedent(inspect.getsource(f)).strip() for f in functions]


def training_source(experiment) -> str:
    config = {k: v for k, v in experiment.training.items() if k != "device"}
    literal = pprint.pformat(config, sort_dicts=False, width=100)
    adds = ["weight_penalty(TRAINING['regularization'], TRAINING['reg_rate'], [p for p in model.parameters() if p.dim() > 1])"]
    functions = [weight_penalty]
    if any(node.type == "Sample" for node in experiment.model.nodes):  # a variational autoencoder's KL term
        adds.insert(0, "TRAINING['kl_weight'] * kl_terms(model)")
        functions.append(kl_terms)
    regularization = "\n".join(["def penalty(model):", '    """What the loss adds, as the engine adds it (L1/L2 on the weights, the KL term of Sample layers)."""',
                                 f"    return {' + '.join(adds)}"])
    return "\n\n\n".join([f"TRAINING = {literal}\nEPS = 1e-7", objective_source(experiment),
                          *copied(make_optimizer, schedule_factor, train_epoch, *functions), regularization])
