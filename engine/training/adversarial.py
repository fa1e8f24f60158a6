"""A GAN's training: the generator and the discriminator of one model graph (engine.gan), each
with its optimizer, trained against each other on the real data.

Each step draws noise for a batch, trains the discriminator `discriminator_steps` times to tell
the real batch (target 1) from the generated one (target 0), then the generator to make the
discriminator say "real" (the non-saturating loss of Goodfellow et al.: its gradient stays strong
while the discriminator wins).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from engine.gan import sliced_distance, split

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
        self.d_optimizer = make_optimizer({**config, "lr": self.d_base_lr}, self.discriminator.parameters())
        self.noise = torch.Generator().manual_seed(config["seed"] + 1)
        # the same noise at every evaluation: the generated points move only as the generator learns
        fixed = torch.Generator().manual_seed(config["seed"] + 2)
        count = min(EVAL_SAMPLES, max(len(session.x_test), len(session.x_train)))
        self.eval_noise = torch.randn((count, *self.noise_shape), generator=fixed).to(session.device)

    def draw(self, count: int, device) -> torch.Tensor:
        return torch.randn((count, *self.noise_shape), generator=self.noise).to(device)

    def run_epoch(self, session, gate: Callable[[], bool], progress) -> float | None:
        """One pass over the real training samples; the discriminator's mean loss."""
        order = torch.randperm(session.n_train, generator=session.shuffle).to(session.device)
        total = torch.zeros((), device=session.device)
        loss = session.objective.loss
        clip = session.config["grad_clip"]
        for index, start in enumerate(range(0, session.n_train, session.batch_size)):
            if not gate():
                return None
            real = session.x_train[order[start: start + session.batch_size]]
            ones = torch.ones((len(real), 1), device=session.device)
            zeros = torch.zeros_like(ones)
            z = self.draw(len(real), session.device)
            for _ in range(self.discriminator_steps):
                fake = self.generator(z).detach()
                d_loss = (loss(self.discriminator(real), ones) + loss(self.discriminator(fake), zeros)) / 2
                self.d_optimizer.zero_grad(set_to_none=True)
                (d_loss + session.penalty()).backward()
                if clip:
                    torch.nn.utils.clip_grad_norm_(self.discriminator.parameters(), clip)
                self.d_optimizer.step()
            g_loss = loss(self.discriminator(self.generator(z)), ones)
            session.optimizer.zero_grad(set_to_none=True)
            (g_loss + session.penalty()).backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(self.generator.parameters(), clip)
            session.optimizer.step()
            session.step += 1
            total += d_loss.detach()
            if progress is not None:
                progress(index + 1, total)
        return float(total) / session.steps_per_epoch

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
                right = (session.objective.predict(real_scores) == 1).sum() + (session.objective.predict(fake_scores) == 0).sum()
                result[f"{part}_loss"] = float(d_loss)
                result[f"{part}_accuracy"] = float(right) / (len(real) + len(fake))
            result["generator_loss"] = float(fooled)
            result["test_distance"] = sliced_distance(session.x_test[:EVAL_SAMPLES], fake)
        return result
