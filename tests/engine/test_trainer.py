"""The background trainer under control from other threads: every control, hammered."""

from __future__ import annotations

import functools
import math
import random
import threading
import time

import pytest
import torch

from engine import load_experiment
from engine.training.trainer import DIVERGED, FAILED, FINISHED, PAUSED, RUNNING, STOPPED, Trainer
from tests.conftest import experiment

NODES = [
    {"id": "h1", "type": "Linear", "params": {"out_features": 8}},
    {"id": "a1", "type": "Tanh"},
    {"id": "out", "type": "Linear", "params": {"out_features": 1}},
]


def make(epochs=1000, data=None, **training) -> Trainer:
    raw = experiment(
        NODES,
        data=data or {"dataset": "circle", "n_samples": 200},
        training={"epochs": epochs, "batch_size": 10, "loss": "bce", **training},
    )
    return Trainer(load_experiment(raw), device="cpu")


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def trainer():
    made: list[Trainer] = []

    def build(*args, **kwargs):
        made.append(make(*args, **kwargs))
        return made[-1]

    yield build
    for t in made:
        t.stop()


def test_runs_to_the_end_with_a_full_history(trainer):
    t = trainer(epochs=5)
    t.start()
    assert t.wait(30)
    snap = t.snapshot()
    assert snap.state == FINISHED and snap.epoch == 5 and snap.step == 5 * 10
    assert [h["epoch"] for h in t.history()] == [0, 1, 2, 3, 4, 5]
    assert snap.visuals["boundary"]["value"].shape == (100, 100)
    assert snap.visuals["confusion"] is not None and sum(map(sum, snap.visuals["confusion"])) == 100


def test_train_goes_on_past_the_budget_with_the_same_weights_and_optimizer(trainer):
    t = trainer(epochs=3, optimizer="adam")
    t.start()
    assert t.wait(30) and t.snapshot().state == FINISHED and t.snapshot().epoch == 3
    assert "Train goes on" in t.snapshot().message
    weights = t.weights()
    adam_steps = [float(state["step"]) for state in t.session.optimizer.state.values()]
    t.step()  # one more epoch past the budget, from where it stopped
    wait_for(lambda: t.snapshot().state == PAUSED and t.snapshot().epoch == 4)
    assert t.snapshot().epochs == 0  # no budget any more: the run goes on until paused
    assert [h["epoch"] for h in t.history()] == [0, 1, 2, 3, 4]  # no second epoch-0 entry
    # the same optimizer state: Adam's step counters went on from where the budget stopped them
    assert [float(state["step"]) for state in t.session.optimizer.state.values()] == [s + 10 for s in adam_steps]
    assert any(not torch.equal(weights[k], v) for k, v in t.weights().items())
    t.start()
    wait_for(lambda: t.snapshot().epoch >= 8)
    assert t.snapshot().state == RUNNING  # past the old budget, until paused
    t.pause()
    wait_for(lambda: t.snapshot().state == PAUSED)
    t.reset()
    assert t.snapshot().epoch == 0 and t.snapshot().epochs == 3  # Reset starts over, with the budget


def test_first_snapshot_shows_the_untrained_model(trainer):
    t = trainer()
    assert t.snapshot().epoch == 0 and t.snapshot().visuals is None
    t.start()
    wait_for(lambda: t.snapshot().metrics)
    assert t.history()[0]["epoch"] == 0 and t.history()[0]["train_loss"] > 0


def test_pause_holds_and_step_advances_exactly_one_epoch(trainer):
    t = trainer()
    t.start()
    wait_for(lambda: t.snapshot().epoch >= 2)
    t.pause()
    wait_for(lambda: t.snapshot().state == PAUSED)
    time.sleep(0.2)
    held = t.snapshot().epoch
    time.sleep(0.3)
    assert t.snapshot().epoch == held
    t.step()
    wait_for(lambda: t.snapshot().epoch == held + 1 and t.snapshot().state == PAUSED)
    time.sleep(0.3)
    assert t.snapshot().epoch == held + 1
    t.resume()
    wait_for(lambda: t.snapshot().epoch > held + 3)
    assert t.snapshot().state == RUNNING


def test_step_from_idle_runs_one_epoch(trainer):
    t = trainer()
    t.step()
    wait_for(lambda: t.snapshot().state == PAUSED and t.snapshot().epoch == 1)
    assert [h["epoch"] for h in t.history()] == [0, 1]


def test_stop_in_the_middle_of_a_long_epoch(trainer):
    # 20 000 samples in batches of 1: an epoch takes many seconds, so stopping must cut it short.
    t = trainer(data={"dataset": "circle", "n_samples": 40_000}, batch_size=1)
    t.start()
    wait_for(lambda: t.session.step > 50)
    begun = time.monotonic()
    t.stop()
    stopped_after = time.monotonic() - begun
    assert t.snapshot().state == STOPPED and t.snapshot().epoch == 0
    assert not t._thread.is_alive()
    assert stopped_after < 5, "stop returns once the thread has left"


def test_running_loss_is_published_inside_a_long_epoch(trainer):
    t = trainer(data={"dataset": "circle", "n_samples": 40_000}, batch_size=1)
    t.start()
    wait_for(lambda: t.snapshot().running_loss is not None)
    assert t.snapshot().epoch == 0 and math.isfinite(t.snapshot().running_loss)


