"""Turbo: the compiled chunk of steps trains as the eager steps do, swaps in between epochs on the
same weights and optimizer state, is kept for the next run of the model, and where it cannot
compile the run stays eager and says why."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
import torch
from torch._dynamo.utils import counters
from torch._inductor.graph import GraphLowering

from engine import load_experiment
from engine.training import turbo as turbo_module
from engine.training.session import EVAL_CHUNK, Session
from engine.training.steps import train_epoch
from tests.conftest import ROOT

PRESETS = sorted(p.stem for p in (ROOT / "presets").glob("*.json"))
STAYS_EAGER = {  # the presets turbo cannot compile, and the reason it gives
    "gan_ring": "a GAN's two parts train in turn",
    "vae_digits": "random numbers",
}


@pytest.fixture(autouse=True)
def no_kept_chunks():
    """Each test compiles for itself: a chunk kept by an earlier test would swap in at once."""
    turbo_module._compiled.clear()
    yield
    turbo_module._compiled.clear()


def preset(name: str, **training) -> dict:
    raw = json.loads((ROOT / "presets" / f"{name}.json").read_text())
    raw["training"] = {**raw.get("training", {}), **training}
    return raw


def pair(raw: dict, backend: str = "eager") -> tuple[Session, Session]:
    """A session with turbo on (compiled by `backend`) and one without, from the same experiment."""
    turbo = Session(load_experiment({**raw, "training": {**raw["training"], "turbo": "on"}}), device="cpu")
    turbo.turbo.backend = backend
    eager = Session(load_experiment({**raw, "training": {**raw["training"], "turbo": "off"}}), device="cpu")
    return turbo, eager


def largest_difference(a: Session, b: Session) -> float:
    return max((x - y).abs().max().item() for x, y in zip(a.model.parameters(), b.model.parameters(), strict=True))


@pytest.mark.parametrize("name", PRESETS)
def test_turbo_trains_every_preset_as_eager_does(name):
    """Dynamo captures the whole chunk (backend "eager": the same graph without inductor's code
    generation, which the next test runs), and the chunks give eager's losses and metrics. (Not
    its weights to 1e-4: Adam turns rounding in a near-zero gradient into a step of lr's size.)"""
    turbo, eager = pair(preset(name))
    # The first epoch is eager in both; eager's comes first, as tracing in the background shifts
    # an epoch beside it by rounding (1e-6 of the loss), which Adam can grow past 1e-4.
    eager.run_epoch(), turbo.run_epoch()
    turbo.turbo.wait()
    if name in STAYS_EAGER:
        assert not turbo.turbo.ready
        assert turbo.turbo.note.startswith("eager: ") and STAYS_EAGER[name] in turbo.turbo.note
        return
    assert turbo.turbo.ready, turbo.turbo.note
    for _ in range(2):
        assert turbo.run_epoch() == pytest.approx(eager.run_epoch(), rel=1e-4, abs=1e-6)
    assert turbo.step == eager.step
    # sets up to evaluation's piece size are evaluated in one compiled call
    assert (turbo.turbo.metrics(turbo) is not None) == (max(turbo.n_train, len(turbo.x_test)) <= EVAL_CHUNK)
    theirs = eager.evaluate()
    assert turbo.evaluate() == {k: v if v is None else pytest.approx(v, rel=1e-3, abs=1e-5) for k, v in theirs.items()}


def test_inductors_compiled_chunk_swaps_in_and_keeps_the_optimizer_state():
    """The real compiler, swapped in mid-run: SGD with momentum, L2 and clipping, a rate changed
    between epochs (no new compile), and a partial batch at each epoch's end (eager, on the same
    state)."""
    raw = preset("playground", optimizer="sgd", momentum=0.9, regularization="l2", reg_rate=0.001, grad_clip=1.0,
                 batch_size=12)
    turbo, eager = pair(raw, backend="inductor")
    turbo.run_epoch(), eager.run_epoch()
    while not turbo.turbo.ready and turbo.epoch < 300:  # training goes on eager while it compiles
        assert turbo.run_epoch() == pytest.approx(eager.run_epoch(), rel=1e-6)
    assert turbo.turbo.wait() and turbo.turbo.note.startswith("turbo: compiled steps"), turbo.turbo.note
    assert turbo.n_train % turbo.batch_size  # the last batch of each epoch is partial
    graphs = counters["stats"]["unique_graphs"]
    for epoch in range(3):
        if epoch == 1:
            turbo.set_lr(0.01), eager.set_lr(0.01)
        assert turbo.run_epoch() == pytest.approx(eager.run_epoch(), rel=1e-4)
    assert counters["stats"]["unique_graphs"] == graphs  # a new rate is an input, not a new graph
    assert largest_difference(turbo, eager) < 1e-4
    for mine, theirs in zip(turbo.model.parameters(), eager.model.parameters(), strict=True):
        torch.testing.assert_close(turbo.optimizer.state[mine]["momentum_buffer"],
                                   eager.optimizer.state[theirs]["momentum_buffer"], rtol=1e-3, atol=1e-5)
    assert turbo.turbo.metrics(turbo) is not None  # evaluated by inductor's code too
    theirs = eager.evaluate()
    assert turbo.evaluate() == {k: v if v is None else pytest.approx(v, rel=1e-4, abs=1e-6) for k, v in theirs.items()}


