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
