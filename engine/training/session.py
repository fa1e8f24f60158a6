"""One training run: the model, optimizer, schedule and data on the device, and the steps.

The data moves to the device once; each step indexes it there. The session knows nothing of
threads: the trainer drives it and passes a `gate` that may pause or stop between steps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import partial

import torch

from engine.compile import build_model
from engine.data import Dataset, make_dataset
from engine.experiment import Experiment
from engine.modules import Sample, kl_terms
from engine.training.adversarial import Adversarial
from engine.training.device import pick_device
from engine.training.metrics import as_metrics, metric_tensor
from engine.training.objective import prepare
from engine.training.steps import train_epoch
from engine.training.turbo import Turbo

EVAL_CHUNK = 4096  # samples per forward pass when evaluating a whole set


def make_optimizer(config: dict, params) -> torch.optim.Optimizer:
    lr, decay, momentum = config["lr"], config["weight_decay"], config["momentum"]
    name = config["optimizer"]
    if name in ("gd", "sgd"):
        return torch.optim.SGD(params, lr=lr, momentum=momentum if name == "sgd" else 0.0, weight_decay=decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=momentum, weight_decay=decay)
    return torch.optim.Adagrad(params, lr=lr, weight_decay=decay)


def weight_penalty(kind: str, rate: float, weights: list[torch.Tensor]) -> torch.Tensor | float:
    """The L1 or L2 penalty on `weights` (the weight tensors, not biases), or 0."""
    if kind == "none" or rate == 0:
        return 0.0
    if kind == "l1":
        return rate * sum(w.abs().sum() for w in weights)
    return rate * sum(w.pow(2).sum() for w in weights)


def schedule_factor(config: dict) -> Callable[[int], float]:
    """Learning-rate multiplier by epoch for the chosen schedule."""
    epochs, kind = config["epochs"], config["lr_schedule"]
    if kind == "step":
        every, gamma = config["lr_step_every"] or max(1, epochs // 3), config["lr_gamma"]
        return lambda epoch: gamma ** (epoch // every)
    if kind == "cosine":
        return lambda epoch: 0.5 * (1 + math.cos(math.pi * min(epoch, epochs) / epochs))
    return lambda epoch: 1.0


class Session:
    """Everything one run needs, ready to step. Same seed on the CPU, same curve."""

    def __init__(self, experiment: Experiment, device: str | None = None, dataset: Dataset | None = None):
        config = experiment.training
        self.experiment, self.config = experiment, config
        self.device = pick_device(device or config["device"])
        self.data = dataset or make_dataset(experiment.data)
        self.model = build_model(experiment, seed=config["seed"]).to(self.device)
        self.trained, self.objective = prepare(
            self.model, experiment.model, experiment.loss, self.data.info, experiment.output_shape
        )
        self.x_train = self.data.x_train.to(self.device)
        self.t_train = self.objective.targets(self.data.y_train).to(self.device)
        self.x_test = self.data.x_test.to(self.device)
        self.t_test = self.objective.targets(self.data.y_test).to(self.device)
        self.n_train = len(self.x_train)
        full = config["optimizer"] == "gd" or config["batch_size"] == "full"
        self.batch_size = self.n_train if full else min(config["batch_size"], self.n_train)
        # a GAN: its generator and discriminator trained against each other (this optimizer: the generator's)
        self.adversarial = Adversarial(self, make_optimizer) if experiment.gan else None
        self.optimizer = make_optimizer(config, self.adversarial.g_params if self.adversarial else self.model.parameters())
        self.factor = schedule_factor(config)
        self.base_lr = config["lr"]
        self.params = list(self.model.parameters())
        self.penalized = [p for p in self.params if p.dim() > 1]  # weights, not biases
        self.samples = any(isinstance(m, Sample) for m in self.model.modules())  # a variational autoencoder
        self.shuffle = torch.Generator().manual_seed(config["seed"])
        torch.manual_seed(config["seed"])  # dropout draws from the global generator
        self.weight_penalty = partial(weight_penalty, config["regularization"], config["reg_rate"])
        self.epoch = 0
        self.step = 0
        self._state: dict[str, torch.Tensor] | None = None  # weights() reads it
        self.turbo = Turbo(self, config["turbo"])

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n_train / self.batch_size)

    def set_lr(self, lr: float) -> None:
        """A new base learning rate, applied from the next step (the schedule still scales it)."""
        self.base_lr = lr
        self._apply_lr()

    def _apply_lr(self) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = self.base_lr * self.factor(self.epoch)
        if self.adversarial is not None:  # its own rate when set, else the one rate of both
            base = self.config["discriminator_lr"] or self.base_lr
            for group in self.adversarial.d_optimizer.param_groups:
                group["lr"] = base * self.factor(self.epoch)

    def penalty(self) -> torch.Tensor | float:
        """What the loss adds: L1/L2 on the weights, and the KL term of Sample layers."""
        kl = self.config["kl_weight"] * kl_terms(self.model) if self.samples else 0.0
        return kl + self.weight_penalty(self.penalized)

    def run_epoch(
        self, gate: Callable[[], bool] = lambda: True, progress: Callable[[int, float], None] | None = None
    ) -> float | None:
        """One pass over the training set in shuffled batches. Returns the mean batch loss, or
        None when `gate` says stop. `progress(steps_done, running_loss)` may be called between
        steps of a long epoch."""
        if not self.model.training:  # train() walks every module: skipped when evaluate left it training
            self.model.train()
        order = torch.randperm(self.n_train, generator=self.shuffle).to(self.device)
        first = self.step

        def stepped(done: int, running: torch.Tensor) -> None:
            self.step = first + done
            if progress is not None:
                progress(done, running)

        began = time.perf_counter()
        if self.adversarial is not None:  # a GAN: its two parts in turn, batch by batch
            total = self.adversarial.train(self, order, gate, stepped)
        elif self.turbo.ready:  # compiled chunks, on the same weights and optimizer state
            total = self.turbo.epoch(self, order, gate, stepped)
        else:
            with self.turbo.sharing_cores():
                total = train_epoch(self.trained, self.params, self.objective.loss, self.optimizer, self.x_train,
                                    self.t_train, order, self.batch_size, self.penalty, self.config["grad_clip"],
                                    gate, stepped)
            if total is not None:
                self.turbo.after_eager_epoch(self, time.perf_counter() - began)
        if total is None:
            return None
        self.epoch += 1
        self._apply_lr()
        return float(total) / self.steps_per_epoch

    def evaluate(self) -> dict:
        """Loss and accuracy (or R² and RMSE) on the whole training and test sets."""
        if self.adversarial is not None:
            self.model.eval()
            result = self.adversarial.evaluate(self)
            self.model.train()
            return result
        # turbo's compiled evaluation has its own copy of the model in evaluation mode: the run's
        # model is left as it is (a change of mode walks every module)
        measured = self.turbo.metrics(self)
        if measured is None:
            self.model.eval()
            with torch.no_grad(), self.turbo.sharing_cores():
                measured = torch.stack([metric_tensor(self.outputs(x), t, self.objective)  # one read from the device
                                        for x, t in ((self.x_train, self.t_train), (self.x_test, self.t_test))])
            self.model.train()
        train, test = (as_metrics(values, self.objective) for values in measured.tolist())
        return {**{f"train_{k}": v for k, v in train.items()}, **{f"test_{k}": v for k, v in test.items()}}

    def outputs(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.trained(x[i : i + EVAL_CHUNK]) for i in range(0, len(x), EVAL_CHUNK)])

    def weights(self) -> dict[str, torch.Tensor]:
        """A copy of the weights and buffers (the trainer keeps one each epoch, to go back to)."""
        if self._state is None:
            # the model's own tensors, by name: they stay the same objects (training, batch norm,
            # turbo and load_weights all change them in place), and state_dict() walks every module
            self._state = self.model.state_dict()
        return {k: v.clone() for k, v in self._state.items()}

    def load_weights(self, weights: dict[str, torch.Tensor]) -> None:
        self.model.load_state_dict(weights)