def test_an_epoch_of_one_chunk_measures_its_weights_and_new_weights_are_measured_anew():
    """TF Playground's 25 batches are one chunk: it ends with both sets' metrics, which the
    epoch's evaluate() reads. Weights changed after it (load_weights, as a diverged run goes back)
    are measured anew, not read from the chunk."""
    raw = preset("playground", optimizer="sgd")
    turbo, eager = pair(raw)
    start = turbo.weights()
    turbo.run_epoch(), eager.run_epoch()
    assert turbo.turbo.wait(), turbo.turbo.note
    assert turbo.n_train == turbo.turbo._rows  # one chunk an epoch
    for _ in range(2):
        assert turbo.run_epoch() == pytest.approx(eager.run_epoch(), rel=1e-5)
        assert turbo.turbo._fresh is not None  # measured by the chunk
        theirs = eager.evaluate()
        assert turbo.evaluate() == {k: v if v is None else pytest.approx(v, rel=1e-4, abs=1e-6) for k, v in theirs.items()}
    other = {name: value * 5 for name, value in start.items()}  # far from what the chunk measured
    turbo.load_weights(other), eager.load_weights(other)
    theirs = eager.evaluate()
    assert theirs["train_loss"] != pytest.approx(turbo.turbo._fresh[0][0][0].item(), rel=1e-2)
    assert turbo.evaluate() == {k: v if v is None else pytest.approx(v, rel=1e-4, abs=1e-6) for k, v in theirs.items()}


def test_a_small_networks_matrix_products_are_written_into_the_compiled_code(monkeypatch):
    """On the CPU a call to the BLAS library costs more than a whole product of the playground's
    2-4-2-1 network: inductor writes the products into its own kernels, so the compiled code calls
    none, and trains as eager does. (Compiled here with the compiler's caches off, so the code is
    generated and seen.)"""
    # batches of 12: the epoch is not one chunk, so its chunk holds the steps alone (an epoch that
    # is one chunk ends with the evaluation, whose products over whole sets call the library)
    raw = preset("playground", optimizer="sgd", turbo="off", batch_size=12)
    compiled, eager = (Session(load_experiment(raw), device="cpu") for _ in range(2))
    eager.run_epoch(), compiled.run_epoch()
    codes = []
    monkeypatch.setattr(GraphLowering, "save_output_code", codes.append)  # inductor's hook for tests
    with torch._inductor.config.patch(fx_graph_cache=False), torch._functorch.config.patch(enable_autograd_cache=False):
        compiled.turbo._compile(compiled)
    assert compiled.turbo.ready, compiled.turbo.note
    # the evaluation's module (whole sets: its products have hundreds of rows, past the small ones
    # written into kernels), then the chunk's
    assert len(codes) == 2, len(codes)
    calls_blas = [("mm_out" in code or "extern_kernels.mm" in code) for code in codes]
    assert calls_blas == [True, False], "the chunk calls the BLAS library"  # as the evaluation does
    for _ in range(3):
        assert compiled.run_epoch() == pytest.approx(eager.run_epoch(), rel=1e-5)
    assert largest_difference(compiled, eager) < 1e-5


@pytest.mark.parametrize(("batches", "looped", "steps"), [
    (25, True, 25), (44, True, 22), (43, True, 21), (100, True, 25), (3, True, 3), (1, True, 1),
    (25, False, 5), (3, False, 3)])
def test_a_chunk_takes_the_steps_that_leave_the_fewest_whole_batches_to_eager_steps(batches, looped, steps):
    assert turbo_module.chunk_steps(batches, looped) == steps


@pytest.mark.parametrize(("batches", "looped", "most", "steps"), [
    (25, True, 100, 25), (25, True, 12, 5), (44, True, 12, 11), (25, True, 3, 3), (25, True, 1, 1), (25, False, 2, 2)])
