"""Pick the device to train on: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch

from engine.errors import Problem, SpecError


def available() -> list[str]:
    found = ["cpu"]
    if torch.cuda.is_available():
        found.insert(0, "cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        found.insert(0 if "cuda" not in found else 1, "mps")
    return found


def pick_device(name: str = "auto") -> torch.device:
    """`auto` takes the best device present; naming an absent one is a `training:` problem."""
    present = available()
    if name == "auto":
        return torch.device(present[0])
    if name not in present:
        raise SpecError(
            Problem(
                "training",
                f"device {name} is not available here (available: {', '.join(present)}); use auto or cpu",
                field="device",
            )
        )
    return torch.device(name)


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    return {"mps": "Apple MPS", "cpu": "CPU"}.get(device.type, device.type)
