"""Turbo: the training step compiled in the background and swapped in between epochs.

A small model's eager step is mostly Python and dispatch. Turbo compiles a chunk of steps into
one graph with `torch.compile(fullgraph=True)`: on the CPU a loop over up to `LOOP_STEPS` steps
(`scan`, whose body compiles once), on CUDA `CHUNK_STEPS` steps written out. The model is called
functionally (`torch.func`) on a private copy of its module, the gradient comes from
`torch.func.grad_and_value`, and the update is torch.optim's own functional update applied in
place to the run's own weights and optimizer state. So eager and compiled steps share the data,
the weights, the state and the maths, and a run can go from one to the other between steps.

A run starts eager at once. The chunk is compiled first in a process of its own (filling
inductor's disk caches without taking this interpreter from training), then loaded in a thread
here (tried on copies of the state), and the session uses it from the next epoch on. Steps that
do not fill a chunk go the eager way.
Compiled chunks are kept per process by what they depend on, so the next run of the same model
swaps in at its first epoch; inductor's disk cache shortens a new process's compile too.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
import types
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch._higher_order_ops.scan import scan
from torch.func import functional_call, grad_and_value
from torch.utils._pytree import tree_leaves, tree_map

from engine.errors import first_line
from engine.modules import Sample
from engine.training.metrics import metric_tensor
from engine.training.recurrence import unroll
from engine.training.steps import train_epoch

CHUNK_STEPS = 5  # steps written out per compiled call (CUDA): more is faster per step but compiles for longer
# the most steps in a looped call (CPU): its compile does not grow with them, but a call is not
# stopped or reported on until it ends
LOOP_STEPS = 25
# and as many as eager steps do in this long (a compiled step is faster): Stop waits for the call
# it comes in, so a heavy model's calls are short
CALL_S = 0.25
# auto: a run compiles once it has trained this long eager, and if it has a budget, only while its
# epochs left would take longer than this (a first compile takes about a minute on 2 cores)
COMPILE_AFTER_S = 20.0
COMPILE_WHEN_LEFT_S = 60.0
# a recurrence compiles written out step by step, and its compile grows with the steps (20 took
# 1-2 minutes on 2 cores); a link may ask for 512 steps in 16 layers both ways, so past this many
# the run stays eager rather than hold the server's CPU and memory for a compile it would not finish
MOST_RECURRENT_CELLS = 64
KEEP_COMPILED = 8  # compiled chunks kept per process (each holds its model's private copy)
CLIP_EPS = 1e-6  # as torch.nn.utils.clip_grad_norm_
WARM_TIMEOUT_S = 600  # the compiling process's limit
PROJECT = Path(__file__).resolve().parents[2]
PR_SET_PDEATHSIG = 1  # prctl option: a signal for when the parent ends

_compiled: OrderedDict[tuple, tuple[nn.Module, Callable, Callable | None, bool]] = OrderedDict()
_compiled_lock = threading.Lock()


def why_not(session) -> str | None:
    """Why this run cannot be compiled, or None when it can."""
    if session.adversarial is not None:
        return "a GAN's two parts train in turn"
    for module in session.model.modules():
        if isinstance(module, Sample) or (isinstance(module, nn.modules.dropout._DropoutNd) and module.p > 0):
            return "it draws random numbers while training (dropout or sampling)"
        if isinstance(module, nn.RNNBase) and module.dropout > 0:
            return "it draws random numbers while training (dropout between recurrent layers)"
        if isinstance(module, nn.MultiheadAttention) and module.dropout > 0:
            return "it draws random numbers while training (attention dropout)"
    cells = _recurrent_cells(session.experiment)
    if cells > MOST_RECURRENT_CELLS:
        return (f"its recurrent layers would be written out as {cells:,} steps to compile (sequence length x "
                f"layers x directions), more than {MOST_RECURRENT_CELLS}")
    if session.device.type == "cuda":
        from torch.utils._triton import has_triton

        if not has_triton():
            return "this GPU has no Triton to compile for"
    elif session.device.type == "cpu":
        try:
            from torch._inductor.cpp_builder import get_cpp_compiler

            get_cpp_compiler()
        except Exception:
            return "no C++ compiler found (g++ or clang++)"
    else:
        return f"compiling for {session.device.type} is not supported"
    return None


def _recurrent_cells(experiment) -> int:
    """The recurrent steps a compiled forward pass writes out (`Unrolled`): each recurrent layer's
    sequence length times its layers and directions."""
    cells = 0
    for node in experiment.model.nodes:
        if node.type in ("RNN", "LSTM", "GRU"):
            steps = experiment.analysis.nodes[node.inputs[0]].output_shape[0]
            cells += steps * node.params["num_layers"] * (2 if node.params["bidirectional"] else 1)
    return cells


def _optimizer_update(optimizer: torch.optim.Optimizer) -> Callable:
    """torch.optim's functional update for this optimizer, its settings fixed but the rate:
    `update(params, grads, states, lr)` changes the params and states in place."""
    group = {k: v for k, v in optimizer.param_groups[0].items() if k != "params"}
    common = {"foreach": False, "maximize": group["maximize"]}
    if isinstance(optimizer, torch.optim.SGD):
        from torch.optim.sgd import sgd

        def update(params, grads, states, lr):
            sgd(params, grads, [s.get("momentum_buffer") for s in states], **common,
                weight_decay=group["weight_decay"], momentum=group["momentum"], lr=lr,
                dampening=group["dampening"], nesterov=group["nesterov"])
    elif isinstance(optimizer, torch.optim.Adam):  # AdamW too: its weight decay is decoupled
        from torch.optim.adam import adam

        def update(params, grads, states, lr):
            adam(params, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states], [],
                 [s["step"] for s in states], **common, amsgrad=False, beta1=group["betas"][0],
                 beta2=group["betas"][1], lr=lr, weight_decay=group["weight_decay"], eps=group["eps"],
                 decoupled_weight_decay=group["decoupled_weight_decay"])
    elif isinstance(optimizer, torch.optim.RMSprop):
        from torch.optim.rmsprop import rmsprop

        def update(params, grads, states, lr):
            rmsprop(params, grads, [s["square_avg"] for s in states], [s.get("grad_avg") for s in states],
                    [s.get("momentum_buffer") for s in states], [s["step"] for s in states], **common, lr=lr,
                    alpha=group["alpha"], eps=group["eps"], weight_decay=group["weight_decay"],
                    momentum=group["momentum"], centered=group["centered"])
    elif isinstance(optimizer, torch.optim.Adagrad):
        from torch.optim.adagrad import adagrad

        def update(params, grads, states, lr):
            adagrad(params, grads, [s["sum"] for s in states], [s["step"] for s in states], **common, lr=lr,
                    weight_decay=group["weight_decay"], lr_decay=group["lr_decay"], eps=group["eps"])
    else:
        raise TypeError(f"no compiled update for {type(optimizer).__name__}")
    return update


def chunk_steps(batches: int, looped: bool, most: int | None = None) -> int:
    """Steps per compiled call, for an epoch of `batches` whole batches (the rest are eager steps),
    `most` at the most. Looped: from `CHUNK_STEPS` to `LOOP_STEPS`, the number that leaves the
    fewest batches over (then the largest): 25 for TF Playground's 25 batches, 22 for 44."""
    most = batches if most is None else most
    if not looped:
        return min(CHUNK_STEPS, batches, most)
    high = min(LOOP_STEPS, batches, most)
    low = min(CHUNK_STEPS, high)
    return min(range(low, high + 1), key=lambda steps: (batches % steps, -steps))


