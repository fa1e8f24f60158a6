"""A Trainer in its own process, driven through a pipe, with the same controls and readings.

Why: a training thread shares Python's GIL with the web server that shows it, so each slows the
other (the page redraws late, training runs at a fraction of its speed). In its own process the
run has an interpreter to itself, at a lower priority than the page, and a crash there (even one
that kills the process) ends the run, not the server. Processes come from a fork server that
has torch and the engine imported already, so a new one starts in milliseconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import multiprocessing
import multiprocessing.connection
import os
import sys
import threading
import time
import types
import weakref
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from engine.errors import SpecError
from engine.settings import env_int
from engine.training import compiled_cache
from engine.training.limits import RunLimits, cap_address_space, in_words, out_of_memory
from engine.training.slots import DEFAULT_LIMIT, TrainingSlots
from engine.training.trainer import ENDED, FAILED, IDLE, RUNNING, STOPPED, WAITING, Snapshot, Trainer

REPLY_TIMEOUT_S = 30.0  # longer than any single command takes; a silent process is a dead one
CLOSE_TIMEOUT_S = 1.0  # Stop always stops: after this the process is terminated
NICENESS = 5  # the page answers first; training takes the rest of the CPU
THREADS = env_int("NEUROLOOM_TRAINING_THREADS", 1)
IDLE_WORKER_S = env_int("NEUROLOOM_IDLE_WORKER_S", 600)  # a worker not training this long is put away
PAGE_GONE_PAUSE_S = 5.0  # a run whose page has been gone this long pauses (a dropped connection is back sooner)
PAGE_GONE_PUT_AWAY_S = 30.0  # and its worker is ended (a reload is a new session: this one is orphaned)
# Each worker holds its run's data and model, waiting or not: their number bounds the server's memory
# drawing an untrained model's pictures in the server's own process (a page load, before any Train)
# is skipped above this: the presets' largest takes 1.1e8; a link could ask the epoch limit's 5e11
UNTRAINED_PICTURE_MACS = env_int("NEUROLOOM_UNTRAINED_PICTURE_MACS", 5 * 10**9)
MAX_WORKERS = env_int("NEUROLOOM_MAX_WORKERS", 2 * (os.cpu_count() or 1) + 2)

_context = None
_shared_slots: TrainingSlots | None = None
_setup = threading.Lock()
# A worker's exit code comes once down the fork server's pipe: two threads reading it at once (the
# reaper, a page, Process.start() tidying up) leave the loser with 255. They read one at a time.
_joining = threading.Lock()


def _exit_code(process) -> int | None:
    """The process's exit code, None while it runs (read under `_joining`)."""
    with _joining:
        process.join(0)
        return process.exitcode


def _ended(process, timeout: float | None) -> bool:
    """Wait up to `timeout` s for the process to end, without holding `_joining` meanwhile."""
    multiprocessing.connection.wait([process.sentinel], timeout)
    return _exit_code(process) is not None


def context():
    """The fork-server context (made once): workers fork from a process with torch loaded."""
    global _context
    with _setup:
        if _context is None:
            compiled_cache.keep_in_state_folder()  # before any worker starts: they inherit it
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
    """The server-wide cap for trainings in processes (one queue they all share)."""
    global _shared_slots
    ctx = context()
    with _setup:
        if _shared_slots is None:
            _shared_slots = TrainingSlots(DEFAULT_LIMIT, context=ctx)
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
    """The shared cap, noting in shared memory what this worker has (a slot, or a place in the
    queue), so the parent can give it back if the worker dies with it."""

    def __init__(self, slots: TrainingSlots, seat):
        self.slots, self.seat = slots, seat
        self.limit, self.slice_s = slots.limit, slots.slice_s

    def acquire(self, cancelled) -> bool:
        return self.slots.acquire(cancelled, self.seat)

    def release(self) -> None:
        self.slots.release(self.seat)

    def turn_over(self, held_s: float) -> bool:
        return self.slots.turn_over(held_s)


