"""The background trainer: runs a session on its own thread, controlled from any other.

Controls (start, pause, resume, step, stop, set_lr, reset) only set flags under a lock; the
training thread reads them between steps, so every control takes effect within one step and
Stop always stops. The thread publishes immutable snapshots; `snapshot()` returns the newest,
so a reader polling at any rate never builds a backlog. Pictures (decision boundary, neurons,
confusion matrix) are drawn only when someone has asked for a snapshot since the last ones,
so a run nobody watches pays nothing for them.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from engine.errors import Problem, SpecError
from engine.experiment import Experiment
from engine.training import insights
from engine.training.device import describe
from engine.training.limits import RunLimits, in_words, out_of_memory
from engine.training.session import Session
from engine.training.slots import TrainingSlots
from engine.training.visuals import all_visuals

IDLE, WAITING, RUNNING, PAUSED, FINISHED, STOPPED, DIVERGED, FAILED = (
    "idle",
    "waiting",
    "running",
    "paused",
    "finished",
    "stopped",
    "diverged",
    "failed",
)
ENDED = (FINISHED, STOPPED, DIVERGED, FAILED)
PROGRESS_EVERY_S = 0.1  # publish the running loss this often inside a long epoch
VISUALS_EVERY_S = 0.05  # draw pictures at most this often, and only when asked for
INSIGHT_EVERY_S = 0.5  # an open insight view at most this often (the page redraws it once a second)
RATE_WINDOW_S = 2.0  # the speed shown is over about this long (it changes when turbo swaps in)
TURN_CHECK_EVERY_S = 0.1  # once a turn is up, look this often whether anyone waits for the slot


class _Stopped(Exception):
    """Raised inside the thread when a run is stopped before it got a slot."""


@dataclass(frozen=True)
class Snapshot:
    """What a reader sees: the state, counters, latest metrics and (when asked for) pictures."""

    state: str
    epoch: int
    epochs: int  # the run's epoch budget; 0 once it went on past it
    step: int
    lr: float
    device: str
    metrics: dict[str, Any] = field(default_factory=dict)
    visuals: dict[str, Any] | None = None
    message: str = ""
    seconds: float = 0.0
    epochs_per_second: float = 0.0  # over the last few seconds (since the start until then)
    running_loss: float | None = None  # mean batch loss so far in the current epoch
    version: int = 0  # grows with every publication
    speed: str = ""  # where the speed comes from: compiled steps (turbo) or eager, and why


class Trainer:
    """Train an experiment in the background. Build it, `start()`, poll `snapshot()`."""

    def __init__(
        self,
        experiment: Experiment,
        device: str | None = None,
        flush_denormal: bool = True,
        slots: TrainingSlots | None = None,
        on_epoch: Callable[[Session, dict], None] | None = None,
        limits: RunLimits | None = None,
    ):
        """`slots` caps how many trainers run at once (the page shares one cap per server);
        a trainer waiting for a slot is in state "waiting", a paused one gives its slot up, and
        one whose turn is up gives it to the next in the queue. `limits`: how long it may run."""
        self.experiment = experiment
        self.limits = limits or RunLimits()
        self._slots = slots
        self._on_epoch = on_epoch  # called in the training thread after each epoch (e.g. TensorBoard)
        self._device_name = device
        self._flush_denormal = flush_denormal
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._new_session()

    # -- controls (any thread) ------------------------------------------------------------------

    def start(self) -> None:
        """Start training, resume it when paused, or go on past the epoch budget once the run
        has stopped there (same weights and optimizer state, until paused)."""
        self._go_on(pause_after_epoch=False)

    def _go_on(self, pause_after_epoch: bool) -> None:
        if self._state == FINISHED:
            self._wait_for_thread()  # it may still be publishing the budget stop's last pictures
        with self._lock:
            if self._state == IDLE:
                self._launch(pause_after_epoch=pause_after_epoch)
            elif self._state == PAUSED:
                self._paused, self._pause_after_epoch = False, pause_after_epoch
                self._set_state(RUNNING)
            elif self._state == FINISHED:
                self._budget = None  # the budget was a first stop: the run now goes on until paused
                self._message = ""
                self._launch(pause_after_epoch=pause_after_epoch)

    def _wait_for_thread(self) -> None:
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def resume(self) -> None:
        self.start()

    def pause(self) -> None:
        with self._lock:
            if self._state in (RUNNING, WAITING):
                self._paused = True
                self._set_state(PAUSED)

    def step(self) -> None:
        """Run exactly one more epoch, then pause (past the budget too)."""
        self._go_on(pause_after_epoch=True)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the run and wait (up to `timeout` seconds) for the thread to leave."""
        with self._lock:
            self._stop = True
            self._lock.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        with self._lock:
            if self._state not in ENDED:
                self._set_state(STOPPED)

    def set_lr(self, lr: float) -> None:
        """Change the learning rate; it applies from the next step."""
        if not (isinstance(lr, int | float) and 0 < lr <= 100 and math.isfinite(lr)):
            raise ValueError(f"the learning rate must be a number in (0, 100], got {lr!r}")
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self.session.set_lr(float(lr))
            else:
                self._pending_lr = float(lr)  # the training thread applies it before its next step
            self._snapshot = self._make_snapshot()

    def set_insight(self, view: str | None, node: str | None = None, sample: int = 0) -> None:
        """Open an insight view (see `insights.VIEWS`; None closes it): computed with the pictures,
        in the training thread while training (which owns the model), at once otherwise."""
        with self._lock:
            self._insight_request = (view, node, int(sample)) if view else None
            self._visuals_wanted = True
            if self._thread is None or not self._thread.is_alive():
                self._visuals = {**(self._visuals or self._all_visuals()), "insight": self._insight()}
                self._snapshot = self._make_snapshot()

    def reset(self) -> None:
        """Stop, then start over from fresh weights (same seed) with an empty history. Waits for
        the step in progress to end, however long: the old run must not write into the new one."""
        self.stop()
        self._wait_for_thread()
        with self._lock:
            self._new_session()

    def close(self) -> None:
        self.stop()
        self.session.turbo.cancel()

    # -- reading (any thread) -------------------------------------------------------------------

    def snapshot(self, visuals: bool = True) -> Snapshot:
        """The newest snapshot. Asking (with `visuals`) requests fresh pictures for the next one."""
        if visuals:
            self._visuals_wanted = True
        return self._snapshot

    @property
    def state(self) -> str:
        return self._state

    def history(self) -> list[dict]:
        """Every epoch's metrics so far (a copy)."""
        with self._lock:
            return list(self._history)

    @property
    def dataset(self):
        """The data this run trains on (for pictures)."""
        return self.session.data

    def weights(self) -> dict[str, torch.Tensor]:
        """A copy of the model's current weights, on the CPU."""
        with self._lock:
            return {k: v.cpu() for k, v in self.session.weights().items()}

    def load_weights(self, path) -> None:
        """Load a safetensors file into the model (not while training); `SpecError` if it does not fit."""
        from engine.export import load_weights

        with self._lock:
            if self._state in (RUNNING, WAITING):
                raise SpecError(Problem("file", "pause training before loading weights"))
            load_weights(self.session.model, path)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the run to end; True if it has."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():  # ended, but still publishing its last pictures
                return False
        return self._state in ENDED

    # -- internals ------------------------------------------------------------------------------

    def _new_session(self) -> None:
        self.session = Session(self.experiment, self._device_name)
        self.device = describe(self.session.device)
        self._state, self._message = IDLE, ""
        self._budget: int | None = self.experiment.training["epochs"]  # None once the run went past it
        self._launch_epoch = 0  # the epoch this thread started from (for its speed)
        self._stop = self._paused = self._pause_after_epoch = False
        self._pending_lr: float | None = None
        self._history: list[dict] = []
        self._version = 0
        self._visuals_wanted = True
        self._visuals: dict | None = None
        self._visuals_time = 0.0
        self._insight_request = getattr(self, "_insight_request", None)  # an open view stays open on Reset
        self._insight_time = 0.0
        self._started = self._last_progress = 0.0
        self._rate_mark, self._rate = (0.0, 0), None  # speed over the latest window (epochs/s)
        self._metrics: dict = {}
        self._running_loss: float | None = None
        self._thread = None
        self._holds_slot = False
        self._slot_since = self._next_turn_check = 0.0
        self._trained_s, self._clock_since = 0.0, None
        self._limit_message = ""  # why a limit stopped the run
        self._snapshot = self._make_snapshot()

    def _launch(self, pause_after_epoch: bool) -> None:
        self._pause_after_epoch = pause_after_epoch
        self._set_state(RUNNING)
        self._started = time.perf_counter()
        self._launch_epoch = self.session.epoch
        self._rate_mark, self._rate = (self._started, self._launch_epoch), None
        self.session.turbo.budget = self._budget  # auto compiles a run that stops soon only if it gains
        self._thread = threading.Thread(target=self._run, name="neuroloom-trainer", daemon=True)
        self._thread.start()

    def _set_state(self, state: str, message: str = "") -> None:
        self._state = state
        if message:
            self._message = message
        self._lock.notify_all()
        self._snapshot = self._make_snapshot()

    def _gate(self) -> bool:
        """Between steps: apply a new learning rate, wait while paused; False means stop."""
        if self._pending_lr is not None:
            with self._lock:
                if self._pending_lr is not None:
                    self.session.set_lr(self._pending_lr)
                    self._pending_lr = None
        if self._paused and not self._stop:
            self._publish()
            self._release_slot()
            with self._lock:
                while self._paused and not self._stop:
                    self._lock.wait()
            if not self._take_slot():
                return False
        elif self._turn_is_over():
            self._release_slot()  # to the back of the queue: the longest waiting run goes next
            if not self._take_slot(self._turn_message()):
                return False
        if self._out_of_time():
            self._limit_message = self.limits.seconds_message()
            return False
        return not self._stop

    def _take_slot(self, why_waiting: str = "") -> bool:
        """Wait (state "waiting") for a training slot; False if stopped meanwhile."""
        if self._slots is not None and not self._holds_slot:
            with self._lock:
                if self._state == RUNNING:
                    self._set_state(WAITING, why_waiting or
                                    f"waiting for a free slot: {self._slots.limit} trainings run at once here")
            self._holds_slot = self._slots.acquire(lambda: self._stop)
            with self._lock:
                if self._holds_slot and self._state == WAITING:
                    self._message = ""
                    self._set_state(PAUSED if self._paused else RUNNING)
            if not self._holds_slot:
                return False
            self._slot_since = time.perf_counter()
            self._next_turn_check = self._slot_since + self._slots.slice_s
        self._start_clock()
        return not self._stop

    def _release_slot(self) -> None:
        self._stop_clock()
        if self._slots is not None and self._holds_slot:
            self._holds_slot = False
            self._slots.release()

    def _turn_is_over(self) -> bool:
        """Held the slot for a whole turn while others wait (looked at now and then: it takes a
        lock that every worker shares)."""
        if self._slots is None or not self._holds_slot:
            return False
        now = time.perf_counter()
        if now < self._next_turn_check:  # before the turn is up, and between looks
            return False
        self._next_turn_check = now + TURN_CHECK_EVERY_S
        return self._slots.turn_over(now - self._slot_since)

    def _turn_message(self) -> str:
        return (f"taking turns: others were waiting, so this run let the next one train "
                f"(turns of {in_words(self._slots.slice_s)} while {self._slots.limit} trainings run at once here)")

    # Training time: the clock runs while the run holds its slot and is not paused.

    def _start_clock(self) -> None:
        if self._clock_since is None:
            self._clock_since = time.perf_counter()

    def _stop_clock(self) -> None:
        if self._clock_since is not None:
            self._trained_s += time.perf_counter() - self._clock_since
            self._clock_since = None

    def _out_of_time(self) -> bool:
        if self.limits.max_seconds is None or self._clock_since is None:
            return False
        return self._trained_s + time.perf_counter() - self._clock_since >= self.limits.max_seconds

    def _out_of_epochs(self) -> bool:
        if self.limits.max_epochs is None or self.session.epoch < self.limits.max_epochs:
            return False
        self._limit_message = self.limits.epochs_message()
        return True

    def _progress(self, steps_done: int, total) -> None:
        now = time.perf_counter()
        if now - self._last_progress >= PROGRESS_EVERY_S:
            self._last_progress = now
            self._running_loss = float(total) / steps_done
            self._publish(allow_visuals=False)

    def _run(self) -> None:
        session = self.session
        # Tiny floats (denormals) are up to 100x slower on CPUs; flushing them to zero changes
        # nothing a user can see. The setting is per thread, so it is made here.
        torch.set_flush_denormal(self._flush_denormal)
        try:
            if not self._take_slot():
                raise _Stopped
            self._record(session.evaluate(), keep=session.epoch == 0)
            self._publish()
            checkpoint = session.weights()
            while (self._budget is None or session.epoch < self._budget) and not self._out_of_epochs():
                mean_loss = session.run_epoch(self._gate, self._progress)
                if mean_loss is None:
                    break  # stopped between steps
                metrics = session.evaluate()
                if not all(math.isfinite(metrics[k]) for k in ("train_loss", "test_loss")) or not math.isfinite(
                    mean_loss
                ):
                    session.load_weights(checkpoint)
                    self._diverged()
                    return
                checkpoint = session.weights()
                self._running_loss = None
                self._record(metrics)
                if self._on_epoch is not None:
                    self._on_epoch(session, metrics)
                if self._pause_after_epoch:
                    with self._lock:
                        self._paused, self._pause_after_epoch = True, False
                        if self._state == RUNNING:
                            self._set_state(PAUSED)
                self._publish()
            with self._lock:
                if self._limit_message and not self._stop:
                    self._set_state(STOPPED, self._limit_message)
                elif not self._stop:
                    self._set_state(FINISHED, f"reached its budget of {session.epoch} epochs: Train goes on "
                                              "from here, Reset starts over")
                else:
                    self._set_state(STOPPED, f"stopped at epoch {session.epoch}")
        except _Stopped:
            with self._lock:
                self._set_state(STOPPED, "stopped before it started")
        except SpecError as err:
            self._fail("; ".join(err.lines()))
        except Exception as err:  # never let a failure escape the thread: it becomes the state
            if out_of_memory(err):
                self._fail(self.limits.memory_message())
            else:
                self._fail(f"training failed: {type(err).__name__}: {err}")
        finally:
            self._release_slot()
        self._visuals_wanted = True
        self._publish(final=True)

    def _diverged(self) -> None:
        lr = self.session.lr
        message = (
            f"the loss became NaN or infinite in epoch {self.session.epoch}; the weights of "
            f"epoch {self.session.epoch - 1} are kept. Try a lower learning rate (now {lr:g}, "
            f"try {lr / 10:g})."
        )
        self.session.epoch -= 1
        with self._lock:
            self._set_state(DIVERGED, message)
        self._visuals_wanted = True
        self._publish(final=True)

    def _fail(self, message: str) -> None:
        with self._lock:
            self._set_state(FAILED, message)

    def _record(self, metrics: dict, keep: bool = True) -> None:
        entry = {
            "epoch": self.session.epoch,
            "step": self.session.step,
            "lr": self.session.lr,
            "seconds": time.perf_counter() - self._started,
            **metrics,
        }
        with self._lock:
            self._metrics = entry
            if keep:
                self._history.append(entry)

    def _publish(self, allow_visuals: bool = True, final: bool = False) -> None:
        now = time.perf_counter()
        if allow_visuals and self._visuals_wanted and (final or now - self._visuals_time >= VISUALS_EVERY_S):
            self._visuals_wanted = False
            self._visuals_time = now
            fresh = now - self._insight_time >= INSIGHT_EVERY_S or final
            self._visuals = {**self._all_visuals(),
                             "insight": self._insight() if fresh else (self._visuals or {}).get("insight")}
        with self._lock:
            self._snapshot = self._make_snapshot()

    def _all_visuals(self) -> dict:
        try:
            return all_visuals(self.session)
        except Exception as err:  # a picture that cannot be drawn must not end the run
            return {"error": f"{type(err).__name__}: {err}"}

    def _insight(self) -> dict | None:
        self._insight_time = time.perf_counter()
        if self._insight_request is None:
            return None
        try:
            return insights.compute(self.session, *self._insight_request)
        except Exception as err:  # a view that cannot be drawn must not end the run
            return {"view": self._insight_request[0], "error": f"{type(err).__name__}: {err}"}

    def _make_snapshot(self) -> Snapshot:
        self._version += 1
        now = time.perf_counter()
        elapsed = now - self._started if self._started else 0.0
        epoch = self.session.epoch
        if self._started and now - self._rate_mark[0] >= RATE_WINDOW_S:  # the latest window's speed
            self._rate = (epoch - self._rate_mark[1]) / (now - self._rate_mark[0])
            self._rate_mark = (now, epoch)
        return Snapshot(
            state=self._state,
            epoch=epoch,
            epochs=self._budget or 0,
            step=self.session.step,
            lr=self.session.lr if self._pending_lr is None else self._pending_lr,  # what the next step uses
            device=self.device,
            metrics=dict(self._metrics),
            visuals=self._visuals,
            message=self._message,
            seconds=elapsed,
            epochs_per_second=self._rate if self._rate is not None else
            (epoch - self._launch_epoch) / elapsed if elapsed > 0 else 0.0,
            running_loss=self._running_loss,
            version=self._version,
            speed=self.session.turbo.note,
        )
