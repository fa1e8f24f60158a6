"""The `training` section: its fields, defaults and ranges, checked like layer parameters."""

from __future__ import annotations

from typing import Any

from engine.errors import Problem
from engine.params import Choice, Float, Int, Param, ParamError, Text
from engine.spec import suggest

LOSSES = ("mse", "cross_entropy", "bce", "l1", "huber")
OPTIMIZERS = ("gd", "sgd", "adam", "adamw", "rmsprop", "adagrad")
# TensorFlow Playground's learning-rate ladder; the page offers these plus free entry.
LR_LADDER = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


class BatchSize(Param):
    """A positive number of samples per step, or "full" for the whole training set."""

    def check(self, value: Any) -> int | str:
        if value == "full":
            return value
        try:
            return Int(low=1, high=1_000_000).check(value)
        except ParamError:
            raise ParamError(f"must be {self.describe()}, got {value!r}") from None

    def describe(self) -> str:
        return 'a positive integer or "full"'


FIELDS: dict[str, Param] = {
    "loss": Choice(
        default="auto",
        choices=("auto", *LOSSES),
        help="auto: bce for one output on two classes, cross_entropy for classes, mse for values",
    ),
    "optimizer": Choice(default="adam", choices=OPTIMIZERS, help="gd is full-batch gradient descent"),
    "lr": Float(default=0.03, low=0.0, high=100.0, low_open=True, help="learning rate"),
    "momentum": Float(default=0.0, low=0.0, high=1.0, high_open=True, help="momentum (sgd, rmsprop)"),
    "weight_decay": Float(default=0.0, low=0.0, high=1.0, help="decoupled for adamw, L2 in the others"),
    "batch_size": BatchSize(default=10, help='samples per step, or "full"'),
    "epochs": Int(default=100, low=1, high=1_000_000, help="passes over the training set"),
    "regularization": Choice(default="none", choices=("none", "l1", "l2"), help="penalty on weights"),
    "reg_rate": Float(default=0.0, low=0.0, high=10.0, help="strength of the penalty"),
    "lr_schedule": Choice(default="constant", choices=("constant", "step", "cosine"), help="learning rate over time"),
    "lr_step_every": Int(default=None, low=1, help="step schedule: epochs between drops (default: a third of epochs)"),
    "lr_gamma": Float(default=0.1, low=0.0, high=1.0, low_open=True, help="step schedule: factor at each drop"),
    "grad_clip": Float(default=0.0, low=0.0, help="largest gradient norm (0 = off)"),
    "kl_weight": Float(default=1.0, low=0.0, help="weight of the KL term of Sample layers (variational autoencoders)"),
    "generator_output": Text(default=None, help="a GAN: the node whose output is a generated sample (see docs)"),
    "discriminator_lr": Float(default=None, low=0.0, high=100.0, low_open=True,
                              help="a GAN: the discriminator's learning rate (default: lr)"),
    "discriminator_steps": Int(default=1, low=1, high=10, help="a GAN: discriminator steps per generator step"),
    "turbo": Choice(default="auto", choices=("auto", "on", "off"),
                    help="compile the training step in the background and switch to it when ready"),
    "seed": Int(default=0, low=0, high=2**31 - 1, help="same seed, same run"),
    "device": Choice(default="auto", choices=("auto", "cpu", "cuda", "mps"), help="auto: CUDA, else MPS, else CPU"),
}


def check_training(raw: Any) -> tuple[dict | None, list[Problem]]:
    """Validate a training section and fill its defaults; returns every problem found."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return None, [Problem("training", '"training" must be an object such as {"loss": "bce"}')]
    problems: list[Problem] = []
    config: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in FIELDS:
            problems.append(
                Problem(
                    "training", f"unknown field '{key}'{suggest(key, FIELDS)} (fields: {', '.join(FIELDS)})", field=key
                )
            )
        elif value is None and FIELDS[key].default is None:
            config[key] = None
        else:
            try:
                config[key] = FIELDS[key].check(value)
            except ParamError as err:
                problems.append(Problem("training", f"{key} {err}", field=key))
    for key, param in FIELDS.items():
        config.setdefault(key, param.default)
    return (None, problems) if problems else (config, [])