def _serve(conn, raw: dict, device: str | None, slots: TrainingSlots | None, log_dir: str | None, seat=None,
           limits: RunLimits | None = None, record: dict | None = None) -> None:
    """The worker: one Trainer, answering the parent's commands until told to close or orphaned.
    With `record` ({"owner": ..., "home": folder, optionally "name" and "tags"}), its runs go into
    that run store (named by the page: a worker forked from the fork server has the server's
    environment as it was at start)."""
    limits = limits or RunLimits()
    if limits.max_memory_bytes is not None:  # first: everything the run builds counts against it
        with contextlib.suppress(OSError, ValueError):  # no /proc or no RLIMIT_AS (not Linux): no cap
            cap_address_space(limits.max_memory_bytes)
    with contextlib.suppress(OSError):  # not allowed everywhere; then it runs at normal priority
        os.nice(NICENESS)
    import torch

    # One thread per training: the server runs several at once (capped at the core count), and
    # playground-sized models lose more to thread hand-offs than they gain from parallel kernels.
    torch.set_num_threads(THREADS)
    from engine.experiment import load_experiment
    from engine.runs.follower import RunFollower
    from engine.training.tensorboard import TensorBoardLog

    log = TensorBoardLog(log_dir) if log_dir else None
    follower = (RunFollower(raw, record.get("owner"), record.get("home"), record.get("name"), record.get("tags", ()))
                if record is not None else None)
    listeners = [f for f in (log, follower and follower.on_epoch) if f is not None]
    tracked = _TrackedSlots(slots, seat) if slots is not None else None
    try:
        trainer = Trainer(load_experiment(raw), device=device, slots=tracked, limits=limits,
                          on_epoch=(lambda session, metrics: [f(session, metrics) for f in listeners]) if listeners else None)
    except Exception as err:  # the run cannot be built: its first answer says why, then it ends
        _answer_failed(conn, _build_failure(err, limits))
        if log is not None:
            log.close()
        return
    try:
        _answer(conn, trainer, follower)
    finally:
        trainer.close()
        if follower is not None:
            follower.look(trainer)
            follower.end(trainer, "stopped", "the page was closed")
        if log is not None:
            log.close()


def _answer(conn, trainer: Trainer, follower=None) -> None:
    """Answer commands until told to close or the page is gone; a run out of memory ends here."""
    while True:
        try:
            name, args = conn.recv()
        except (EOFError, OSError):
            return  # the page is gone
        try:
            if follower is not None and name == "reset":
                follower.end(trainer, "stopped", "reset")  # a Reset starts a new run
            conn.send(("ok", _dispatch(trainer, name, args)))
            if follower is not None:
                follower.look(trainer)
        except SpecError as err:
            conn.send(("spec", err.problems))
        except Exception as err:
            if out_of_memory(err):
                conn.send(("failed", trainer.limits.memory_message()))
                return
            conn.send(("error", f"{type(err).__name__}: {err}"))
        if name == "close":
            return


def _build_failure(err: Exception, limits: RunLimits) -> str:
    if out_of_memory(err):
        return limits.memory_message()
    if isinstance(err, SpecError):
        return "; ".join(err.lines())
    return f"the run could not be set up: {type(err).__name__}: {err}"


def _answer_failed(conn, message: str) -> None:
    with contextlib.suppress(EOFError, OSError):
        conn.recv()
        conn.send(("failed", message))


