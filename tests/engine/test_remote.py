"""The trainer in its own process (RemoteTrainer): every control and reading across the pipe, a
crash of the process, the shared cap between processes, and a close that always ends it; the
process starts with the first Train and is put away when idle; limits and a memory cap."""

from __future__ import annotations

import math
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from engine import SpecError, build_model, load_experiment
from engine.registry import fmt
from engine.training import remote
from engine.training.limits import GIB, RunLimits
from engine.training.remote import RemoteTrainer
from engine.training.slots import TrainingSlots
from engine.training.trainer import DIVERGED, FAILED, FINISHED, IDLE, PAUSED, RUNNING, STOPPED, WAITING
from tests.conftest import experiment

NODES = [
    {"id": "h1", "type": "Linear", "params": {"out_features": 8}},
    {"id": "a1", "type": "Tanh"},
    {"id": "out", "type": "Linear", "params": {"out_features": 1}},
]
# Wide layers and one full batch of 40 000 points (of 80 000): the first evaluation and each step
# take seconds, with no point in between where a stop is seen.
WIDE = [
    {"id": "h1", "type": "Linear", "params": {"out_features": 1024}},
    {"id": "a1", "type": "Tanh"},
    {"id": "h2", "type": "Linear", "params": {"out_features": 1024}},
    {"id": "a2", "type": "Tanh"},
    {"id": "out", "type": "Linear", "params": {"out_features": 1}},
]
LONG_STEP = {"dataset": "circle", "n_samples": 80_000}
LONG_EPOCH = {"dataset": "circle", "n_samples": 40_000}  # with batch_size 1: 20 000 short steps per epoch


def make_experiment(epochs=1000, data=None, nodes=NODES, **training):
    raw = experiment(
        nodes,
        data=data or {"dataset": "circle", "n_samples": 200},
        training={"epochs": epochs, "batch_size": 10, "loss": "bce", **training},
    )
    return load_experiment(raw)