def make_chunk(model: nn.Module, loss_fn: Callable, optimizer: torch.optim.Optimizer, penalty: Callable,
               weights: list[str], clip: float, looped: bool = False, evaluation: Callable | None = None) -> Callable:
    """One chunk of training steps as a function of tensors only: `chunk(params, buffers, states,
    x, t, rows, lr)` trains on the batches `rows[i]` of `x` and targets `t` in turn, changing
    params, buffers and states in place, and returns the sum of the batch losses. `penalty`
    maps the `weights` (names of params) to what the loss adds. `looped`: the steps are a loop in
    the graph (`scan`), compiled once whatever their number, instead of written out one by one.
    With an `evaluation` (`make_evaluation`'s), the chunk ends with it, on the weights it made:
    `chunk(..., lr, x_test, t_test)` returns the sum and both sets' metrics, in one call where an
    epoch that is one chunk would take two (each call costs tens of microseconds of its own)."""
    update = _optimizer_update(optimizer)

    def step(params: dict, buffers: dict, states: list, x, t, batch, lr):
        """One step on the rows `batch`, in place; its batch loss."""

        def loss_of(p, b):
            loss = loss_fn(functional_call(model, (p, b), (x[batch],)), t[batch])
            return loss + penalty([p[name] for name in weights]), loss

        # the buffers go in as an input: batch norm updates its running statistics in place,
        # which a grad transform allows only on its inputs
        grads, (_, loss) = grad_and_value(loss_of, has_aux=True)(params, buffers)
        names = list(params)
        grads = [grads[name] for name in names]
        with torch.no_grad():
            if clip:
                norm = torch.nn.utils.get_total_norm(grads)
                scale = (clip / (norm + CLIP_EPS)).clamp(max=1.0)
                grads = [g * scale for g in grads]
            update([params[name] for name in names], grads, states, lr)
        return loss.detach()

    def chunk(params: dict, buffers: dict, states: list, x, t, rows, lr):
        total = torch.zeros((), device=x.device)
        for i in range(rows.shape[0]):
            total = total + step(params, buffers, states, x, t, rows[i], lr)
        return total

    def looped_chunk(params: dict, buffers: dict, states: list, x, t, rows, lr):
        def body(carry, batch):
            carry = tree_map(torch.clone, carry)  # a scan's body may not change its carry in place
            return carry, step(*carry, x, t, batch, lr)

        last, losses = scan(body, (params, buffers, states), rows)
        for mine, new in zip(tree_leaves((params, buffers, states)), tree_leaves(last), strict=True):
            mine.copy_(new)
        return losses.sum()

    steps = looped_chunk if looped else chunk
    if evaluation is None:
        return _own_code(steps, "chunk")

    def chunk_and_metrics(params: dict, buffers: dict, states: list, x, t, rows, lr, x_test, t_test):
        return steps(params, buffers, states, x, t, rows, lr), evaluation(params, buffers, x, t, x_test, t_test)

    return _own_code(chunk_and_metrics, "chunk")