def test_a_chunk_takes_no_more_steps_than_it_is_allowed(batches, looped, most, steps):
    assert turbo_module.chunk_steps(batches, looped, most) == steps


def test_a_model_with_slow_steps_compiles_calls_short_enough_for_stop():
    """Stop waits for the call it comes in: a run whose eager epoch of 25 steps took 10 s
    (0.4 s a step) compiles one step per call, and still trains as eager steps do."""
    raw = preset("playground", optimizer="sgd", turbo="off")
    turbo, eager = (Session(load_experiment(raw), device="cpu") for _ in range(2))
    eager.run_epoch(), turbo.run_epoch()
    assert turbo.turbo._steps == 25  # not sized yet: one call an epoch
    turbo.turbo._why, turbo.turbo.mode, turbo.turbo.backend = None, "on", "eager"
    turbo.turbo.after_eager_epoch(turbo, 10.0)  # as if the epoch had taken 10 s
    assert turbo.turbo._steps == 1
    assert turbo.turbo.wait(), turbo.turbo.note
    for _ in range(2):
        assert turbo.run_epoch() == pytest.approx(eager.run_epoch(), rel=1e-5)


@pytest.mark.parametrize("looped", [True, False], ids=["looped (CPU)", "written out (CUDA)"])
def test_a_chunk_trains_as_eager_steps_do_with_adam_l2_clipping_and_batch_norm(looped):
    """Both kinds of chunk (the written-out one, used on CUDA, traced here on the CPU) on the same
    four batches as eager steps: losses, weights, running statistics and Adam's state."""
    raw = preset("playground", optimizer="adam", regularization="l2", reg_rate=0.01, grad_clip=0.5, turbo="off")
    # on the inputs: a bias just before batch norm has a zero gradient, which Adam turns into steps
    # of the rate's size in the direction of the rounding
    raw["model"]["nodes"].insert(0, {"id": "norm", "type": "BatchNorm1d"})
    compiled, eager = (Session(load_experiment(raw), device="cpu") for _ in range(2))
    compiled.run_epoch(), eager.run_epoch()  # Adam's state exists
    rows = torch.randperm(compiled.n_train)[:40].reshape(4, 10)
    chunk = turbo_module.make_chunk(compiled.trained, compiled.objective.loss, compiled.optimizer,
                                    compiled.weight_penalty, compiled.turbo._weights, 0.5, looped)
    named = dict(compiled.trained.named_parameters())
    total = torch.compile(chunk, fullgraph=True, backend="eager")(
        {name: p.detach() for name, p in named.items()}, dict(compiled.trained.named_buffers()),
        [compiled.optimizer.state[p] for p in named.values()], compiled.x_train, compiled.t_train, rows,
        torch.tensor(compiled.lr))
    theirs = train_epoch(eager.trained, eager.params, eager.objective.loss, eager.optimizer, eager.x_train,
                         eager.t_train, rows.reshape(-1), 10, eager.penalty, 0.5)
    assert total.item() == pytest.approx(theirs.item(), rel=1e-5)
    mine, expected = compiled.model.state_dict(), eager.model.state_dict()
    for name in mine:
        torch.testing.assert_close(mine[name], expected[name], rtol=1e-4, atol=1e-6, msg=lambda m, name=name: f"{name}: {m}")
    for p, q in zip(compiled.model.parameters(), eager.model.parameters(), strict=True):
        for key in ("exp_avg", "exp_avg_sq", "step"):
            torch.testing.assert_close(compiled.optimizer.state[p][key], eager.optimizer.state[q][key],
                                       rtol=1e-4, atol=1e-7)


def test_models_that_differ_only_inside_the_loop_get_their_own_cached_code():
    """Inductor's cache takes the looped chunk only when told to; its key must then hold the
    loop's body: the same shapes with another activation is another model."""
    for activation in ("Tanh", "ReLU"):
        raw = preset("playground", optimizer="sgd", turbo="off")
        for node in raw["model"]["nodes"]:
            node["type"] = activation if node["type"] == "Tanh" else node["type"]
        compiled, eager = (Session(load_experiment(raw), device="cpu") for _ in range(2))
        compiled.run_epoch(), eager.run_epoch()
        compiled.turbo._compile(compiled)
        assert compiled.turbo.ready, compiled.turbo.note
        for _ in range(2):
            assert compiled.run_epoch() == pytest.approx(eager.run_epoch(), rel=1e-5)


