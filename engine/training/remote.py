"""A Trainer in its own process, driven through a pipe, with the same controls and readings.

Why: a training thread shares Python's GIL with the web server that shows it, so each slows the
other (the page redraws late, training runs at a fraction of its speed). In its own process the
run has an interpreter to itself, at a lower priority than the page, and a crash there (even one
that kills the process) ends the run, not the server. Processes come from a fork server that
has torch and the engine imported already, so a new one starts in milliseconds.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import types
from pathlib import Path

from engine.errors import SpecError
from engine.settings import env_int
from engine.training.slots import DEFAULT_LIMIT, TrainingSlots
from engine.training.trainer import ENDED, FAILED, IDLE, Snapshot, Trainer

REPLY_TIMEOUT_S = 30.0  # longer than any single command takes; a silent process is a dead one
CLOSE_TIMEOUT_S = 1.0  # Stop always stops: after this the process is terminated
NICENESS = 5  # the page answers first; training takes the rest of the CPU
THREADS = env_int("NEUROLOOM_TRAINING_THREADS", 1)

_context = None
_shared_slots: TrainingSlots | None = None
_setup = threading.Lock()


def context():
    """The fork-server context (made once): workers fork from a process with torch loaded."""
    global _context
    with _setup:
        if _context is None:
            _context = multiprocessing.get_context("forkserver")
            # torch._dynamo is imported lazily by the first optimizer: preloaded, a new worker
            # answers in tens of milliseconds instead of a second.
            _context.set_forkserver_preload(["engine.training.remote", "engine.training.visuals", "torch._dynamo"])
        return _context


def warm_up() -> None:
    """Start the fork server in the background, so the first training needn't wait for it."""

    def start() -> None:
        from multiprocessing import forkserver

        context()
        with _setup, _main_hidden():
            forkserver.ensure_running()

    threading.Thread(target=start, name="neuroloom-forkserver", daemon=True).start()


def shared_slots() -> TrainingSlots:
    """The server-wide cap for trainings in processes (a semaphore they all share)."""
    global _shared_slots
    ctx = context()
    with _setup:
        if _shared_slots is None:
            _shared_slots = TrainingSlots(DEFAULT_LIMIT, semaphore=ctx.BoundedSemaphore(DEFAULT_LIMIT))
        return _shared_slots


@contextlib.contextmanager
def _main_hidden():
    """Streamlit runs the page as `__main__`, and a new process would import `__main__` again
    (running the page there): show it an empty one while the process starts."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


class _TrackedSlots:
    """The shared cap, noting in shared memory whether this worker holds a slot, so the parent
    can give it back if the worker dies holding it."""

    def __init__(self, slots: TrainingSlots, holding):
        self.slots, self.holding, self.limit = slots, holding, slots.limit

    def acquire(self, cancelled) -> bool:
        taken = self.slots.acquire(cancelled)
        self.holding.value = int(taken)
        return taken

    def release(self) -> None:
        self.holding.value = 0
        self.slots.release()


def _serve(conn, raw: dict, device: str | None, slots: TrainingSlots | None, log_dir: str | None, holding=None) -> None:
    """The worker: one Trainer, answering the parent's commands until told to close or orphaned."""
    with contextlib.suppress(OSError):  # not allowed everywhere; then it runs at normal priority
        os.nice(NICENESS)
    import torch

    # One thread per training: the server runs several at once (capped at the core count), and
    # playground-sized models lose more to thread hand-offs than they gain from parallel kernels.
    torch.set_num_threads(THREADS)
    from engine.experiment import load_experiment
    from engine.training.tensorboard import TensorBoardLog

    log = TensorBoardLog(log_dir) if log_dir else None
    tracked = _TrackedSlots(slots, holding) if slots is not None else None
    trainer = Trainer(load_experiment(raw), device=device, slots=tracked, on_epoch=log)
    try:
        while True:
            try:
                name, args = conn.recv()
            except (EOFError, OSError):
                break  # the page is gone
            try:
                conn.send(("ok", _dispatch(trainer, name, args)))
            except SpecError as err:
                conn.send(("spec", err.problems))
            except Exception as err:
                conn.send(("error", f"{type(err).__name__}: {err}"))
            if name == "close":
                break
    finally:
        trainer.close()
        if log is not None:
            log.close()


def _dispatch(trainer: Trainer, name: str, args: tuple):
    if name in ("start", "pause", "step", "stop", "reset", "set_lr", "close", "load_weights"):
        getattr(trainer, name)(*args)
        return trainer.snapshot(visuals=False)
    if name == "snapshot":
        return trainer.snapshot(*args)
    if name == "history":
        return trainer.history()[args[0] :]
    if name == "weights":
        return trainer.weights()
    raise ValueError(f"unknown command {name!r}")