def make_evaluation(model: nn.Module, objective) -> Callable:
    """`evaluation(params, buffers, x_train, t_train, x_test, t_test)`: both sets' metrics
    (`metric_tensor`, stacked) with `model` called on `params` and `buffers`; `model` in
    evaluation mode. Compiled, it is one call where eager evaluation is dozens of small ones."""

    def evaluation(params: dict, buffers: dict, x_train, t_train, x_test, t_test):
        return torch.stack([metric_tensor(functional_call(model, (params, buffers), (x,)), t, objective)
                            for x, t in ((x_train, t_train), (x_test, t_test))])

    return _own_code(evaluation, "evaluation")


def _own_code(function: Callable, name: str) -> Callable:
    """`function` with a code object of its own: dynamo keeps compiled versions per code object,
    at most 8, and each model's chunk and evaluation get their own."""
    _made[0] += 1
    return types.FunctionType(function.__code__.replace(co_name=f"{name}_{_made[0]}"), function.__globals__,
                              closure=function.__closure__)


_made = [0]


def compile_chunk(chunk: Callable, device: str, backend: str = "inductor") -> Callable:
    """`chunk` compiled whole, to be called (and so compiled) in this thread: on CUDA under CUDA
    graphs; on the CPU with a C++ wrapper around the kernels (a Python wrapper spends more time
    allocating a small model's buffers than its kernels take)."""
    import torch._dynamo.config
    import torch._inductor.config

    # these settings are per thread; no pool of compiler processes to leave behind
    torch._inductor.config.compile_threads = 1
    # dynamo passes over a module holding an RNN, LSTM or GRU unless allowed; the compiled model's
    # are `Unrolled` (engine/training/recurrence.py), which only read their layer's weights
    torch._dynamo.config.allow_rnn = True
    torch._inductor.config.cpp_wrapper = device == "cpu"
    options = {"guard_filter_fn": _kept_guards} | ({"triton.cudagraphs": True} if device == "cuda" else {})
    if device == "cpu":
        # inductor's disk cache passes over graphs with a scan (the CPU's looped chunk) unless told
        # otherwise; the key holds the loop's body (pickled with the graph): models that differ
        # only inside it get their own code (tests/engine/test_turbo.py)
        options["unsafe_marked_cacheable_functions"] = {"torch.ops.higher_order.scan": torch.__version__}
        if _fuse_small_products():
            # the limits go in the options too: they are part of the compiled code's cache key
            rows, sides = SMALL_PRODUCT
            options["post_grad_fusion_options"] = {"decompose_mm_pass": {
                "cpu_max_first_dimension_decomposition": rows, "cpu_max_other_dimension_decomposition": sides}}
    return torch.compile(chunk, fullgraph=True, backend=backend, options=options)


