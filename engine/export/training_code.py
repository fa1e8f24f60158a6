"""The training part of an exported script: the loss in the form the engine uses, the optimizer
and schedule (the engine's own functions, copied), regularization, and the loop."""

from __future__ import annotations

import inspect
import pprint
import textwrap

from engine.training.objective import strips_final
from engine.training.session import make_optimizer, schedule_factor


def objective_source(experiment) -> str:
    """`targets(y)`, `loss_fn(out, t)` and `correct(out, y)` for this model, data and loss."""
    loss, info, spec = experiment.loss, experiment.data_info, experiment.model
    last = spec.node(spec.output).type
    squashed = last if last in ("Sigmoid", "Softmax") and not strips_final(spec, loss) else None
    outputs = experiment.output_shape[-1] if experiment.output_shape else 1
    if not info.is_classification:
        targets = "return y.float().reshape(len(y), -1)  # one value per sample (or the whole image)"
    elif loss == "cross_entropy":
        targets = "return y  # class ids"
    elif outputs == 1:
        targets = "return y.float().reshape(-1, 1)  # 0 or 1"
    else:
        targets = f"return F.one_hot(y, {info.n_classes}).float()"
    if loss == "cross_entropy":
        flat = "out.reshape(-1, out.shape[-1])"
        body = ("return F.nll_loss(torch.log(out.clamp_min(EPS)).reshape(-1, out.shape[-1]), t.reshape(-1))"
                if squashed == "Softmax" else f"return F.cross_entropy({flat}, t.reshape(-1))")
    elif loss == "bce":
        body = ("return F.binary_cross_entropy(out.clamp(EPS, 1 - EPS), t)" if squashed
                else "return F.binary_cross_entropy_with_logits(out, t)")
    else:
        function = {"mse": "mse_loss", "l1": "l1_loss", "huber": "huber_loss"}[loss]
        body = f"return F.{function}(out.reshape(t.shape), t)"
    lines = [
        "def targets(y):",
        f"    {targets}",
        "",
        "",
        "def loss_fn(out, t):",
        f'    """{loss} on what the model returns{" for logits=True" if strips_final(spec, loss) else ""}."""',
        f"    {body}",
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
    penalty = {
        "none": "    return 0.0",
        "l1": "    return TRAINING['reg_rate'] * sum(p.abs().sum() for p in model.parameters() if p.dim() > 1)",
        "l2": "    return TRAINING['reg_rate'] * sum(p.pow(2).sum() for p in model.parameters() if p.dim() > 1)",
    }[config["regularization"] if config["reg_rate"] else "none"]
    if any(node.type == "Sample" for node in experiment.model.nodes):  # a variational autoencoder's KL term
        kl = "TRAINING['kl_weight'] * sum(m.kl for m in model.modules() if isinstance(m, Sample) and hasattr(m, 'kl'))"
        penalty = f"    return {kl}" if penalty.endswith("0.0") else f"{penalty} + {kl}"
    regularization = "\n".join(["def penalty(model):", '    """L1/L2 on the weights (not the biases), and the KL term of Sample layers."""',
                                 penalty])
    return "\n\n\n".join([f"TRAINING = {literal}\nEPS = 1e-7", objective_source(experiment),
                          *copied(make_optimizer, schedule_factor), regularization])