class RemoteTrainer:
    """Like `Trainer`, but the training runs in a separate process."""

    def __init__(self, experiment, device: str | None = None, slots: TrainingSlots | None = None,
                 log_dir: str | Path | None = None):
        self.experiment = experiment
        self._options = (device, slots, log_dir and str(log_dir))
        self._lock = threading.Lock()
        self._dataset = None
        self._spawn()

    def _spawn(self) -> None:
        """A new worker process at epoch 0."""
        device, slots, log_dir = self._options
        ctx = context()
        self._conn, child = ctx.Pipe()
        self._holding = ctx.Value("b", 0, lock=False)  # whether the worker holds a training slot
        self._process = ctx.Process(target=_serve, name="neuroloom-trainer", daemon=True,
                                    args=(child, self.experiment.to_dict(), device, slots, log_dir, self._holding))
        with _setup, _main_hidden():
            self._process.start()
        child.close()
        self._history: list[dict] = []
        self._last = Snapshot(state=IDLE, epoch=0, epochs=self.experiment.training["epochs"], step=0,
                              lr=self.experiment.training["lr"], device="")
        self._last = self._call("snapshot", False) or self._last

    # -- controls ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._control("start")

    def resume(self) -> None:
        self._control("start")

    def pause(self) -> None:
        self._control("pause")

    def step(self) -> None:
        self._control("step")

    def stop(self) -> None:
        self._control("stop")

    def set_lr(self, lr: float) -> None:
        if not (isinstance(lr, int | float) and 0 < lr <= 100):
            raise ValueError(f"the learning rate must be a number in (0, 100], got {lr!r}")
        self._control("set_lr", float(lr))

    def reset(self) -> None:
        """Fresh weights and an empty history; after a crash, a fresh process."""
        if self._conn.closed:
            self._spawn()
            return
        self._control("reset")
        with self._lock:
            self._history = []

    def close(self) -> None:
        """Stop the run and end the process within about a second, whatever it is doing."""
        with self._lock:
            if not self._conn.closed:
                try:
                    self._conn.send(("close", ()))
                    if self._conn.poll(CLOSE_TIMEOUT_S / 2):
                        status, value = self._conn.recv()
                        if status == "ok":
                            self._last = value  # a run that had ended keeps its final state
                except (OSError, EOFError):
                    pass
                self._conn.close()
        self._end_process(CLOSE_TIMEOUT_S / 2)
        if self._last.state not in ENDED:
            self._last = _with(self._last, state="stopped", message=f"stopped at epoch {self._last.epoch}")

    def _end_process(self, grace: float) -> None:
        """Let the worker exit (or make it), and give back a slot it died holding."""
        self._process.join(grace)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(grace)
        slots = self._options[1]
        if self._holding.value and slots is not None:
            self._holding.value = 0
            with contextlib.suppress(ValueError):  # already given back
                slots.release()

    def load_weights(self, path) -> None:
        """Load a safetensors file into the model (not while training); `SpecError` if it does not fit."""
        self._control("load_weights", str(path))

    # -- readings ---------------------------------------------------------------------------------

    def snapshot(self, visuals: bool = True) -> Snapshot:
        answer = self._call("snapshot", visuals)
        if answer is not None:
            self._last = answer
        return self._last

    def last_snapshot(self) -> Snapshot:
        """The snapshot that came with the process's last answer, without asking it again (an
        answer waits for the training process to be scheduled: tens of ms on a busy machine)."""
        return self._last

    @property
    def state(self) -> str:
        return self.snapshot(visuals=False).state

    def history(self) -> list[dict]:
        with self._lock:
            known = len(self._history)
        newer = self._call("history", known) or []
        with self._lock:
            self._history.extend(newer)
            return list(self._history)

    def weights(self) -> dict:
        return self._call("weights") or {}

    @property
    def dataset(self):
        if self._dataset is None:
            from engine.data import make_dataset

            self._dataset = make_dataset(self.experiment.data)  # the same data the process made
        return self._dataset

    def wait(self, timeout: float | None = None) -> bool:
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.state not in ENDED:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    # -- the pipe ---------------------------------------------------------------------------------

    def _control(self, name: str, *args) -> None:
        answer = self._call(name, *args)
        if answer is not None:
            self._last = answer

    def _call(self, name: str, *args):
        with self._lock:
            if self._conn.closed:
                return None
            try:
                self._conn.send((name, args))
                if not self._conn.poll(REPLY_TIMEOUT_S):
                    raise TimeoutError(f"no answer to {name} within {REPLY_TIMEOUT_S:.0f} s")
                status, value = self._conn.recv()
            except (OSError, EOFError, TimeoutError) as err:
                self._died(err)
                return None
        if status == "spec":
            raise SpecError(value)
        if status == "error":
            raise RuntimeError(value)
        return value

    def _died(self, err: Exception) -> None:
        """The process is gone (or mute): the run ends as failed, the page carries on."""
        self._conn.close()
        self._end_process(0.1)
        code = self._process.exitcode
        self._last = _with(self._last, state=FAILED,
                           message=f"the training process stopped unexpectedly (exit code {code}; {err}). "
                                   "Reset to start again; your experiment is unchanged.")


def _with(snapshot: Snapshot, **changes) -> Snapshot:
    from dataclasses import replace

    return replace(snapshot, **changes)