def _dispatch(trainer: Trainer, name: str, args: tuple):
    if name in ("start", "pause", "step", "stop", "reset", "set_lr", "close", "load_weights", "set_insight"):
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
    """Like `Trainer`, but the training runs in a separate process, started by the first
    start, step, load_weights or weights (a page that is only looked at costs no process), and
    put away after `idle_s` seconds without training (its numbers stay on show; Reset starts
    again)."""

    def __init__(self, experiment, device: str | None = None, slots: TrainingSlots | None = None,
                 log_dir: str | Path | None = None, limits: RunLimits | None = None, idle_s: float | None = None,
                 max_workers: int | None = None, record: dict | None = None,
                 page_open: Callable[[], bool] | None = None, visitor: str | None = None):
        """`page_open`: whether the page that shows this run is still open (asked by the reaper;
        None: always). `visitor`: whose run it is (a browser's id), so that a full server shares its
        worker places between visitors (see `_Reaper.make_room`)."""
        self.experiment = experiment
        self.visitor = visitor
        self._page_open = page_open
        self._seen_at = time.monotonic()
        self._record = record  # {"owner": ..., "home": ...}: the worker records its runs in that run store
        self.limits = limits or RunLimits()
        self.idle_s = IDLE_WORKER_S if idle_s is None else idle_s
        self.max_workers = MAX_WORKERS if max_workers is None else max_workers  # across the server
        self._options = (device, slots, log_dir and str(log_dir))
        self._lock = threading.Lock()
        self._dataset = None
        self._closed = False  # by close(): nothing starts again
        self._device_words: str | None = None
        self._insight: tuple | None = None  # the open insight view (view, node, sample), sent to each worker
        self._unstarted()

    def _unstarted(self) -> None:
        """No worker (yet): an idle run at epoch 0."""
        self._conn = self._process = self._seat = None
        self._history: list[dict] = []
        self._lr = self.experiment.training["lr"]
        self._last = Snapshot(state=IDLE, epoch=0, epochs=self.experiment.training["epochs"], step=0,
                              lr=self._lr, device=self._device())
        self._active_at = time.monotonic()

    def _device(self) -> str:
        """The device the run would use, in words, without touching it (a CUDA context in the
        page's process would take GPU memory for nothing)."""
        if self._device_words is None:
            from engine.training.device import describe, pick_device

            try:
                device = pick_device(self._options[0] or self.experiment.training["device"])
            except SpecError:
                self._device_words = ""  # the worker will say why
            else:
                self._device_words = "CUDA" if device.type == "cuda" else describe(device)
        return self._device_words

    def _ensure_started(self) -> None:
        """Start the worker unless there is one, or the run was closed or its worker is gone
        (crashed, failed, put away: then only Reset starts again)."""
        with self._lock:
            self._active_at = time.monotonic()
            if self._closed or self._conn is not None:
                return
            if _reaper.live() >= self.max_workers:
                _reaper.reclaim()  # the workers of closed pages give up their places first
            if _reaper.live() >= self.max_workers:
                _reaper.make_room(self.visitor)  # then a place of whoever holds the most
            if _reaper.live() >= self.max_workers:
                self._remember(replace(self._last, message=(
                    f"the server is busy: {self.max_workers} trainings are open (NEUROLOOM_MAX_WORKERS); "
                    "press Train again in a minute")))
                return
            self._spawn()
        if self._lr != self.experiment.training["lr"]:
            self._control("set_lr", self._lr)  # a rate set before the worker existed
        if self._insight is not None:
            self._control("set_insight", *self._insight)

    def _spawn(self) -> None:
        """A new worker process at epoch 0 (with self._lock held)."""
        device, slots, log_dir = self._options
        ctx = context()
        compiled_cache.bound()  # a new worker may compile: the cache it adds to stays bounded
        self._conn, child = ctx.Pipe()
        self._seat = ctx.Value(ctypes.c_int64, 0, lock=False)  # what the worker has of the slots
        self._process = ctx.Process(target=_serve, name="neuroloom-trainer", daemon=True,
                                    args=(child, self.experiment.to_dict(), device, slots, log_dir, self._seat,
                                          self.limits, self._record))
        with _setup, _joining, _main_hidden():  # start() also reads the exit codes of ended workers
            self._process.start()
        child.close()
        _reaper.watch(self)

    def _worker_alive(self) -> bool:
        return self._conn is not None and not self._conn.closed

    # -- controls ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._ensure_started()
        self._control("start")

    def resume(self) -> None:
        self.start()

    def pause(self) -> None:
        self._control("pause")

    def step(self) -> None:
        self._ensure_started()
        self._control("step")

    def stop(self) -> None:
        self._control("stop")

    def set_lr(self, lr: float) -> None:
        if not (isinstance(lr, int | float) and 0 < lr <= 100 and math.isfinite(lr)):
            raise ValueError(f"the learning rate must be a number in (0, 100], got {lr!r}")
        if self._conn is None and not self._closed:  # applied when the worker starts
            self._lr = float(lr)
            self._last = replace(self._last, lr=self._lr)
            return
        self._control("set_lr", float(lr))

    def set_insight(self, view: str | None, node: str | None = None, sample: int = 0) -> None:
        """Open an insight view in the worker (None closes it); without a worker, drawn here."""
        self._insight = (view, node, int(sample)) if view else None
        if self._conn is not None:
            self._control("set_insight", *(self._insight or (None,)))
        elif self._last.visuals is not None:
            self._last = replace(self._last, visuals=self._untrained_visuals())

    def reset(self) -> None:
        """Fresh weights and an empty history; after a crash or once put away, a fresh process
        (when next needed)."""
        if self._closed or self._conn is None:
            return
        if self._conn.closed:
            self._end_process(0.1)
            self._unstarted()
            return
        self._control("reset")
        with self._lock:
            self._history = []

    def close(self) -> None:
        """Stop the run and end the process within about a second, whatever it is doing."""
        with self._lock:  # not while a worker is being started
            self._closed = True
            if self._conn is None:
                return
            self._last = self._close_pipe()
        self._end_process(CLOSE_TIMEOUT_S / 2)
        if self._last.state not in ENDED:
            self._last = replace(self._last, state=STOPPED, message=f"stopped at epoch {self._last.epoch}")

    def _close_pipe(self) -> Snapshot:
        """Ask the worker to close and close the pipe (self._lock held); the run's last snapshot."""
        final = self._last
        if self._conn.closed:
            return final
        try:
            self._conn.send(("close", ()))
            if self._conn.poll(CLOSE_TIMEOUT_S / 2):
                status, value = self._conn.recv()
                if status == "ok":
                    final = value  # a run that had ended keeps its final state
                elif status == "failed":
                    final = replace(final, state=FAILED, message=value)
        except (OSError, EOFError):
            pass
        self._conn.close()
        return final

    def _end_process(self, grace: float) -> int:
        """Let the worker exit (or make it), and give back what it died holding of the slots; its
        exit code."""
        process = self._process
        if not _ended(process, grace):
            process.terminate()
            if not _ended(process, grace):
                process.kill()
                _ended(process, None)
        slots = self._options[1]
        if slots is not None:
            slots.vacate(self._seat)
        return _exit_code(process)

    def worker_exit_code(self, timeout: float) -> int | None:
        """The worker's exit code once it has ended (waiting up to `timeout` s); None while it runs."""
        return _exit_code(self._process) if self._process is not None and _ended(self._process, timeout) else None

    def load_weights(self, path) -> None:
        """Load a safetensors file into the model (not while training); `SpecError` if it does not fit."""
        self._ensure_started()
        self._control("load_weights", str(path))

    # -- putting an idle worker away --------------------------------------------------------------

    def tend(self) -> bool:
        """The reaper's round: pause a run whose page has gone, and put the worker away once the
        page has been gone a while or the run has been idle `idle_s` seconds. False once there
        is no worker to watch."""
        if not self._worker_alive():
            return False
        now = time.monotonic()
        if self._page_open is None or self._page_open():
            self._seen_at = now
        gone = now - self._seen_at
        if gone >= PAGE_GONE_PUT_AWAY_S:
            return self._put_away(f"put away: its page was closed {in_words(PAGE_GONE_PUT_AWAY_S)} ago. Reset starts again.")
        if gone >= PAGE_GONE_PAUSE_S and self._last.state in (RUNNING, WAITING) \
                and self.snapshot(visuals=False).state in (RUNNING, WAITING):
            self.pause()  # nobody watches it: the server's CPU goes to the pages still open
            self._last = replace(self._last, message="paused: its page was closed")
            return True
        return self.put_away_if_idle()

    def put_away_if_idle(self) -> bool:
        """End the worker if the run has not been training or waiting for `idle_s` seconds; its
        history and last snapshot stay. False once there is no worker to watch."""
        if not self._worker_alive():
            return False
        if time.monotonic() - self._active_at < self.idle_s:
            return True
        return self._put_away(f"put away after {in_words(self.idle_s)} idle to free the server. Reset starts again.",
                              idle=True)

    def _put_away(self, reason: str, idle: bool = False) -> bool:
        """End the worker, keeping the run's history and last snapshot, with `reason` said."""
        before = self.snapshot(visuals=False)  # asks the worker: the page may not have for a while
        if idle and before.state in (RUNNING, WAITING):
            return True
        self.history()  # every epoch stays on show
        with self._lock:
            if not self._worker_alive() or (idle and time.monotonic() - self._active_at < self.idle_s):
                return self._worker_alive()  # a control came in meanwhile
            self._close_pipe()
            was = f"{before.message}; " if before.message else f"{before.state} at epoch {before.epoch}; "
            self._last = replace(before, state=STOPPED, visuals=self._last.visuals, message=was + reason)
        self._end_process(CLOSE_TIMEOUT_S / 2)
        return False

    # -- readings ---------------------------------------------------------------------------------

    def snapshot(self, visuals: bool = True) -> Snapshot:
        answer = self._call("snapshot", visuals)
        if answer is not None:
            self._remember(answer)
        elif visuals and self._conn is None and not self._closed and self._last.visuals is None:
            self._last = replace(self._last, visuals=self._untrained_visuals())
        return self._last

    def _untrained_visuals(self) -> dict:
        """The pictures of the model as its first Train will start it (the same seed, so the same
        weights), drawn here: a run nobody trains yet costs no process, and still shows what it
        would learn from."""
        from engine.budget import picture_macs
        from engine.training import insights
        from engine.training.session import Session
        from engine.training.visuals import all_visuals

        experiment = self.experiment
        cost = picture_macs(experiment.analysis, experiment.data_info, experiment.data)
        if cost > UNTRAINED_PICTURE_MACS:  # the training process draws them once Train starts it
            return {"skipped": f"drawing them would take about {cost:.3g} multiply-adds in the page's own process"}
        try:
            session = Session(self.experiment, "cpu", dataset=self.dataset)
            return {**all_visuals(session),
                    "insight": insights.compute(session, *self._insight) if self._insight else None}
        except Exception as err:  # a picture that cannot be drawn must not break the page
            return {"error": f"{type(err).__name__}: {err}"}

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
        self._ensure_started()
        return self._call("weights") or {}

    @property
    def dataset(self):
        if self._dataset is None:
            from engine.data import make_dataset

            self._dataset = make_dataset(self.experiment.data)  # the same data the process made
        return self._dataset

    def wait(self, timeout: float | None = None) -> bool:
        if self._conn is None:  # nothing started, nothing to wait for
            return self._last.state in ENDED
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.state not in ENDED:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    # -- the pipe ---------------------------------------------------------------------------------

    def _control(self, name: str, *args) -> None:
        self._active_at = time.monotonic()  # a click counts as use
        answer = self._call(name, *args)
        if answer is not None:
            self._remember(answer)

    def _remember(self, snapshot: Snapshot) -> None:
        self._last = snapshot
        if snapshot.state in (RUNNING, WAITING):
            self._active_at = time.monotonic()

    def _call(self, name: str, *args):
        with self._lock:
            if not self._worker_alive():
                return None
            try:
                self._conn.send((name, args))
                if not self._conn.poll(REPLY_TIMEOUT_S):
                    raise TimeoutError(f"no answer to {name} within {REPLY_TIMEOUT_S:.0f} s")
                status, value = self._conn.recv()
            except (OSError, EOFError, TimeoutError) as err:
                self._died(err)
                return None
            if status == "failed":
                self._failed(value)
                return None
        if status == "spec":
            raise SpecError(value)
        if status == "error":
            raise RuntimeError(value)
        return value

    def _died(self, err: Exception) -> None:
        """The process is gone (or mute): the run ends as failed, the page carries on."""
        self._conn.close()
        code = self._end_process(0.1)
        self._last = replace(self._last, state=FAILED,
                             message=f"the training process stopped unexpectedly (exit code {code}; {err}). "
                                     "Reset to start again; your experiment is unchanged.")

    def _failed(self, message: str) -> None:
        """The worker ended the run with a reason (it could not be built, or ran out of memory)."""
        self._conn.close()
        self._end_process(CLOSE_TIMEOUT_S)
        self._last = replace(self._last, state=FAILED, message=message)


