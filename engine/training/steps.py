"""One epoch of mini-batch training, as a plain function: the engine's session calls it, and an
exported script copies it (engine/export/training_code.py), so both train alike."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def train_epoch(forward: Callable, params: list, loss_fn: Callable, optimizer: torch.optim.Optimizer,
                x: torch.Tensor, t: torch.Tensor, order: torch.Tensor, batch_size: int, penalty: Callable,
                clip: float = 0.0, gate: Callable | None = None, progress: Callable | None = None):
    """One pass over `x` and its targets `t` in the batches of the shuffled `order`: the sum of
    the batch losses (a tensor: no wait for the device each step), or None when `gate()` says
    stop. `progress(steps_done, running_sum)` is told after each step, when given."""
    total = torch.zeros((), device=x.device)
    for index, start in enumerate(range(0, len(order), batch_size)):
        if gate is not None and not gate():
            return None
        rows = order[start : start + batch_size]
        loss = loss_fn(forward(x[rows]), t[rows])
        optimizer.zero_grad(set_to_none=True)
        (loss + penalty()).backward()
        if clip:
            nn.utils.clip_grad_norm_(params, clip)
        optimizer.step()
        total += loss.detach()
        if progress is not None:
            progress(index + 1, total)
    return total


def train_gan_epoch(generate: Callable, judge: Callable, g_params: list, d_params: list, loss_fn: Callable,
                    g_optimizer: torch.optim.Optimizer, d_optimizer: torch.optim.Optimizer, x: torch.Tensor,
                    order: torch.Tensor, batch_size: int, noise_shape: tuple, noise: torch.Generator,
                    d_steps: int, penalty: Callable, clip: float = 0.0, gate: Callable | None = None,
                    progress: Callable | None = None):
    """One pass of a GAN over the real samples `x` in the batches of `order`. For each batch it
    draws noise, trains the discriminator `d_steps` times to tell the real batch (1) from the
    generated one (0), then the generator to make the discriminator say "real" (the
    non-saturating loss: its gradient stays strong while the discriminator wins). Returns the sum
    of the discriminator's batch losses, or None when `gate()` says stop."""

    def step(optimizer, params, loss):
        optimizer.zero_grad(set_to_none=True)
        (loss + penalty()).backward()
        if clip:
            nn.utils.clip_grad_norm_(params, clip)
        optimizer.step()

    total = torch.zeros((), device=x.device)
    for index, start in enumerate(range(0, len(order), batch_size)):
        if gate is not None and not gate():
            return None
        real = x[order[start : start + batch_size]]
        ones = torch.ones((len(real), 1), device=x.device)
        zeros = torch.zeros_like(ones)
        z = torch.randn((len(real), *noise_shape), generator=noise).to(x.device)
        for _ in range(d_steps):
            fake = generate(z).detach()
            d_loss = (loss_fn(judge(real), ones) + loss_fn(judge(fake), zeros)) / 2
            step(d_optimizer, d_params, d_loss)
        step(g_optimizer, g_params, loss_fn(judge(generate(z)), ones))
        total += d_loss.detach()
        if progress is not None:
            progress(index + 1, total)
    return total