def test_learning_rate_changes_live(trainer):
    t = trainer()
    t.start()
    wait_for(lambda: t.snapshot().epoch >= 1)
    t.set_lr(0.001)
    assert t.snapshot().lr == 0.001  # at once, while the step in progress still uses the old rate
    wait_for(lambda: t.history()[-1]["lr"] == 0.001)
    assert t.session.optimizer.param_groups[0]["lr"] == 0.001
    with pytest.raises(ValueError):
        t.set_lr(-1)


def test_divergence_stops_with_a_hint_and_keeps_finite_weights(trainer):
    t = trainer(data={"dataset": "plane", "n_samples": 200}, loss="mse", optimizer="sgd", lr=100.0, epochs=50)
    t.start()
    assert t.wait(30)
    snap = t.snapshot()
    assert snap.state == DIVERGED
    assert "lower learning rate" in snap.message and "now 100" in snap.message
    assert all(torch.isfinite(p).all() for p in t.session.model.parameters())
    assert all(math.isfinite(h["train_loss"]) for h in t.history())


def test_an_error_inside_training_ends_the_run_not_the_caller(trainer):
    t = trainer()

    def broken_loss(out, target):
        raise RuntimeError("boom")

    t.session.objective.loss = broken_loss
    t.start()
    assert t.wait(30)
    assert t.snapshot().state == FAILED and "RuntimeError: boom" in t.snapshot().message
    t.reset()  # the app stays usable: a reset gives a fresh run
    assert t.snapshot().state == "idle"


def test_reset_starts_over_from_the_seeded_weights(trainer):
    t = trainer()
    initial = {k: v.clone() for k, v in t.session.model.state_dict().items()}
    t.start()
    wait_for(lambda: t.snapshot().epoch >= 3)
    t.reset()
    snap = t.snapshot()
    assert snap.state == "idle" and snap.epoch == 0 and t.history() == []
    for key, value in t.session.model.state_dict().items():
        assert torch.equal(value, initial[key])


def test_reset_during_a_step_longer_than_stop_waits_keeps_the_old_run_out(trainer):
    t = trainer(batch_size="full")
    t.stop = functools.partial(Trainer.stop, t, timeout=0.1)  # stop gives up on the thread sooner
    release, in_step = threading.Event(), threading.Event()
    plain_loss = t.session.objective.loss

    def slow_loss(out, target):  # one step that outlasts stop's wait
        in_step.set()
        release.wait(20)
        return plain_loss(out, target)

    t.session.objective.loss = slow_loss
    t.start()
    assert in_step.wait(20)
    resetting = threading.Thread(target=t.reset)
    resetting.start()
    time.sleep(0.5)
    assert resetting.is_alive(), "reset must wait for the step in progress"
    release.set()
    resetting.join(20)
    time.sleep(0.3)  # time enough for a leftover thread to record an epoch
    snap = t.snapshot()
    assert snap.state == "idle" and snap.epoch == 0 and t.history() == []


def test_controls_hammered_from_other_threads(trainer):
    t = trainer()
    errors: list[BaseException] = []
    seen_versions: list[int] = []
    done = threading.Event()

    def reader():
        while not done.is_set():
            snap = t.snapshot()
            seen_versions.append(snap.version)
            if snap.state not in ("idle", RUNNING, PAUSED, FINISHED, STOPPED):
                errors.append(AssertionError(f"unexpected state {snap.state}: {snap.message}"))
            time.sleep(0.001)

    def controller(seed):
        rng = random.Random(seed)
        actions = [t.start, t.pause, t.resume, t.step, lambda: t.set_lr(rng.choice([0.01, 0.03, 0.1]))]
        try:
            for _ in range(300):
                rng.choice(actions)()
                time.sleep(rng.random() * 0.003)
        except BaseException as err:  # any failure here is the test's finding
            errors.append(err)

    threads = [threading.Thread(target=reader)] + [threading.Thread(target=controller, args=(s,)) for s in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join(60)
    t.start()
    wait_for(lambda: t.snapshot().state == RUNNING or t.snapshot().state == FINISHED)
    t.stop()
    done.set()
    threads[0].join(10)
    assert not errors and not any(th.is_alive() for th in threads)
    assert seen_versions == sorted(seen_versions), "snapshots never go back in time"
    epochs = [h["epoch"] for h in t.history()]
    assert epochs == list(range(len(epochs))), "no epoch lost or repeated"
    assert t.snapshot().state == STOPPED


def test_a_cap_on_trainings_queues_the_rest(trainer):
    from engine.training.slots import TrainingSlots
    from engine.training.trainer import WAITING

    slots = TrainingSlots(1)
    first, second = trainer(), trainer()
    first._slots = second._slots = slots
    first.start()
    wait_for(lambda: first.snapshot().epoch >= 1)
    second.start()
    wait_for(lambda: second.snapshot().state == WAITING)
    assert "waiting for a free slot" in second.snapshot().message and second.session.step == 0
    first.pause()  # a paused run gives its slot up
    wait_for(lambda: second.session.step > 0 and second.snapshot().state == RUNNING)
    first.resume()
    wait_for(lambda: first.snapshot().state == WAITING)
    second.stop()
    wait_for(lambda: first.snapshot().state == RUNNING)
    first.stop()
    assert slots.in_use == 0


def test_stopping_a_waiting_run(trainer):
    from engine.training.slots import TrainingSlots

    slots = TrainingSlots(1)
    holder, waiter = trainer(), trainer()
    holder._slots = waiter._slots = slots
    holder.start()
    wait_for(lambda: holder.session.step > 0)
    waiter.start()
    waiter.stop()
    assert waiter.snapshot().state == STOPPED and waiter.session.step == 0
    holder.stop()
    assert slots.in_use == 0
