"""A GAN's training: the generator and the discriminator of one model graph (engine.gan), each
with its optimizer, trained against each other on the real data (the steps:
engine.training.steps.train_gan_epoch), and measured."""

from __future__ import annotations

from collections.abc import Callable

import torch

from engine.gan import sliced_distance, split
from engine.training.steps import train_gan_epoch

EVAL_SAMPLES = 2048  # real and generated samples compared when evaluating


class Adversarial:
    """The two parts of `session`'s model and what trains them (the session's own optimizer
    trains the generator)."""

    def __init__(self, session, make_optimizer):
        config = session.config
        self.generator, self.discriminator = split(session.trained, session.experiment.gan)
        self.noise_shape = tuple(session.experiment.model.input_shape)
        self.discriminator_steps = config["discriminator_steps"]
        self.d_base_lr = config["discriminator_lr"] or config["lr"]
        self.g_params, self.d_params = list(self.generator.parameters()), list(self.discriminator.parameters())
        self.d_optimizer = make_optimizer({**config, "lr": self.d_base_lr}, self.d_params)
        self.noise = torch.Generator().manual_seed(config["seed"] + 1)
        # the same noise at every evaluation: the generated points move only as the generator learns
        fixed = torch.Generator().manual_seed(config["seed"] + 2)
        count = min(EVAL_SAMPLES, max(len(session.x_test), len(session.x_train)))
        self.eval_noise = torch.randn((count, *self.noise_shape), generator=fixed).to(session.device)

    def train(self, session, order: torch.Tensor, gate: Callable[[], bool], progress: Callable) -> torch.Tensor | None:
        """One pass over the real training samples in `order`: the sum of the discriminator's
        batch losses, or None when `gate` says stop."""
        return train_gan_epoch(self.generator, self.discriminator, self.g_params, self.d_params, session.objective.loss,
                               session.optimizer, self.d_optimizer, session.x_train, order, session.batch_size,
                               self.noise_shape, self.noise, self.discriminator_steps, session.penalty,
                               session.config["grad_clip"], gate, progress)

    def generate(self, count: int | None = None) -> torch.Tensor:
        """Samples from the fixed evaluation noise (the first `count`)."""
        with torch.no_grad():
            return self.generator(self.eval_noise[:count])

    def evaluate(self, session) -> dict:
        """The discriminator's loss and accuracy on real against generated samples (train and
        test), the generator's loss, and the distance of the generated samples from the test set."""
        fake = self.generate()
        loss = session.objective.loss
        result = {}
        with torch.no_grad():
            fake_scores = self.discriminator(fake)
            fooled = loss(fake_scores, torch.ones_like(fake_scores))
            for part, real in (("train", session.x_train[:EVAL_SAMPLES]), ("test", session.x_test[:EVAL_SAMPLES])):
                real_scores = self.discriminator(real)
                d_loss = (loss(real_scores, torch.ones_like(real_scores)) + loss(fake_scores, torch.zeros_like(fake_scores))) / 2
                # "real" is P(real) > 0.5, whatever task the data's labels are for (they are not used)
                right = (session.objective.scores(real_scores) > 0.5).sum() + (session.objective.scores(fake_scores) <= 0.5).sum()
                result[f"{part}_loss"] = float(d_loss)
                result[f"{part}_accuracy"] = float(right) / (len(real) + len(fake))
            result["generator_loss"] = float(fooled)
            result["test_distance"] = sliced_distance(session.x_test[:EVAL_SAMPLES], fake)
        return result
