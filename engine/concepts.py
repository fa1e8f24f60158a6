"""The numbers behind the concept explorer: activation functions and their slopes, losses as a
function of the prediction, and real torch.optim optimizers racing down 2-D surfaces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from engine.registry import REGISTRY


def activations() -> list[str]:
    return [name for name, layer in REGISTRY.items() if layer.group == "activation"]


def activation_curve(name: str, low: float, high: float, points: int = 401) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, f(x) and f'(x) for a registry activation with its default parameters. Softmax, which
    needs a vector, is shown as its first output for the scores [x, 0] (a two-class softmax)."""
    layer = REGISTRY[name]
    defaults = {k: p.default for k, p in layer.params.items()}
    module = layer.module([(2,) if name == "Softmax" else (1,)], defaults).build()
    x = torch.linspace(low, high, points, requires_grad=True)
    if name == "Softmax":
        y = module(torch.stack([x, torch.zeros_like(x)], dim=1))[:, 0]
    else:
        y = module(x.unsqueeze(1)).squeeze(1)
    if not y.requires_grad:  # Step: a comparison, whose slope is zero wherever it is defined
        return x.detach().numpy(), y.detach().numpy(), np.zeros(points, dtype=np.float32)
    (slope,) = torch.autograd.grad(y.sum(), x)
    return x.detach().numpy(), y.detach().numpy(), slope.numpy()


def saturation(x: np.ndarray, slope: np.ndarray, fraction: float = 0.05, shortest: float = 0.1) -> list[tuple[float, float]]:
    """Stretches of x where the slope is under `fraction` of its largest value: there the
    function is flat and passes almost no gradient back. Stretches narrower than `shortest` of
    the range (where a curve merely turns, as GELU does) are left out, and so are straight
    stretches with a slope that is small but not zero (LeakyReLU's negative side still learns)."""
    peak = float(np.abs(slope).max())
    if peak == 0:
        return [(float(x[0]), float(x[-1]))]
    flat = np.abs(slope) < fraction * peak
    spans, start = [], None
    for value, is_flat in zip(x, flat, strict=True):
        if is_flat and start is None:
            start = value
        elif not is_flat and start is not None:
            spans.append((float(start), float(value)))
            start = None
    if start is not None:
        spans.append((float(start), float(x[-1])))
    return [(a, b) for a, b in spans if b - a >= shortest * float(x[-1] - x[0]) and not _leaky(x, slope, a, b)]


def _leaky(x: np.ndarray, slope: np.ndarray, start: float, end: float) -> bool:
    """Whether the slope over [start, end] is one nonzero value: a straight line, not a plateau."""
    inside = np.abs(slope[(x >= start) & (x < end)])  # the end is the first point past the stretch
    return bool(inside.size) and inside.min() > 0 and inside.max() - inside.min() <= 1e-3 * inside.max()


def regression_losses(target: float, spread: float = 3.0, points: int = 301) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """MSE, L1 and Huber (delta 1) of one prediction against `target`, over predictions near it."""
    prediction = torch.linspace(target - spread, target + spread, points)
    truth = torch.full_like(prediction, target)
    return {
        "mse": (prediction.numpy(), F.mse_loss(prediction, truth, reduction="none").numpy()),
        "l1": (prediction.numpy(), F.l1_loss(prediction, truth, reduction="none").numpy()),
        "huber": (prediction.numpy(), F.huber_loss(prediction, truth, reduction="none").numpy()),
    }


def classification_losses(label: int, points: int = 299) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """BCE of a predicted probability p of class 1 for a 0/1 `label`, and cross-entropy as a
    function of the probability given to the true class."""
    p = torch.linspace(0.005, 0.995, points)
    bce = F.binary_cross_entropy(p, torch.full_like(p, float(label)), reduction="none")
    return {"bce": (p.numpy(), bce.numpy()), "cross_entropy": (p.numpy(), -torch.log(p).numpy())}


@dataclass(frozen=True)
class Surface:
    explain: str
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    start: tuple[float, float]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    minimum: tuple[float, float] | None


SURFACES = {
    "rosenbrock": Surface("a long curved valley: easy to find, slow to follow to the minimum at (1, 1)",
                          lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, (-1.5, 2.0), (-2.0, 2.0), (-1.0, 3.0), (1.0, 1.0)),
    "saddle": Surface("x² - y²: a pass between two hills; plain gradient descent lingers near the flat centre",
                      lambda x, y: x**2 - y**2, (-1.5, 0.01), (-2.0, 2.0), (-2.0, 2.0), None),
    "beale": Surface("flat plateaus and steep walls, minimum at (3, 0.5)",
                     lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
                     (1.0, 1.5), (-4.5, 4.5), (-4.5, 4.5), (3.0, 0.5)),
}

OPTIMIZERS: dict[str, Callable[[list[torch.Tensor], float], torch.optim.Optimizer]] = {
    "GD": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "SGD + momentum": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "RMSprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr),
    "Adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
    "AdamW": lambda params, lr: torch.optim.AdamW(params, lr=lr, weight_decay=0.01),
}
DEFAULT_LR = {"GD": 0.001, "SGD + momentum": 0.0005, "RMSprop": 0.01, "Adam": 0.05, "AdamW": 0.05}
ESCAPE = 1e6  # a path this far out has diverged: it stops there


def surface_grid(name: str, points: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    surface = SURFACES[name]
    xs = torch.linspace(*surface.x_range, points)
    ys = torch.linspace(*surface.y_range, points)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    return xs.numpy(), ys.numpy(), surface.f(grid_x, grid_y).numpy()


def race(name: str, rates: dict[str, float], steps: int) -> dict[str, np.ndarray]:
    """Each optimizer's path [(x, y), ...] from the surface's start, `steps` steps long (shorter
    if it diverges)."""
    surface = SURFACES[name]
    paths = {}
    for optimizer_name, lr in rates.items():
        point = torch.tensor(surface.start, dtype=torch.float64, requires_grad=True)
        optimizer = OPTIMIZERS[optimizer_name]([point], lr)
        path = [point.detach().numpy().copy()]
        for _ in range(steps):
            optimizer.zero_grad()
            surface.f(point[0], point[1]).backward()
            optimizer.step()
            here = point.detach().numpy().copy()
            if not np.all(np.isfinite(here)) or np.abs(here).max() > ESCAPE:
                break
            path.append(here)
        paths[optimizer_name] = np.array(path)
    return paths