class _Reaper:
    """One daemon thread per process (started with the first worker) that pauses the runs of
    closed pages and puts away the workers of runs idle too long, so a closed or forgotten tab
    does not hold the CPU or a process for ever."""

    def __init__(self):
        self._watched: weakref.WeakSet[RemoteTrainer] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, trainer: RemoteTrainer) -> None:
        with self._lock:
            self._watched.add(trainer)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="neuroloom-reaper", daemon=True)
                self._thread.start()
        self._wake.set()  # its idle time may be shorter than the current wait

    def live(self) -> int:
        """How many watched runs have a worker process now."""
        with self._lock:
            watched = list(self._watched)
        return sum(1 for t in watched if t._worker_alive())

    def _loop(self) -> None:
        while True:
            self._wake.wait(self._interval())
            self._wake.clear()
            with self._lock:
                watched = list(self._watched)
            for trainer in watched:
                try:
                    keep = trainer.tend()
                except Exception:  # one broken trainer must not stop the others being put away
                    keep = False
                if not keep:
                    with self._lock:
                        self._watched.discard(trainer)

    def reclaim(self) -> None:
        """End the workers of runs whose pages are closed now, without waiting for their time:
        a page that is open needs the place."""
        with self._lock:
            watched = list(self._watched)
        for trainer in watched:
            try:
                if trainer._page_open is not None and trainer._worker_alive() and not trainer._page_open():
                    trainer._put_away("put away: its page was closed and another page needed its place. "
                                      "Reset starts again.")
            except Exception:  # as in the rounds: one broken trainer must not stop the others
                continue

    def make_room(self, visitor: str | None) -> bool:
        """Free one worker place for `visitor` if another visitor holds at least two more places
        than `visitor` does (a race, runs kept for Undo): that visitor's least busy run gives its
        place up, one not training before one that is, the longest unused first. True if it did."""
        if visitor is None:
            return False
        with self._lock:
            watched = list(self._watched)
        held: dict[str, list[RemoteTrainer]] = {}
        for trainer in watched:
            if trainer.visitor is not None and trainer._worker_alive():
                held.setdefault(trainer.visitor, []).append(trainer)
        richest = max(held, key=lambda v: len(held[v]), default=None)
        if richest is None or len(held[richest]) < len(held.get(visitor, [])) + 2:
            return False
        least_busy = min(held[richest], key=lambda t: (t.last_snapshot().state in (RUNNING, WAITING), t._active_at))
        try:
            least_busy._put_away("put away: the server is full, and another visitor needed a place "
                                 "more than this browser's other runs. Reset starts again.")
        except Exception:  # as in the rounds: one broken trainer must not stop the others
            return False
        return True

    def _interval(self) -> float:
        with self._lock:
            idle = [t.idle_s for t in self._watched]
            pages = any(t._page_open is not None for t in self._watched)
        longest = PAGE_GONE_PAUSE_S / 4 if pages else 30.0  # a closed page is noticed within a second or two
        return min(longest, max(0.05, min(idle) / 4)) if idle else 30.0


_reaper = _Reaper()