def test_the_next_run_of_the_same_model_takes_the_kept_chunk_at_once():
    raw = preset("perceptron_xor", optimizer="adamw", weight_decay=0.01)
    first, _ = pair(raw)
    first.run_epoch()
    assert first.turbo.wait()
    second, eager = pair(raw)
    second.run_epoch(), eager.run_epoch()
    assert second.turbo.ready and "kept from an earlier run" in second.turbo.note  # no second compile
    assert second.turbo.swap_seconds == 0.0
    assert second.run_epoch() == pytest.approx(eager.run_epoch(), rel=1e-5)
    assert largest_difference(second, eager) < 1e-5
    other, _ = pair(preset("perceptron_xor", optimizer="rmsprop", momentum=0.3))  # other settings: their own chunk
    other.run_epoch()
    assert other.turbo.wait() and "kept" not in other.turbo.note


def test_a_kept_chunk_goes_only_to_runs_that_compile_with_its_backend():
    raw = preset("perceptron_xor")
    first, _ = pair(raw)  # compiled by dynamo's "eager" backend
    first.run_epoch()
    assert first.turbo.wait()
    short = {**raw, "training": {**raw["training"], "turbo": "auto", "epochs": 3}}  # too short to compile
    inductor = Session(load_experiment(short), device="cpu")
    inductor.run_epoch()
    assert not inductor.turbo.ready and inductor.turbo.note == ""
    same = Session(load_experiment(short), device="cpu")
    same.turbo.backend = "eager"
    same.run_epoch()
    assert same.turbo.ready and "kept from an earlier run" in same.turbo.note


def test_auto_compiles_a_long_run_but_not_a_short_one_and_off_never_does(monkeypatch):
    open_ended = Session(load_experiment(preset("perceptron")), device="cpu")
    open_ended.turbo.backend = "eager"
    open_ended.turbo.budget = None  # the page's run once it went on past its budget
    open_ended.run_epoch()
    assert not open_ended.turbo.wait()  # it has not trained long enough to be likely to go on
    monkeypatch.setattr(turbo_module, "COMPILE_AFTER_S", 0.0)  # as if it had
    short = Session(load_experiment(preset("perceptron")), device="cpu")
    short.turbo.backend = "eager"
    short.turbo.budget = 3  # a run that stops at 3 epochs: compiling would not pay
    short.run_epoch()
    assert not short.turbo.wait() and short.turbo.note == ""
    open_ended.run_epoch()
    assert open_ended.turbo.wait() and open_ended.turbo.note.startswith("turbo")
    off = Session(load_experiment(preset("perceptron", turbo="off")), device="cpu")
    off.run_epoch()
    assert not off.turbo.ready and off.turbo.note == ""


def test_eager_epochs_leave_a_core_to_the_compiler_while_it_compiles():
    """Eager steps with as many threads as cores would wait on the compiler's core at each
    parallel kernel: while the chunk compiles, the run's own thread uses one core less."""
    cores = len(os.sched_getaffinity(0))
    threads = max(2, cores)
    run = Session(load_experiment(preset("playground", turbo="on")), device="cpu")
    release = threading.Event()
    compiling = threading.Thread(target=release.wait)  # stands for the compile thread, still at work
    run.turbo._thread = compiling
    compiling.start()
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        seen = []
        run.run_epoch(progress=lambda *_: seen.append(torch.get_num_threads()))
        assert set(seen) == {max(1, min(threads, cores - 1))}
        assert torch.get_num_threads() == threads  # given back after the epoch
        release.set()
        compiling.join()
        seen.clear()
        run.run_epoch(progress=lambda *_: seen.append(torch.get_num_threads()))
        assert set(seen) == {threads}  # the compile is over: every thread again
    finally:
        release.set()
        torch.set_num_threads(before)


def test_the_run_loads_the_code_the_other_process_compiled_for_its_threads(tmp_path):
    """Inductor keys its cached code on torch's thread count and dynamo guards on it: the other
    process compiles for the run's threads, so the run's compile thread finds all of it cached,
    and the run's own thread never compiles (it would, for a chunk made for other threads)."""
    from torch._inductor.runtime.cache_dir_utils import temporary_cache_dir

    before = torch.get_num_threads()
    torch.set_num_threads(2)  # more than the one thread the other process trains with
    try:
        with temporary_cache_dir(str(tmp_path)):  # nothing compiled yet
            run = Session(load_experiment(preset("playground", turbo="on", optimizer="sgd")), device="cpu")
            counters.clear()
            run.run_epoch()
            deadline = time.monotonic() + 240
            while not run.turbo.ready and run.turbo._thread.is_alive() and time.monotonic() < deadline:
                run.run_epoch()  # eager meanwhile, a core left to the compiler
                run.evaluate()
            assert run.turbo.wait(), run.turbo.note
            found = dict(counters["inductor"])
            assert found.get("fxgraph_cache_hit", 0) >= 2 and not found.get("fxgraph_cache_miss"), found
            graphs = counters["stats"]["unique_graphs"]
            run.run_epoch(), run.evaluate()
            assert counters["stats"]["unique_graphs"] == graphs  # no compile in the run's thread
    finally:
        torch.set_num_threads(before)


