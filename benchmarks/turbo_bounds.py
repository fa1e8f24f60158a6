"""Why turbo gains less on some models, measured: the part of an eager step it cannot shorten.

Used by benchmarks/engine_overhead.py for each model turbo speeds up less than 3x.
"""

from __future__ import annotations

import contextlib
import copy
import os
import statistics
import sys
import time

import torch
from torch.func import functional_call, grad

from engine.modules import Recurrent
from engine.training import turbo
from engine.training.recurrence import unroll

# The kernels compiled code calls as they are (inductor's "extern kernels" on the CPU): a model
# that spends most of an eager step in them has little left for turbo to take away.
EXTERN_KERNELS = ("conv", "mm", "scaled_dot_product")


def bound(trainee, steps: int) -> str:
    """The line that says why turbo gains little on `trainee`'s model, and how much it can."""
    if any(isinstance(module, Recurrent) for module in trainee.model.modules()):
        eager_us, compiled_us, step_us = recurrence_cost(trainee, steps)
        return (f"its recurrent layer's forward and backward take {eager_us:.0f} us eager (oneDNN's kernels for the "
                f"whole sequence) and {compiled_us:.0f} us compiled step by step, of a {step_us:.0f} us eager step: "
                f"turbo can gain about {step_us / compiled_us:.1f}x at most")
    share = kernel_share(trainee, steps)
    return (f"{share:.0%} of an eager step is in convolution, matrix and attention kernels, which compiled code "
            f"calls as they are: turbo can gain about {1 / share:.1f}x at most")


def kernel_share(trainee, steps: int) -> float:
    """The share of an eager step spent in convolution, matrix and attention kernels: their own
    CPU time under the profiler against an unprofiled step's time (the median of three tries)."""
    from torch.profiler import ProfilerActivity, profile

    shares = []
    for _ in range(3):
        step_s = 1 / trainee.run(steps)
        with _quiet_stderr(), profile(activities=[ProfilerActivity.CPU]) as prof:
            trainee.run(steps)
        kernel_us = sum(event.self_cpu_time_total for event in prof.key_averages()
                        if any(name in event.key for name in EXTERN_KERNELS))
        shares.append(kernel_us / steps / 1e6 / step_s)
    return statistics.median(shares)


def recurrence_cost(trainee, steps: int, rounds: int = 15, calls: int = 20) -> tuple[float, float, float]:
    """A model's first recurrent layer on a batch's input, forward and backward: microseconds
    eager (PyTorch's layer) and as turbo compiles it (its recurrence written step by step, by
    inductor), timed in alternating rounds; and the microseconds of a whole eager step. The
    compiled recurrence has to run in every compiled step, so it bounds turbo's gain."""
    layer = next(module for module in trainee.model.modules() if isinstance(module, Recurrent))
    seen = []
    handle = layer.register_forward_hook(lambda module, args, out: seen.append((args[0].detach(), out.detach())))
    with torch.no_grad():
        trainee.model(trainee.batches[0][0])
    handle.remove()
    x, out = seen[0]
    weights = torch.randn_like(out)  # a loss whose gradient differs per output
    written = copy.deepcopy(layer)
    unroll(written)
    params = {name: p.detach() for name, p in layer.named_parameters()}
    compiled = turbo.compile_chunk(grad(lambda p: (functional_call(written, p, (x,)) * weights).sum()), "cpu")
    compiled(params)

    def eager():
        layer.zero_grad()
        (layer(x) * weights).sum().backward()

    runs = {"eager": eager, "compiled": lambda: compiled(params)}
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            began = time.process_time()
            for _ in range(calls):
                run()
            times[name].append((time.process_time() - began) / calls * 1e6)
    layer.zero_grad()
    step_us = 1e6 / trainee.run(steps, time.process_time)
    return statistics.median(times["eager"]), statistics.median(times["compiled"]), step_us


@contextlib.contextmanager
def _quiet_stderr():
    """The profiler's C++ side writes a line to the process's stderr as it starts and stops."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