def wait_for(condition, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    raise AssertionError(f"{what} not reached within {timeout} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="session")
def fork_server():
    """The fork server, started once for the whole test session (the first start imports torch)."""
    from multiprocessing import forkserver

    ctx = remote.context()
    with remote._setup, remote._main_hidden():
        forkserver.ensure_running()
    return ctx


@pytest.fixture
def remote_trainer(fork_server):
    """Build RemoteTrainers; every one is closed (and its process gone) when the test ends."""
    made: list[RemoteTrainer] = []

    def build(epochs=1000, data=None, nodes=NODES, slots=None, log_dir=None, limits=None, idle_s=None,
              max_workers=None, page_open=None, visitor=None, **training) -> RemoteTrainer:
        made.append(RemoteTrainer(make_experiment(epochs, data, nodes, **training), device="cpu", slots=slots,
                                  log_dir=log_dir, limits=limits, idle_s=idle_s, max_workers=max_workers,
                                  page_open=page_open, visitor=visitor))
        return made[-1]

    yield build
    errors = []
    for t in made:
        try:
            t.close()
        except Exception as err:  # reported below, after every process is gone
            errors.append(err)
        if t._process is not None and t._process.is_alive():  # a close that failed must not leave it behind
            t._process.kill()
            t._process.join(5)
    assert not errors, f"close raised: {errors}"


def shared_cap(ctx, slice_s=10) -> TrainingSlots:
    return TrainingSlots(1, context=ctx, slice_s=slice_s)


# -- a run from start to end ----------------------------------------------------------------------


def test_runs_to_the_end_with_advancing_snapshots(remote_trainer):
    t = remote_trainer(epochs=12, data={"dataset": "circle", "n_samples": 1000})
    first = t.snapshot()
    assert first.state == IDLE and first.epoch == 0 and first.step == 0 and first.device == "CPU"
    t.start()
    seen, lengths = [], []
    while t.snapshot(visuals=False).state not in (FINISHED, FAILED, STOPPED, DIVERGED):
        snap = t.snapshot(visuals=False)
        seen.append((snap.version, snap.epoch, snap.step))
        lengths.append(len(t.history()))
        assert len(seen) < 5000, "the run did not end"
        time.sleep(0.02)
    snap = t.snapshot()
    assert snap.state == FINISHED, snap.message
    assert snap.epoch == 12 and snap.step == 12 * 50 and snap.message.startswith("reached its budget of 12 epochs")
    assert [v for v, _, _ in seen] == sorted(v for v, _, _ in seen), "snapshots never go back in time"
    assert [e for _, e, _ in seen] == sorted(e for _, e, _ in seen)
    assert len({e for _, e, _ in seen}) >= 3, f"the epoch was seen advancing: {sorted({e for _, e, _ in seen})}"
    assert lengths == sorted(lengths) and len(set(lengths)) >= 3, f"the history was seen growing: {lengths}"
    history = t.history()
    assert [h["epoch"] for h in history] == list(range(13))
    assert history[-1]["train_accuracy"] == snap.metrics["train_accuracy"]
    assert snap.visuals["boundary"]["value"].shape == (100, 100)
    assert t.wait(1)


def test_step_pause_resume_set_lr_and_reset(remote_trainer):
    t = remote_trainer()
    initial = t.weights()
    t.step()
    wait_for(lambda: t.snapshot().state == PAUSED and t.snapshot().epoch == 1, what="one epoch, then paused")
    assert [h["epoch"] for h in t.history()] == [0, 1] and t.snapshot().step == 10
    time.sleep(0.3)
    assert t.snapshot().epoch == 1 and t.snapshot().step == 10, "a step trains exactly one epoch"
    t.step()
    wait_for(lambda: t.snapshot().state == PAUSED and t.snapshot().epoch == 2, what="a second step")

    t.resume()
    wait_for(lambda: t.snapshot().epoch >= 5, what="training after resume")
    assert t.snapshot().state == RUNNING
    t.pause()
    assert t.snapshot(visuals=False).state == PAUSED
    time.sleep(0.2)
    held = t.snapshot()
    time.sleep(0.3)
    assert (t.snapshot().epoch, t.snapshot().step) == (held.epoch, held.step), "pause stops the epoch counter"

    t.set_lr(0.001)  # applies from the next step (as in the thread Trainer)
    with pytest.raises(ValueError):
        t.set_lr(-1)
    with pytest.raises(ValueError):
        t.set_lr(float("nan"))
    t.resume()
    wait_for(lambda: t.snapshot().lr == 0.001, what="the new learning rate in the snapshot")
    wait_for(lambda: t.history()[-1]["lr"] == 0.001, what="an epoch at the new learning rate")
    # the epoch's history entry is written just before the snapshot that counts it is published
    wait_for(lambda: t.snapshot().epoch > held.epoch, what="the epoch counter after resume")

    t.reset()
    snap = t.snapshot()
    assert snap.state == IDLE and snap.epoch == 0 and snap.step == 0 and t.history() == []
    time.sleep(0.2)
    assert t.snapshot().epoch == 0 and t.history() == [], "a reset run stays put"
    for key, value in t.weights().items():  # fresh weights from the same seed
        assert torch.equal(value, initial[key]), key
    t.start()  # and the same process trains again
    wait_for(lambda: t.snapshot().epoch >= 1, what="training after reset")
    assert t.history()[0]["epoch"] == 0


# -- close ----------------------------------------------------------------------------------------


def test_close_ends_the_process_in_the_middle_of_a_long_epoch(remote_trainer):
    t = remote_trainer(data=LONG_EPOCH, batch_size=1)
    t.start()
    wait_for(lambda: t.snapshot(visuals=False).running_loss is not None, what="a running loss inside epoch 0")
    assert t.snapshot().epoch == 0 and t._process.is_alive()
    begun = time.monotonic()
    t.close()
    took = time.monotonic() - begun
    assert took < 1.5, f"close took {took:.2f} s"
    assert not t._process.is_alive()
    assert t._process.exitcode == 0, "the process ended by itself, it was not terminated"
    snap = t.snapshot()
    assert snap.state == STOPPED and snap.epoch == 0
    t.start(), t.pause(), t.step(), t.reset()  # a closed trainer ignores its controls
    t.close()
    assert t.snapshot().state == STOPPED and t.wait(0.1)


def test_close_is_quick_even_inside_one_long_step(remote_trainer):
    # Nothing inside one long evaluation or step looks at the stop flag: close has to end the
    # process from outside, "within about a second whatever it is doing" (remote.py).
    t = remote_trainer(data=LONG_STEP, nodes=WIDE, batch_size="full")
    t.start()
    time.sleep(0.3)
    assert t.snapshot(visuals=False).state == RUNNING and t.snapshot(visuals=False).step == 0
    begun = time.monotonic()
    t.close()
    took = time.monotonic() - begun
    assert not t._process.is_alive()
    assert took < 1.5, f"close took {took:.2f} s (exit code {t._process.exitcode})"


def test_close_keeps_the_state_of_a_run_that_had_ended(remote_trainer):
    t = remote_trainer(epochs=3)
    t.start()
    time.sleep(0.8)  # long enough to finish; nobody reads a snapshot meanwhile
    t.close()
    snap = t.snapshot()
    assert snap.state == FINISHED and snap.epoch == 3, f"{snap.state}: {snap.message}"


# -- a separate process ---------------------------------------------------------------------------


def test_training_runs_in_another_process(remote_trainer):
    t = remote_trainer(data=LONG_EPOCH, batch_size=1)
    t.start()
    pid = t._process.pid
    assert pid is not None and pid != os.getpid() and t._process.is_alive()
    assert not hasattr(t, "session"), "no model lives in this process"
    wait_for(lambda: t.snapshot(visuals=False).step > 0, what="the first steps")
    assert not [th for th in threading.enumerate() if th.name == "neuroloom-trainer"]
    assert os.getpriority(os.PRIO_PROCESS, pid) > os.getpriority(os.PRIO_PROCESS, 0), "it runs at lower priority"

    # Hold this interpreter's GIL for a second: no thread of this process can train meanwhile,
    # yet the process does (its CPU time and step count grow).
    cpu_before, step_before = cpu_seconds(pid), t.snapshot(visuals=False).step
    switch = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        end = time.perf_counter() + 1.0
        while time.perf_counter() < end:
            pass
    finally:
        sys.setswitchinterval(switch)
    time.sleep(0.15)  # the process publishes its running counters every 0.1 s
    assert t.snapshot(visuals=False).step > step_before
    assert cpu_seconds(pid) - cpu_before > 0.05


def test_a_new_process_comes_from_the_fork_server_with_torch_loaded(remote_trainer):
    # "Processes come from a fork server that has torch and the engine imported already, so a
    # new one starts in milliseconds" (remote.py). Checked by what it does, not by a wall-clock
    # time (which a loaded machine stretches): the process is the fork server's child, and up to
    # its first answer it has used less CPU time than a new interpreter takes to import torch.
    from multiprocessing import forkserver

    t = remote_trainer()
    t.weights()
    pid = t._process.pid
    parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    assert parent == forkserver._forkserver._forkserver_pid
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    importing = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    assert cpu_seconds(pid) < importing / 2, (cpu_seconds(pid), importing)


# -- a crash of the process -----------------------------------------------------------------------


def test_a_killed_process_becomes_a_failed_run(remote_trainer):
    t = remote_trainer()
    t.start()
    wait_for(lambda: t.snapshot().epoch >= 2, what="two epochs")
    history = t.history()
    os.kill(t._process.pid, signal.SIGKILL)
    t._process.join(5)
    snap = t.snapshot()
    assert snap.state == FAILED
    assert "process" in snap.message and "exit code -9" in snap.message, snap.message
    assert snap.epoch >= 2 and t.history() == history, "the last numbers stay on show"
    assert t.weights() == {}
    for control in (t.start, t.pause, t.resume, t.step, t.stop, lambda: t.set_lr(0.01)):
        control()  # none raises (reset: see below)
    assert t.state == FAILED and t.wait(0.1)
    t.close()
    assert t.snapshot().state == FAILED


def test_reset_after_a_crash_starts_over(remote_trainer):
    # The failed run's message says "Reset to start again; your experiment is unchanged."
    t = remote_trainer()
    t.start()
    wait_for(lambda: t.snapshot().epoch >= 1, what="an epoch")
    os.kill(t._process.pid, signal.SIGKILL)
    t._process.join(5)
    assert t.snapshot().state == FAILED and "Reset to start again" in t.snapshot().message
    t.reset()
    assert t.snapshot().state == IDLE and t.history() == [], f"{t.snapshot().state}: {t.snapshot().message}"
    t.start()
    wait_for(lambda: t.snapshot().epoch >= 1, timeout=5, what="training after the reset")


# -- weights --------------------------------------------------------------------------------------


def test_weights_and_loading_them(remote_trainer, tmp_path):
    from safetensors.torch import save_file

    t = remote_trainer()
    exp = make_experiment()
    expected = build_model(exp, seed=exp.training["seed"]).state_dict()
    weights = t.weights()
    assert set(weights) == set(expected)
    for key, value in weights.items():
        assert value.device.type == "cpu" and value.shape == expected[key].shape
        assert torch.equal(value, expected[key]), f"{key}: the seeded initial weights"

    fits = {k: torch.full_like(v, 0.25) for k, v in weights.items()}
    save_file(fits, str(tmp_path / "fits.safetensors"))
    t.load_weights(tmp_path / "fits.safetensors")
    assert all(torch.equal(v, fits[k]) for k, v in t.weights().items())

    wrong = dict(fits, **{"h1.weight": torch.zeros(3, 2)})
    save_file(wrong, str(tmp_path / "wrong.safetensors"))
    with pytest.raises(SpecError) as err:
        t.load_weights(tmp_path / "wrong.safetensors")
    assert "h1.weight" in str(err.value) and fmt((3, 2)) in str(err.value) and fmt((8, 2)) in str(err.value)
    assert err.value.problems[0].section == "file"
    assert all(torch.equal(v, fits[k]) for k, v in t.weights().items()), "nothing loaded from a bad file"

    save_file({k: v for k, v in fits.items() if k != "out.bias"}, str(tmp_path / "short.safetensors"))
    with pytest.raises(SpecError, match=r"out\.bias"):
        t.load_weights(tmp_path / "short.safetensors")

    t.start()
    wait_for(lambda: t.snapshot().epoch >= 1, what="an epoch")
    taken = t.weights()
    kept = {k: v.clone() for k, v in taken.items()}
    with pytest.raises(SpecError, match="pause"):
        t.load_weights(tmp_path / "fits.safetensors")
    assert t.snapshot().state == RUNNING and t._process.is_alive(), "a refused load does not end the run"
    wait_for(lambda: t.snapshot().epoch >= 3, what="more epochs")
    assert all(torch.equal(v, kept[k]) for k, v in taken.items()), "weights read earlier do not change"
    assert not all(torch.equal(v, fits[k]) for k, v in t.weights().items())


# -- the shared cap -------------------------------------------------------------------------------


def test_a_shared_cap_queues_the_second_process_until_the_first_pauses(remote_trainer, fork_server):
    slots = shared_cap(fork_server)
    first, second = remote_trainer(slots=slots), remote_trainer(slots=slots)
    first.start()
    wait_for(lambda: first.snapshot().epoch >= 1, what="the first run's first epoch")
    second.start()
    wait_for(lambda: second.snapshot().state == WAITING, what="the second run waiting")
    time.sleep(0.3)
    snap = second.snapshot()
    assert snap.state == WAITING and snap.step == 0 and "waiting for a free slot" in snap.message
    first.pause()  # a paused run gives its slot up
    wait_for(lambda: second.snapshot().state == RUNNING and second.snapshot().step > 0, what="the second run")
    first.resume()
    wait_for(lambda: first.snapshot().state == WAITING, what="the first run waiting")
    held = first.snapshot().step
    time.sleep(0.2)
    assert first.snapshot().step == held
    second.stop()
    wait_for(lambda: first.snapshot().state == RUNNING and first.snapshot().step > held, what="the first run again")


def test_a_shared_cap_runs_the_second_process_when_the_first_finishes(remote_trainer, fork_server):
    slots = shared_cap(fork_server)
    first = remote_trainer(epochs=15, data={"dataset": "circle", "n_samples": 1000}, slots=slots)
    second = remote_trainer(epochs=2, slots=slots)
    first.start()
    wait_for(lambda: first.snapshot().step > 0, what="the first run")
    second.start()
    wait_for(lambda: second.snapshot().state == WAITING, what="the second run waiting")
    while first.snapshot(visuals=False).state == RUNNING:
        assert second.snapshot(visuals=False).step == 0, "the second run trains only after the first"
        time.sleep(0.02)
    assert first.wait(30) and first.snapshot().state == FINISHED
    assert second.wait(10) and second.snapshot().state == FINISHED and second.snapshot().epoch == 2


def test_a_crashed_process_gives_its_slot_back(remote_trainer, fork_server):
    slots = shared_cap(fork_server)
    first, second = remote_trainer(slots=slots), remote_trainer(slots=slots)
    first.start()
    wait_for(lambda: first.snapshot().step > 0, what="the first run")
    os.kill(first._process.pid, signal.SIGKILL)
    first._process.join(5)
    assert first.snapshot().state == FAILED
    second.start()
    wait_for(lambda: second.snapshot().step > 0, timeout=2, what="the second run after the first crashed")


def test_closing_a_run_inside_a_long_step_gives_its_slot_back(remote_trainer, fork_server):
    slots = shared_cap(fork_server)
    first = remote_trainer(data=LONG_STEP, nodes=WIDE, batch_size="full", slots=slots)
    second = remote_trainer(slots=slots)
    first.start()
    time.sleep(0.3)
    assert first.snapshot(visuals=False).state == RUNNING
    first.close()
    assert not first._process.is_alive()
    second.start()
    wait_for(lambda: second.snapshot().step > 0, timeout=2, what="the second run after the first was closed")


def test_a_page_run_logs_to_tensorboard_from_its_process(remote_trainer, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    trainer = remote_trainer(epochs=3, log_dir=tmp_path / "tb")
    trainer.start()
    assert trainer.wait(60) and trainer.state == FINISHED
    trainer.close()  # the log is flushed and closed with the process
    events = EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0}).Reload()
    assert [e.step for e in events.Scalars("test/loss")] == [1, 2, 3]
    assert "weights/out.weight" in events.Tags()["histograms"]


# -- divergence -----------------------------------------------------------------------------------


def test_divergence_ends_with_a_hint_across_the_process_boundary(remote_trainer):
    t = remote_trainer(data={"dataset": "plane", "n_samples": 200}, loss="mse", optimizer="sgd", lr=100.0, epochs=50)
    t.start()
    assert t.wait(30)
    snap = t.snapshot()
    assert snap.state == DIVERGED
    assert "lower learning rate" in snap.message and "now 100" in snap.message, snap.message
    assert all(math.isfinite(h["train_loss"]) for h in t.history())
    assert all(torch.isfinite(v).all() for v in t.weights().values()), "the last finite weights are kept"
    assert t._process.is_alive(), "a diverged run leaves its process ready for a reset"
    t.reset()
    assert t.snapshot().state == IDLE


# -- a process only when training -----------------------------------------------------------------


def test_no_process_before_the_first_train(remote_trainer):
    import multiprocessing

    before = set(multiprocessing.active_children())
    trainers = [remote_trainer(epochs=7, lr=0.02) for _ in range(3)]
    t = trainers[0]
    snap = t.snapshot()
    assert (snap.state, snap.epoch, snap.epochs, snap.step, snap.lr, snap.device) == (IDLE, 0, 7, 0, 0.02, "CPU")
    # the untrained model's pictures, drawn here from the run's seed: no process for them
    assert snap.visuals["boundary"]["value"].shape == (100, 100) and t._process is None
    assert t.history() == [] and t.last_snapshot() == snap and not t.wait(0.01)
    t.set_lr(0.05)  # kept for the process
    assert t.snapshot().lr == 0.05
    t.reset()
    trainers[1].close()
    assert all(x._process is None for x in trainers)
    assert set(multiprocessing.active_children()) == before, "looking at a run starts no process"
    trainers[1].start()
    assert trainers[1]._process is None, "a closed run starts nothing"

    t.start()
    assert t._process is not None and t._process.is_alive() and t._process in multiprocessing.active_children()
    wait_for(lambda: t.history() and t.history()[-1]["epoch"] >= 1, what="an epoch")
    assert t.history()[-1]["lr"] == 0.05, "the rate set before the start applies"
    assert t.wait(30) and t.snapshot().state == FINISHED and t.snapshot().epoch == 7


def test_an_idle_worker_is_put_away_and_reset_starts_again(remote_trainer):
    busy = remote_trainer(idle_s=0.5)
    idle = remote_trainer(idle_s=0.5)
    busy.start()
    idle.step()
    wait_for(lambda: idle.snapshot().state == PAUSED, what="one epoch, then paused")
    history = idle.history()
    wait_for(lambda: idle.last_snapshot().state == STOPPED, what="the idle worker put away")
    snap = idle.snapshot()
    assert "put away after 0.5 seconds idle" in snap.message and "Reset starts again" in snap.message, snap.message
    assert snap.epoch == 1 and idle.history() == history, "its numbers stay on show"
    assert idle.worker_exit_code(5) == 0, "the reaper lets it exit by itself"
    idle.start()  # a put-away run cannot resume
    assert idle.snapshot().state == STOPPED
    assert busy.snapshot().state == RUNNING and busy._process.is_alive(), "a training run is not put away"

    idle.reset()
    assert idle.snapshot().state == IDLE and idle.history() == [] and idle._process is None
    idle.start()
    wait_for(lambda: idle.snapshot().epoch >= 1, what="training after the reset")


def test_a_closed_pages_run_pauses_and_its_worker_is_put_away(remote_trainer, monkeypatch):
    monkeypatch.setattr(remote, "PAGE_GONE_PAUSE_S", 0.5)
    monkeypatch.setattr(remote, "PAGE_GONE_PUT_AWAY_S", 3.0)
    open_page = {"open": True}
    left = remote_trainer(epochs=100_000, page_open=lambda: open_page["open"])
    watched = remote_trainer(epochs=100_000, page_open=lambda: True)
    left.start()
    watched.start()
    wait_for(lambda: left.snapshot().epoch >= 2 and watched.snapshot().epoch >= 2, what="both training")
    time.sleep(1.0)
    assert left.snapshot().state == RUNNING, "a run whose page is open goes on"

    open_page["open"] = False
    wait_for(lambda: left.last_snapshot().state == PAUSED, what="the closed page's run paused")
    assert "its page was closed" in left.last_snapshot().message
    time.sleep(0.5)  # an epoch that ended before the pause may still be publishing its numbers
    paused_at = left.snapshot().epoch
    time.sleep(1.0)
    assert left.snapshot().epoch == paused_at, "it trains on after the pause"
    assert watched.snapshot().state == RUNNING

    wait_for(lambda: left.last_snapshot().state == STOPPED, what="its worker put away")
    assert "its page was closed" in left.last_snapshot().message and left.last_snapshot().epoch == paused_at
    assert left.worker_exit_code(5) == 0, "the worker exits by itself"
    assert left.history()[-1]["epoch"] == paused_at, "its numbers stay on show"
    assert watched.snapshot().state == RUNNING and watched._process.is_alive()


def test_a_train_on_a_full_server_takes_the_place_of_a_closed_pages_worker(remote_trainer, monkeypatch):
    monkeypatch.setattr(remote, "PAGE_GONE_PAUSE_S", 60.0)  # the reaper's own rounds would not get there yet
    page = {"open": True}
    left = remote_trainer(epochs=100_000, max_workers=1, page_open=lambda: page["open"])
    wanted = remote_trainer(epochs=100_000, max_workers=1, page_open=lambda: True)
    left.start()
    wait_for(lambda: left.snapshot().epoch >= 1, what="the first page training")
    wanted.start()
    assert wanted.snapshot().state == IDLE and "the server is busy" in wanted.last_snapshot().message
    page["open"] = False  # its tab is closed: the next Train elsewhere gets its place at once
    wanted.start()
    wait_for(lambda: wanted.snapshot().epoch >= 1, what="training in the freed place")
    assert left.last_snapshot().state == STOPPED and "another page needed its place" in left.last_snapshot().message


def test_a_full_server_shares_its_places_between_visitors(remote_trainer):
    """One browser's race and runs kept for Undo may fill the server; a newcomer then takes a place
    from whoever holds two or more than they do, the least busy run first."""
    kept, raced = (remote_trainer(epochs=100_000, max_workers=3, visitor="a") for _ in range(2))
    training = remote_trainer(epochs=100_000, max_workers=3, visitor="a")
    for run in (kept, raced, training):
        run.step() if run is not training else run.start()
    wait_for(lambda: training.snapshot().epoch >= 1 and kept.snapshot().state == PAUSED, what="a's three runs")
    newcomer = remote_trainer(epochs=100_000, max_workers=3, visitor="b")
    newcomer.start()
    wait_for(lambda: newcomer.snapshot().epoch >= 1, what="b training in a place a gave up")
    assert kept.last_snapshot().state == STOPPED and "another visitor needed a place" in kept.last_snapshot().message
    assert raced._worker_alive() and training.snapshot().state == RUNNING
    third = remote_trainer(epochs=100_000, max_workers=3, visitor="c")
    third.start()  # a holds 2, c none: a gives up one more, the paused one before the training one
    wait_for(lambda: third.snapshot().epoch >= 1, what="c training")
    assert raced.last_snapshot().state == STOPPED and training.snapshot().state == RUNNING
    fourth = remote_trainer(epochs=100_000, max_workers=3, visitor="d")
    fourth.start()  # one place each: nobody holds two more than d, so the server is busy
    assert fourth._process is None and "the server is busy" in fourth.snapshot().message
    assert [run.snapshot().state for run in (training, newcomer, third)] == [RUNNING] * 3


# -- limits and the memory cap --------------------------------------------------------------------


def test_a_page_run_stops_at_its_epoch_limit(remote_trainer):
    t = remote_trainer(epochs=1000, limits=RunLimits(max_epochs=2))
    t.start()
    assert t.wait(30)
    snap = t.snapshot()
    assert snap.state == STOPPED and snap.epoch == 2 and "(NEUROLOOM_WEB_MAX_EPOCHS)" in snap.message


MEMORY_CAP = RunLimits(max_memory_bytes=256 * 2**20)
MEMORY_MESSAGE = ("this run needs more memory than a training may use on this server (256 MiB, "
                  "NEUROLOOM_WORKER_MAX_BYTES); make the model, batch or dataset smaller")


def test_a_run_that_needs_more_memory_than_the_cap_fails_while_training(remote_trainer):
    # 100 000 neurons on a full batch: the first forward pass needs gigabytes
    wide = [{"id": "h1", "type": "Linear", "params": {"out_features": 100_000}}, {"id": "a1", "type": "Tanh"},
            {"id": "out", "type": "Linear", "params": {"out_features": 1}}]
    t = remote_trainer(nodes=wide, data={"dataset": "circle", "n_samples": 2_000}, batch_size="full",
                       limits=MEMORY_CAP)
    t.start()
    assert t.wait(30)
    snap = t.snapshot()
    assert snap.state == FAILED and snap.message == MEMORY_MESSAGE
    assert remote_trainer(epochs=2).weights(), "the server carries on"


def test_a_run_too_big_to_build_under_the_cap_fails_with_its_reason(remote_trainer):
    big = [{"id": "h1", "type": "Linear", "params": {"out_features": 4000}},
           {"id": "h2", "type": "Linear", "params": {"out_features": 4000}},  # 16 M weights: 64 MB
           {"id": "out", "type": "Linear", "params": {"out_features": 1}}]
    t = remote_trainer(nodes=big, limits=RunLimits(max_memory_bytes=32 * 2**20))
    t.start()
    snap = t.snapshot()
    assert snap.state == FAILED and "(32 MiB, NEUROLOOM_WORKER_MAX_BYTES)" in snap.message, snap.message
    assert not t._process.is_alive() and t._process.exitcode == 0, "the worker ended by itself"
    t.reset()
    assert t.snapshot().state == IDLE


def test_the_memory_message_names_the_web_cap():
    assert "(4.0 GiB, NEUROLOOM_WORKER_MAX_BYTES)" in RunLimits(max_memory_bytes=4 * GIB).memory_message()


# -- taking turns between processes ---------------------------------------------------------------


def test_processes_take_turns_on_a_shared_slot(remote_trainer, fork_server):
    slots = shared_cap(fork_server, slice_s=0.3)
    first, second = remote_trainer(slots=slots), remote_trainer(slots=slots)
    first.start()
    wait_for(lambda: first.snapshot().epoch >= 1, what="the first run")
    second.start()
    wait_for(lambda: second.snapshot().state == RUNNING and second.snapshot().step > 0, what="the second run's turn")
    wait_for(lambda: first.snapshot().state == WAITING, what="the first run waiting its next turn")
    wait_for(lambda: first.snapshot().state == RUNNING and second.snapshot().state == WAITING, what="turns again")
    epochs = [h["epoch"] for h in first.history()]
    assert epochs == list(range(len(epochs)))


def test_the_server_runs_at_most_so_many_workers_and_says_so(remote_trainer):
    first, second = remote_trainer(max_workers=1), remote_trainer(max_workers=1)
    first.start()
    wait_for(lambda: first.snapshot().epoch >= 1, what="the first run's epoch")
    second.start()
    assert second._process is None and second.snapshot().state == IDLE
    assert "the server is busy: 1 trainings are open (NEUROLOOM_MAX_WORKERS)" in second.snapshot().message
    first.close()
    second.start()  # a worker went: the next Train gets one
    assert second._process is not None


def test_a_recorded_page_run_pauses_with_weights_and_reset_starts_a_new_run(fork_server, tmp_path):
    from engine.runs import RunStore

    trainer = RemoteTrainer(make_experiment(100_000, None, NODES), device="cpu",
                            record={"owner": "0123456789abcdef", "home": str(tmp_path)})
    try:
        trainer.start()
        wait_for(lambda: trainer.snapshot(visuals=False).epoch >= 3, what="three epochs")
        trainer.pause()
        wait_for(lambda: trainer.snapshot(visuals=False).state == "paused", what="the pause")
        trainer.snapshot(visuals=False)  # a command after the pause: the worker looks at its state
        wait_for(lambda: [r["status"] for r in RunStore(tmp_path).list()] == ["paused"], what="the run marked paused")
        first = RunStore(tmp_path).get(RunStore(tmp_path).list()[0]["id"])
        assert first["owner"] == "0123456789abcdef" and first["weights"] and first["epochs"] >= 3
        assert (tmp_path / first["weights"]).exists()
        trainer.reset()
        trainer.start()
        wait_for(lambda: len(RunStore(tmp_path).list()) == 2, what="a second run after Reset")
    finally:
        trainer.close()
    runs = {r["id"]: r for r in RunStore(tmp_path).list()}
    assert runs[first["id"]]["status"] == "stopped" and runs[first["id"]]["reason"] == "reset"
    wait_for(lambda: all(r["status"] == "stopped" for r in RunStore(tmp_path).list()), what="the page's close")


def test_an_untrained_models_pictures_are_drawn_in_the_page_only_when_cheap(fork_server, monkeypatch):
    """Before any Train the page's own process draws the pictures: bounded, since a link's model
    may cost up to a whole epoch's limit for its decision boundary."""
    from engine.budget import picture_macs

    made = [make_experiment(10), make_experiment(10)]
    cost = picture_macs(made[0].analysis, made[0].data_info, made[0].data)
    cheap, dear = (RemoteTrainer(experiment, device="cpu") for experiment in made)
    try:
        assert cheap.snapshot(visuals=True).visuals["boundary"] is not None and cheap._process is None
        monkeypatch.setattr(remote, "UNTRAINED_PICTURE_MACS", cost - 1)
        visuals = dear.snapshot(visuals=True).visuals
        assert list(visuals) == ["skipped"] and f"{cost:.3g} multiply-adds" in visuals["skipped"]
        assert dear._process is None
    finally:
        cheap.close()
        dear.close()