# A matrix product (m x k) @ (k x n) this small is cheaper written as products and a sum, which
# inductor fuses into the kernels around it, than as a call to the BLAS library: a call costs
# microseconds of its own, and a step makes three per layer (forward and two gradients). For TF
# Playground's 2-4-2-1 network that halves a compiled step.
SMALL_PRODUCT = (32, 64)  # the most rows m, and the most k and n


def _fuse_small_products() -> bool:
    """Have inductor's decomposition of small matrix products (applied where its option is on)
    take products up to `SMALL_PRODUCT` on the CPU. Its limits are read from the module, set
    from the config as torch first imports it; false where this torch lays it out otherwise."""
    try:
        from torch._inductor.fx_passes import decompose_mem_bound_mm as small
    except ImportError:
        return False
    if not all(hasattr(small, name) for name in ("cpu_max_first_dimension_decomposition",
                                                 "cpu_max_other_dimension_decomposition")):
        return False
    small.cpu_max_first_dimension_decomposition, small.cpu_max_other_dimension_decomposition = SMALL_PRODUCT
    return True


# The guards a compiled chunk keeps: on its tensors (shape, dtype, device, strides), on aliasing
# between them, and on global state (grad mode, default device and the like). Those on the Python
# structure around the tensors (dict keys, closures, modules, types: over 900 for the playground's
# 2-4-2-1 network) cost a quarter of a chunk's call, and a chunk is only ever called with the
# structure it was compiled for: its own model, and the optimizer state of a run with the same
# cache key.
KEPT_GUARDS = frozenset({"TENSOR_MATCH", "DUPLICATE_INPUT", "SHAPE_ENV", "GLOBAL_STATE", "GRAD_MODE",
                         "DEFAULT_DEVICE", "DETERMINISTIC_ALGORITHMS", "TORCH_FUNCTION_STATE",
                         "FUNCTORCH_STACK_MATCH", "AUTOGRAD_SAVED_TENSORS_HOOKS"})


def _kept_guards(entries) -> list[bool]:
    return [entry.guard_type in KEPT_GUARDS for entry in entries]