def test_a_chunk_compiled_while_the_run_evaluates_still_trains_batch_norm_on_its_batches():
    """The compile copies the model in another thread, maybe while the run evaluates in eval mode;
    the chunk is a training step whatever mode the copy found: batch statistics, running ones
    updated."""
    raw = preset("playground", optimizer="sgd")
    raw["model"]["nodes"].insert(1, {"id": "norm", "type": "BatchNorm1d"})
    turbo, eager = pair(raw)
    eager.run_epoch(), turbo.run_epoch()
    assert turbo.turbo.wait(), turbo.turbo.note  # a run with batch norm compiles
    turbo.turbo._chunk = None
    turbo.model.eval()  # as evaluate leaves it mid-way
    turbo.turbo._compile(turbo)
    turbo.model.train()
    assert turbo.turbo.ready, turbo.turbo.note
    for _ in range(2):
        assert turbo.run_epoch() == pytest.approx(eager.run_epoch(), rel=1e-5)
    mine, theirs = turbo.model.state_dict(), eager.model.state_dict()
    assert [k for k in mine if "running_mean" in k]
    for name in mine:
        torch.testing.assert_close(mine[name], theirs[name], rtol=1e-4, atol=1e-6)


def test_a_run_with_dropout_stays_eager_and_says_why():
    raw = preset("playground", turbo="on")
    raw["model"]["nodes"].insert(-1, {"id": "drop", "type": "Dropout", "params": {"p": 0.2}})
    session = Session(load_experiment(raw), device="cpu")
    session.run_epoch()
    assert not session.turbo.ready
    assert session.turbo.note == "eager: it draws random numbers while training (dropout or sampling)"


def test_a_recurrence_too_long_to_write_out_stays_eager_and_says_why():
    """A link can ask for long sequences in deep, two-way recurrent layers: the compiled forward
    pass would write out every step, so past a bound the run stays eager (20 steps x 2 layers x
    2 directions here), and a bound's worth still compiles."""
    raw = preset("gru_sine", turbo="on")
    raw["model"]["nodes"][0]["params"].update(num_layers=2, bidirectional=True)
    session = Session(load_experiment(raw), device="cpu")
    session.run_epoch()
    assert not session.turbo.ready and session.turbo._thread is None
    assert session.turbo.note == ("eager: its recurrent layers would be written out as 80 steps to compile "
                                  "(sequence length x layers x directions), more than 64")
    raw["model"]["nodes"][0]["params"].update(num_layers=1)  # 40 steps
    assert turbo_module.why_not(Session(load_experiment(raw), device="cpu")) is None


def test_without_a_cpp_compiler_the_run_stays_eager_and_says_so_once(tmp_path):
    """A real missing compiler: PATH holds only Python, so inductor finds no g++ or clang++."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(os.path.realpath(sys.executable))
    raw = preset("perceptron", turbo="on")
    (tmp_path / "run.json").write_text(json.dumps(raw))
    env = {k: v for k, v in os.environ.items() if k not in ("CXX", "CC")} | {"PATH": str(bin_dir)}
    done = subprocess.run([sys.executable, "-m", "engine", "train", str(tmp_path / "run.json"), "--epochs", "5"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("eager: no C++ compiler found (g++ or clang++)") == 1
    assert "Traceback" not in done.stderr


def test_closing_a_run_ends_its_compiling_process():
    """A page put away mid-compile leaves no compiler running behind it."""
    from engine.training.trainer import Trainer

    trainer = Trainer(load_experiment(preset("spiral", turbo="on", epochs=100_000)), device="cpu")
    trainer.start()
    deadline = time.monotonic() + 60
    while trainer.session.turbo._warming is None and time.monotonic() < deadline:
        time.sleep(0.05)
    warming = trainer.session.turbo._warming
    assert warming is not None, trainer.session.turbo.note
    trainer.close()
    assert warming.wait(timeout=10) != 0  # killed, not finished
    assert not trainer.session.turbo.wait(timeout=30)  # and nothing compiles here after it
