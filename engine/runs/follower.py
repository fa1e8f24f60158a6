"""Recording the runs of a training worker (the page's trainings): the worker's trainer reports
each epoch here, and after each command from the page the worker lets this look at the trainer's
state, so that a pause writes the weights, an end finishes the run and a Reset starts a new one."""

from __future__ import annotations

import sys

from engine.runs.recorder import Recorder
from engine.runs.store import RunStore, StoreError
from engine.training.trainer import ENDED, FINISHED, PAUSED, RUNNING, STOPPED


class RunFollower:
    def __init__(self, experiment: dict, owner: str | None, folder: str | None = None, name: str | None = None,
                 tags: list[str] = ()):
        self.experiment, self.owner, self.folder = experiment, owner, folder
        self.name, self.tags = name, list(tags)  # every run of this worker is called so (a race's contender)
        self._store: RunStore | None = None
        self._unusable = False
        self._recorder: Recorder | None = None
        self._state: str | None = None

    def on_epoch(self, session, metrics: dict) -> None:
        """The trainer's `on_epoch` (its training thread): the first epoch of a run starts its record."""
        if self._recorder is None and not self._unusable:
            self._recorder = self._start(session.device.type)
        if self._recorder is not None:
            self._recorder(session, metrics)

    def look(self, trainer) -> None:
        """After a command: write what the trainer's state asks for, once per change."""
        state = trainer.snapshot(visuals=False)
        if self._recorder is None or state.state == self._state:
            return
        self._state = state.state
        if state.state == PAUSED:
            self._recorder.pause(trainer.weights())
        elif state.state == RUNNING:
            self._recorder.resume()
        elif state.state in ENDED:
            status = {FINISHED: "finished", STOPPED: "stopped"}.get(state.state, "failed")
            self.end(trainer, status, state.message or None)

    def end(self, trainer, status: str, reason: str | None) -> None:
        """Finish the run being recorded (if any); the next epoch starts another."""
        if self._recorder is None:
            return
        final = trainer.snapshot(visuals=False)
        self._recorder.finish(status, reason, {"epochs": final.epoch, "seconds": round(final.seconds, 3),
                                               **final.metrics}, weights=trainer.weights())
        self._recorder, self._state = None, None

    def _start(self, device: str) -> Recorder | None:
        try:
            self._store = self._store or RunStore(self.folder)
            return Recorder(self._store, self.experiment, device, self.owner, self.name, self.tags)
        except StoreError as err:
            print(f"{err}; the page's runs are not recorded", file=sys.stderr)
            self._unusable = True
            return None