class Turbo:
    """The compiled path of one session: `note` says what its speed comes from; `ready` is
    true once a compiled chunk is in place; `epoch` trains one epoch through it."""

    def __init__(self, session, mode: str = "auto", backend: str = "inductor"):
        self.mode, self.backend = mode, backend
        # the epochs the run stops at (auto weighs them against compiling), None once it goes on
        self.budget: int | None = session.config["epochs"]
        self.swap_seconds: float | None = None  # from starting to compile to ready
        self._chunk: Callable | None = None
        self._evaluation: Callable | None = None  # both sets' metrics in one compiled call, if compiled
        self._evaluating = False  # the chunk ends with that evaluation (an epoch of one chunk)
        self._fresh: tuple[torch.Tensor, tuple] | None = None  # its metrics, and the weights' versions then
        self._states: list | None = None  # the run's optimizer state per weight, once it exists
        self._lr: tuple[float, torch.Tensor] | None = None  # the rate, and as the chunks take it
        self._eager_seconds = 0.0
        self._warming: subprocess.Popen | None = None  # the process compiling for this run, if any
        self._cancelled = False
        self._thread: threading.Thread | None = None
        self._threads = 1  # the run's torch threads, as the compile starts
        self._why = "turned off" if mode == "off" else why_not(session)
        self.note = "" if self._why is None or mode == "off" else f"eager: {self._why}"
        self._named = dict(session.trained.named_parameters())
        self._params = {name: p.detach() for name, p in self._named.items()}  # the run's own: chunks change them
        self._buffers = dict(session.trained.named_buffers())
        self._weights = [name for name, p in self._named.items() if p.dim() > 1]  # as the session's penalty
        # scan is untried under CUDA graphs (no GPU here): on CUDA the steps are written out
        self._looped = session.device.type == "cpu"
        self._batches = session.n_train // session.batch_size  # whole batches an epoch
        self._sized = False  # the steps per call fit to the first eager epoch's speed
        self._size(session, chunk_steps(self._batches, self._looped))

    @property
    def ready(self) -> bool:
        return self._chunk is not None

    def after_eager_epoch(self, session, seconds: float) -> None:
        """Called after an eager epoch (the optimizer's state exists now): start compiling when
        it is wanted and worth it, or take a chunk already compiled for this model."""
        if self._why is not None or self._thread is not None or self._chunk is not None or self._cancelled:
            return
        if not self._sized:  # a heavy model's call stays short enough for Stop
            self._sized = True
            most = max(1, int(CALL_S * session.steps_per_epoch / seconds)) if seconds > 0 else LOOP_STEPS
            self._size(session, chunk_steps(self._batches, self._looped, most))
        with _compiled_lock:
            kept = _compiled.get(self._key)
            if kept is not None:
                _compiled.move_to_end(self._key)
        if kept is not None:
            self._evaluation, self._evaluating, self._chunk = kept[2], kept[3], kept[1]
            self.swap_seconds, self.note = 0.0, "turbo: compiled steps (kept from an earlier run)"
            return
        self._eager_seconds += seconds
        if self.mode == "auto":
            if self._eager_seconds < COMPILE_AFTER_S:
                return  # a run that has trained a while is likely to go on; most runs end sooner
            if self.budget is not None and max(0, self.budget - session.epoch) * seconds < COMPILE_WHEN_LEFT_S:
                return  # too short to gain from compiling: the usual case, nothing to say
        self.note = "eager while the training step compiles"
        self._threads = torch.get_num_threads()  # the run's (per thread): its chunk is compiled for them
        self._thread = threading.Thread(target=self._compile_here, args=(session,), name="turbo-compile", daemon=True)
        self._thread.start()

    @contextlib.contextmanager
    def sharing_cores(self):
        """Around this run's eager work while its chunk compiles: torch's threads in this thread
        leave a core to the compiler. A thread more would wait on the compiler's core at each of
        its parallel kernels: on 2 cores, TF Playground's default trained at 8 epochs/s with 2
        threads and 103 with 1 while the other process compiled (100 alone)."""
        if self._thread is None or not self._thread.is_alive():  # the usual case: nothing compiling
            yield
            return
        threads = torch.get_num_threads()
        fewer = max(1, min(threads, _cores() - 1))
        if fewer == threads:
            yield
            return
        torch.set_num_threads(fewer)  # per thread (OpenMP): the training thread's own kernels
        try:
            yield
        finally:
            torch.set_num_threads(threads)

    def _size(self, session, steps: int) -> None:
        self._steps = steps
        self._rows = steps * session.batch_size
        self._shapes_key = self._cache_key(session)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the compile to end (tests and benchmarks); true when a chunk is ready."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.ready

    def epoch(self, session, order: torch.Tensor, gate: Callable[[], bool], progress: Callable):
        """One epoch in compiled chunks (between which `gate` may stop it) and the rest eager."""
        full = len(order) // self._rows * self._rows
        rows = order[:full].reshape(-1, self._steps, session.batch_size)
        if self._states is None:  # the run's own state, changed in place by every chunk
            self._states = [session.optimizer.state[p] for p in self._named.values()]
            _static(session, self._params, self._states, self._buffers)
        params, states = self._params, self._states
        if self._lr is None or self._lr[0] != session.lr:  # a tensor: a new rate needs no new compile
            self._lr = (session.lr, torch.tensor(session.lr, device=session.device))
        lr = self._lr[1]
        total = torch.zeros((), device=order.device)
        for index in range(len(rows)):
            if not gate():
                return None
            if self._evaluating:
                loss, measured = self._chunk(params, self._buffers, states, session.x_train, session.t_train,
                                             rows[index], lr, session.x_test, session.t_test)
                self._fresh = (measured, self._versions())
            else:
                loss = self._chunk(params, self._buffers, states, session.x_train, session.t_train, rows[index], lr)
            total += loss
            progress((index + 1) * self._steps, total)
        if full < len(order):
            done = len(rows) * self._steps
            rest = train_epoch(session.trained, session.params, session.objective.loss, session.optimizer,
                               session.x_train, session.t_train, order[full:], session.batch_size,
                               session.penalty, session.config["grad_clip"], gate,
                               lambda steps, running: progress(done + steps, total + running))
            if rest is None:
                return None
            total += rest
        return total

    def cancel(self) -> None:
        """The run is closed: stop compiling for it (the compiling process ends)."""
        self._cancelled = True
        if self._warming is not None:
            self._warming.kill()

    def _compile_here(self, session) -> None:
        """Compile in another process first, then here: the thread that compiles here shares the
        interpreter with training and slows it several times over, so it should find the
        compiler's work done and only load it. Both compile for the run's torch threads: dynamo
        guards the chunk on them (a chunk compiled for others would compile again, in the run's
        thread), and inductor keys its cached code on them."""
        # a thread's count is set on its first use from the last set by any thread (the run's, as
        # sharing_cores leaves it meanwhile): first that, then this thread's own
        torch.get_num_threads()
        torch.set_num_threads(self._threads)
        began = time.perf_counter()
        if self.backend == "inductor":
            self._warm_caches(session)
        if not self._cancelled:
            self._compile(session, began)

    def _warm_caches(self, session) -> bool:
        """Compile this session's chunk in a process of its own (`python -m engine.training.turbo`),
        filling inductor's caches on disk while this process trains on at full speed. True when
        it did; a failure (an experiment another process cannot rebuild, say) only costs the
        warm-up."""
        request = json.dumps({"experiment": session.experiment.to_dict(), "device": session.device.type,
                              "steps": self._steps, "threads": self._threads})
        env = {**os.environ, "OMP_NUM_THREADS": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")]))}
        try:
            self._warming = subprocess.Popen([sys.executable, "-m", "engine.training.turbo"], stdin=subprocess.PIPE,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, env=env,
                                             preexec_fn=_die_with_parent)
            if self._cancelled:  # closed while it started
                self._warming.kill()
            self._warming.communicate(request, timeout=WARM_TIMEOUT_S)
        except (OSError, subprocess.SubprocessError):
            if self._warming is not None:
                self._warming.kill()
                self._warming.wait()
            return False
        return self._warming.returncode == 0

    def _compile(self, session, began: float | None = None) -> None:
        began = time.perf_counter() if began is None else began
        try:
            # its own module (tracing swaps a module's tensors), in training mode whatever the run's
            # is meanwhile: the run may be evaluating as it is copied, and batch norm would then be
            # traced on its running statistics
            model = copy.deepcopy(session.trained).train()
            unroll(model)
            # tried on copies: the run goes on with its own tensors meanwhile
            params = {name: p.detach().clone() for name, p in self._named.items()}
            buffers = {name: b.clone() for name, b in self._buffers.items()}
            states = [{k: v.clone() if torch.is_tensor(v) else v for k, v in session.optimizer.state[p].items()}
                      for p in self._named.values()]
            measure = make_evaluation(copy.deepcopy(model).eval(), session.objective)
            evaluation = self._compile_evaluation(session, measure, params, buffers)
            # an epoch that is one chunk ends with the evaluation (the trainer evaluates each epoch)
            evaluating = evaluation is not None and self._rows == session.n_train
            chunk = make_chunk(model, session.objective.loss, session.optimizer, session.weight_penalty,
                               self._weights, session.config["grad_clip"], self._looped,
                               measure if evaluating else None)
            compiled = compile_chunk(chunk, session.device.type, self.backend)
            _static(session, params, states, buffers)
            rows = torch.arange(self._rows, device=session.device).reshape(self._steps, -1)
            compiled(params, buffers, states, session.x_train, session.t_train, rows,
                     torch.tensor(session.lr, device=session.device),
                     *((session.x_test, session.t_test) if evaluating else ()))
        except Exception as err:  # an unsupported layer, a compiler error: the run stays eager
            self._why = f"could not compile ({type(err).__name__}: {first_line(err)})"
            self.note = f"eager: {self._why}"
            return
        with _compiled_lock:
            _compiled[self._key] = (model, compiled, evaluation, evaluating)
            while len(_compiled) > KEEP_COMPILED:
                _compiled.popitem(last=False)
        self.swap_seconds = time.perf_counter() - began
        self._evaluation, self._evaluating, self._chunk = evaluation, evaluating, compiled
        self.note = f"turbo: compiled steps (compiled in {self.swap_seconds:.0f} s)"

    def _compile_evaluation(self, session, measure: Callable, params: dict, buffers: dict) -> Callable | None:
        """`measure` (`make_evaluation`'s) compiled as one call, tried on the chunk's copies; None
        where the sets are larger than eager evaluation's pieces (memory), on a GPU (untried under
        CUDA graphs), or where it does not compile (evaluation then stays eager: the steps still
        gain)."""
        from engine.training.session import EVAL_CHUNK

        if session.device.type != "cpu" or max(len(session.x_train), len(session.x_test)) > EVAL_CHUNK:
            return None
        try:
            evaluation = compile_chunk(measure, session.device.type, self.backend)
            with torch.no_grad():
                evaluation(params, buffers, session.x_train, session.t_train, session.x_test, session.t_test)
        except Exception:
            return None
        return evaluation

    def metrics(self, session) -> torch.Tensor | None:
        """Both sets' `metric_tensor`s, stacked, from the compiled evaluation; None before it is in
        place, or where there is none (the run then evaluates eager)."""
        if self._evaluation is None or self._chunk is None:
            return None
        if self._fresh is not None and self._fresh[1] == self._versions():
            return self._fresh[0]  # the epoch's chunk measured these weights, and they have not changed since
        with torch.no_grad():
            return self._evaluation(self._params, self._buffers, session.x_train, session.t_train, session.x_test,
                                    session.t_test)

    def _versions(self) -> tuple:
        """The run's weights' and buffers' version counters: every change in place (a step,
        load_weights, batch norm's statistics) moves them on."""
        return tuple(t._version for t in (*self._params.values(), *self._buffers.values()))

    @property
    def _key(self) -> tuple:
        return (*self._shapes_key, self.backend)  # the backend may be set after the run is made (tests)

    def _cache_key(self, session) -> tuple:
        """What a compiled chunk depends on, but for the backend (`_key`): the model, loss, optimizer
        settings, shapes, device, steps."""
        config = session.config
        group = {k: v for k, v in session.optimizer.param_groups[0].items() if k not in ("params", "lr")}
        return (json.dumps(session.experiment.model.to_dict(), sort_keys=True), session.objective.loss.__name__,
                type(session.optimizer).__name__, repr(sorted(group.items())), config["regularization"],
                config["reg_rate"], config["grad_clip"], session.batch_size, tuple(session.x_train.shape),
                tuple(session.t_train.shape), str(session.x_train.dtype), str(session.t_train.dtype),
                str(session.device), self._steps)


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _die_with_parent() -> None:
    """In the compiling process (Linux): end when the thread that started it ends, so a worker
    that is put away leaves no compiler running."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the process ends with its compile
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _static(session, params: dict, states: list, buffers: dict) -> None:
    """On CUDA, mark the tensors a chunk changes in place as kept at one address: CUDA graphs
    then replay on them instead of refusing a graph that mutates its inputs."""
    if session.device.type != "cuda":
        return
    from torch._dynamo import mark_static_address

    tensors = [*params.values(), *buffers.values(), session.x_train, session.t_train]
    tensors += [v for state in states for v in state.values() if torch.is_tensor(v)]
    for tensor in tensors:
        mark_static_address(tensor)


if __name__ == "__main__":  # Turbo._warm_caches' process: rebuild the session, train one epoch, compile
    from engine import load_experiment
    from engine.training import turbo
    from engine.training.session import Session

    asked = json.loads(sys.stdin.read())
    turbo.CHUNK_STEPS = turbo.LOOP_STEPS = asked["steps"]  # the steps the run chose
    asked["experiment"]["training"]["turbo"] = "off"  # compiled below, once, in this thread
    torch.set_num_threads(1)
    warming = Session(load_experiment(asked["experiment"]), device=asked["device"])
    warming.run_epoch()
    torch.set_num_threads(asked["threads"])  # the run's: its cached code is keyed on them
    warming.turbo._compile(warming)
    sys.exit(0 if warming.turbo.ready else 1)
