"""Exports checked against the real outside tools: the scripts run in an empty folder without
NeuroLoom, their model matches `build_model`, ONNX runs in onnxruntime, pt2 loads with
torch.export, the DDP script runs under torchrun, TensorBoard files read back."""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import re
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import SpecError, build_model, load_experiment
from engine.data import make_dataset
from engine.export import example_input, export
from engine.training.session import Session
from tests.conftest import ROOT

PRESETS = sorted((ROOT / "presets").glob("*.json"))
EVERY_PRESET = [p.stem for p in PRESETS]
LOSS_LINE = re.compile(r"^epoch (\d+)/\d+  train loss ([0-9.]+)  test loss ([0-9.]+)")
SCRIPT_EPOCHS = 4


def clean_env() -> dict:
    """The environment of someone who has torch but not NeuroLoom."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"OMP_NUM_THREADS": "1"}


def load_script(path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("preset", ["spiral", "cnn_digits", "gru_sine", "transformer_reverse"])
def test_every_annotation_in_a_script_names_something_it_defines(preset, tmp_path):
    import typing

    path = ROOT / "presets" / f"{preset}.json"
    module = load_script(export(load_experiment(path), "pytorch", tmp_path / "train.py"))
    functions = [f for f in vars(module).values() if inspect.isfunction(f) and f.__module__ == module.__name__]
    assert functions
    for function in functions:
        typing.get_type_hints(function)  # NameError for a type the script does not define


# Runs exported scripts one after another in one Python without NeuroLoom (its own folder on the
# path, the environment of `clean_env`), each as `python train.py ARGS` would: its folder the
# working directory, its arguments in sys.argv, run as __main__ with fresh globals.
RUN_SCRIPTS = """
import contextlib, io, json, os, runpy, sys, traceback
results = {}
for name, folder, argv in json.loads(sys.stdin.read()):
    os.chdir(folder)
    sys.argv = ["train.py", *argv]
    out, err, code = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path("train.py", run_name="__main__")
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
    results[name] = [code, out.getvalue(), err.getvalue()]
print(json.dumps(results))
"""


def run_scripts(jobs: list[tuple[str, Path, list[str]]], cwd: Path) -> dict[str, subprocess.CompletedProcess]:
    """Each job's script (name, folder holding train.py, arguments) in one process: for the many
    presets, where a process each would spend seconds importing torch. Other tests run a script
    alone in a process of its own."""
    request = json.dumps([[name, str(folder), argv] for name, folder, argv in jobs])
    done = subprocess.run([sys.executable, "-c", RUN_SCRIPTS], input=request, cwd=cwd, env=clean_env(),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    return {name: subprocess.CompletedProcess(["train.py", *argv], *results[name]) for name, _, argv in jobs}


@pytest.fixture(scope="module")
def script_runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every preset's exported script run for 4 epochs, in two processes side by side (the test
    machine has two cores)."""
    jobs = []
    for preset in PRESETS:
        folder = tmp_path_factory.mktemp(preset.stem)
        export(load_experiment(preset), "pytorch", folder / "train.py")
        jobs.append((preset.stem, folder, ["--epochs", str(SCRIPT_EPOCHS)]))
    cwd = tmp_path_factory.mktemp("runner")
    with ThreadPoolExecutor(2) as pool:
        halves = pool.map(lambda half: run_scripts(half, cwd), [jobs[0::2], jobs[1::2]])
        return {name: result for half in halves for name, result in half.items()}


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_the_pytorch_script_runs_alone_and_its_loss_falls(preset, script_runs):
    result = script_runs[preset.stem]
    assert result.returncode == 0, result.stderr[-2000:]
    losses = [float(m.group(2)) for line in result.stdout.splitlines() if (m := LOSS_LINE.match(line))]
    assert len(losses) == SCRIPT_EPOCHS + 1, result.stdout
    assert losses[-1] < losses[0], f"the loss did not fall: {losses}"


def printed_losses(stdout: str) -> list[float]:
    """A script's train and test loss, epoch by epoch, as it printed them."""
    return [float(m.group(g)) for line in stdout.splitlines() if (m := LOSS_LINE.match(line)) for g in (2, 3)]


def engine_losses(preset) -> list[float]:
    """The engine session's train and test loss, epoch by epoch, for a script's epochs."""
    raw = json.loads(preset.read_text())
    raw["training"]["epochs"] = SCRIPT_EPOCHS  # as the script's --epochs: a schedule spans the run
    session = Session(load_experiment(raw), "cpu")
    losses = []
    for epoch in range(SCRIPT_EPOCHS + 1):
        if epoch:
            session.run_epoch()
        metrics = session.evaluate()
        losses += [metrics["train_loss"], metrics["test_loss"]]
    return losses


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_the_script_trains_to_the_engines_numbers(preset, script_runs):
    """One training, two sources: epoch by epoch, the script's train and test losses are those
    of the engine's session with the same seed (to the script's 4 printed decimals, give or take
    the float rounding of another thread count)."""
    printed, engine = printed_losses(script_runs[preset.stem].stdout), engine_losses(preset)
    assert printed == pytest.approx(engine, rel=2e-3, abs=2e-4), f"script {printed}\nengine {engine}"


DDP_PRESETS = [ROOT / "presets" / f"{name}.json" for name in ("mlp_xor", "multiclass_spiral", "vae_digits")]


@pytest.fixture(scope="module")
def one_process_ddp_runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """The DDP script of a plain model, a model whose loss squashes its logits, and a VAE (a
    penalty and random draws), each as torchrun's one process, two at a time."""
    def run(preset):
        folder = tmp_path_factory.mktemp(f"ddp_{preset.stem}")
        script = export(load_experiment(preset), "ddp", folder / "train_ddp.py")
        with socket.socket() as probe:  # a free port for the process group's rendezvous
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        # what torchrun sets for its one process (the launcher itself is tested below)
        env = clean_env() | {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1",
                             "MASTER_PORT": str(port)}
        return preset.stem, subprocess.run([sys.executable, script.name, "--epochs", str(SCRIPT_EPOCHS)], cwd=folder,
                                           env=env, capture_output=True, text=True, timeout=300)

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(run, DDP_PRESETS))


@pytest.mark.parametrize("preset", DDP_PRESETS, ids=lambda p: p.stem)
def test_the_ddp_script_on_one_process_trains_to_the_engines_numbers(preset, one_process_ddp_runs):
    """The DDP script trains with the engine's epoch too: alone, its process takes every sample
    in the engine's batches, so its losses are the engine's."""
    result = one_process_ddp_runs[preset.stem]
    assert result.returncode == 0, result.stderr[-3000:]
    printed, engine = printed_losses(result.stdout), engine_losses(preset)
    assert printed == pytest.approx(engine, rel=2e-3, abs=2e-4), f"ddp script {printed}\nengine {engine}"


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_the_script_makes_the_engines_data_and_model(preset, tmp_path):
    experiment = load_experiment(preset)
    module = load_script(export(experiment, "pytorch", tmp_path / "train.py"))
    engine_data = make_dataset(experiment.data)
    for mine, theirs in zip(module.load_data(), (engine_data.x_train, engine_data.y_train, engine_data.x_test,
                                                 engine_data.y_test), strict=True):
        assert mine.dtype == theirs.dtype and torch.equal(mine, theirs)
    seed = experiment.training["seed"]
    reference = build_model(experiment, seed=seed).eval()
    torch.manual_seed(seed)
    model = module.Model().eval()  # the same seed gives the same starting weights...
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), reference.state_dict().values(),
                                                  strict=True))
    for tensor in reference.state_dict().values():
        tensor.add_(0.01)  # ...and any weights of the engine load by name
    model.load_state_dict(reference.state_dict())
    x = example_input(experiment, batch=5)
    with torch.no_grad():
        assert (model(x) - reference(x)).abs().max() <= 1e-5


@pytest.mark.parametrize("preset", EVERY_PRESET)
def test_onnx_runs_in_onnxruntime_with_any_batch_size(preset, tmp_path):
    import onnxruntime

    experiment = load_experiment(ROOT / "presets" / f"{preset}.json")
    path = export(experiment, "onnx", tmp_path / "model.onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    reference = build_model(experiment, seed=experiment.training["seed"]).eval()
    for batch in (1, 7):
        x = example_input(experiment, batch)
        (out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
        with torch.no_grad():
            assert np.abs(out - reference(x).numpy()).max() <= 1e-4


@pytest.mark.parametrize(("preset", "part", "drawn"), [("vae_digits", "decoder", (1, 8, 8)), ("gan_ring", "generator", (2,))])
def test_a_generative_models_generating_part_has_an_onnx_file_of_its_own(preset, part, drawn, tmp_path):
    """The decoder of a VAE (a code in, an image out) and the generator of a GAN (noise in, a
    sample out) run alone in onnxruntime, as the engine's own halves of the trained model do."""
    import onnxruntime

    from engine.compile import tail_from
    from engine.gan import split

    experiment = load_experiment(ROOT / "presets" / f"{preset}.json")
    path = export(experiment, "onnx", tmp_path / "model.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / f"model.{part}.onnx"), providers=["CPUExecutionProvider"])
    model = build_model(experiment, seed=experiment.training["seed"]).eval()
    reference = split(model, "fake")[0] if part == "generator" else tail_from(model, "z")
    assert path == tmp_path / "model.onnx" and path.exists()
    for batch in (1, 7):
        code = torch.randn(batch, 2)  # both take 2 numbers: a 2-D code, 2-D noise
        (out,) = session.run(None, {session.get_inputs()[0].name: code.numpy()})
        assert out.shape == (batch, *drawn)
        with torch.no_grad():
            assert np.abs(out - reference(code).numpy()).max() <= 1e-4


@pytest.mark.parametrize("preset", EVERY_PRESET)
def test_the_pt2_program_loads_and_matches(preset, tmp_path):
    experiment = load_experiment(ROOT / "presets" / f"{preset}.json")
    program = torch.export.load(str(export(experiment, "pt2", tmp_path / "model.pt2")))
    reference = build_model(experiment, seed=experiment.training["seed"]).eval()
    x = example_input(experiment, batch=3)
    with torch.no_grad():
        assert (program.module()(x) - reference(x)).abs().max() <= 1e-5


def test_the_ddp_script_runs_on_two_processes_to_the_engines_numbers(tmp_path):
    """Two processes each take every other sample of the engine's shuffle in half batches, so
    together they take the engine's batches: DDP's averaged gradient is the engine's, and so are
    the losses (mlp_xor's batch of 10 splits evenly)."""
    preset = ROOT / "presets" / "mlp_xor.json"
    script = export(load_experiment(preset), "ddp", tmp_path / "train_ddp.py")
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    result = subprocess.run([*torchrun, script.name, "--epochs", str(SCRIPT_EPOCHS), "--save", "w.safetensors"],
                            cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "rank 0 of 2 finished" in result.stdout and "rank 1 of 2 finished" in result.stdout
    assert result.stdout.count(f"epoch {SCRIPT_EPOCHS}/{SCRIPT_EPOCHS}") == 1  # rank 0 alone reports
    printed, engine = printed_losses(result.stdout), engine_losses(preset)
    assert printed == pytest.approx(engine, rel=2e-3, abs=2e-4), f"ddp script {printed}\nengine {engine}"
    assert (tmp_path / "w.safetensors").exists()


def test_trained_weights_travel_into_every_export(tmp_path):
    preset = ROOT / "presets" / "mlp_xor.json"
    run = subprocess.run([sys.executable, "-m", "engine", "train", str(preset), "--epochs", "3", "--save",
                          str(tmp_path / "run")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    weights = tmp_path / "run" / "weights.safetensors"
    experiment = load_experiment(preset)
    trained = build_model(experiment)
    from safetensors.torch import load_file

    trained.load_state_dict(load_file(str(weights)))
    script = export(experiment, "pytorch", tmp_path / "out" / "train.py", weights=weights)
    copied = tmp_path / "out" / "train.safetensors"  # kept next to the script, its default start
    assert copied.exists() and "'train.safetensors'" in script.read_text()
    model = load_script(script).Model()
    model.load_state_dict(load_file(str(copied)))
    x = example_input(experiment, 4)
    with torch.no_grad():
        assert torch.allclose(model(x), trained(x))
    onnx_path = export(experiment, "onnx", tmp_path / "out" / "trained.onnx", weights=weights)
    import onnxruntime

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        assert np.abs(out - trained(x).numpy()).max() <= 1e-4


def test_a_script_refuses_a_weights_file_that_is_not_there(tmp_path):
    script = export(load_experiment(ROOT / "presets" / "mlp_xor.json"), "pytorch", tmp_path / "train.py")
    run = subprocess.run([sys.executable, str(script), "--epochs", "1", "--weights", "missing.safetensors"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "no weights file missing.safetensors" in run.stderr
    assert "epoch" not in run.stdout  # it did not train from fresh weights instead


def test_weights_that_do_not_fit_name_the_first_mismatch(tmp_path):
    from safetensors.torch import save_file

    experiment = load_experiment(ROOT / "presets" / "mlp_xor.json")
    state = build_model(experiment).state_dict()
    state["h1.weight"] = torch.zeros(3, 2)
    save_file(dict(state), str(tmp_path / "bad.safetensors"))
    with pytest.raises(SpecError, match=r"'h1.weight' has shape \[3, 2\] but the model's is \[4, 2\]"):
        export(experiment, "onnx", tmp_path / "m.onnx", weights=tmp_path / "bad.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a safetensors file")
    result = subprocess.run([sys.executable, "-m", "engine", "export", str(ROOT / "presets" / "mlp_xor.json"),
                             "--to", "pt2", "-o", str(tmp_path / "m.pt2"), "--weights",
                             str(tmp_path / "junk.safetensors")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.startswith("file: ") and "Traceback" not in result.stderr
    assert not (tmp_path / "m.pt2").exists()


def test_spec_export_writes_every_default(tmp_path):
    experiment = load_experiment(ROOT / "presets" / "perceptron.json")
    written = json.loads(export(experiment, "spec", tmp_path / "spec.json").read_text())
    assert written["training"]["momentum"] == experiment.training["momentum"]
    assert load_experiment(written).to_dict() == written


def test_tensorboard_logs_read_back(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    result = subprocess.run([sys.executable, "-m", "engine", "train", str(ROOT / "presets" / "perceptron.json"),
                             "--epochs", "3", "--tensorboard", str(tmp_path / "tb")], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    events = EventAccumulator(str(tmp_path / "tb"), size_guidance={"histograms": 0, "scalars": 0}).Reload()
    tags = events.Tags()
    assert {"train/loss", "test/loss", "test/accuracy", "lr"} <= set(tags["scalars"])
    assert [e.step for e in events.Scalars("test/loss")] == [1, 2, 3]
    assert "weights/out.weight" in tags["histograms"] and "gradients/out.weight" in tags["histograms"]


def test_a_csv_experiment_exports_a_script_that_reads_the_same_file(tmp_path):
    rng = np.random.default_rng(0)
    rows = ["height,weight,kind"] + [
        f"{h:.3f},{w:.3f},{'tall' if h > 0 else 'short'}" for h, w in rng.normal(size=(120, 2))
    ]
    data_file = tmp_path / "people.csv"
    data_file.write_text("\n".join(rows) + "\n")
    raw = {
        "format": "neuroloom/1",
        "model": {"input": {"shape": [2]}, "nodes": [{"id": "h", "type": "Linear", "params": {"out_features": 2}}]},
        "data": {"dataset": "csv", "path": str(data_file), "target": "kind"},
        "training": {"loss": "cross_entropy", "optimizer": "adam", "lr": 0.05, "batch_size": 16, "epochs": 5},
    }
    experiment = load_experiment(raw)
    out = tmp_path / "elsewhere"
    module = load_script(export(experiment, "pytorch", out / "train.py"))
    engine_data = make_dataset(experiment.data)
    for mine, theirs in zip(module.load_data(), (engine_data.x_train, engine_data.y_train, engine_data.x_test,
                                                 engine_data.y_test), strict=True):
        assert mine.dtype == theirs.dtype and torch.allclose(mine.float(), theirs.float())
    (out / "people.csv").write_text(data_file.read_text())  # the script also finds the file beside it
    data_file.unlink()
    result = subprocess.run([sys.executable, "train.py", "--epochs", "5"], cwd=out, env=clean_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    losses = [float(m.group(2)) for line in result.stdout.splitlines() if (m := LOSS_LINE.match(line))]
    assert losses[-1] < losses[0]


NEW_ACTIVATIONS = [
    {"id": "h1", "type": "Linear", "params": {"out_features": 8}},
    {"id": "step", "type": "Step"},
    {"id": "h2", "type": "Linear", "params": {"out_features": 8}},
    {"id": "soft", "type": "Softplus", "params": {"beta": 2.0}},
    {"id": "h3", "type": "Linear", "params": {"out_features": 8}},
    {"id": "mish", "type": "Mish"},
    {"id": "out", "type": "Linear", "params": {"out_features": 1}},
]


def test_step_softplus_and_mish_export_to_a_script_onnx_and_pt2_that_match(tmp_path):
    import onnxruntime

    from tests.conftest import experiment as make

    experiment = load_experiment(make(NEW_ACTIVATIONS, data={"dataset": "circle", "n_samples": 200},
                                      training={"epochs": 3, "loss": "bce"}))
    reference = build_model(experiment, seed=experiment.training["seed"]).eval()
    x = example_input(experiment, batch=7)
    with torch.no_grad():
        expected = reference(x)
    module = load_script(export(experiment, "pytorch", tmp_path / "train.py"))
    torch.manual_seed(experiment.training["seed"])
    with torch.no_grad():
        assert (module.Model().eval()(x) - expected).abs().max() <= 1e-5
    script = subprocess.run([sys.executable, "train.py", "--epochs", "2"], cwd=tmp_path, env=clean_env(),
                            capture_output=True, text=True, timeout=300)
    assert script.returncode == 0, script.stderr[-2000:]
    assert [m.group(1) for line in script.stdout.splitlines() if (m := LOSS_LINE.match(line))] == ["0", "1", "2"]
    session = onnxruntime.InferenceSession(str(export(experiment, "onnx", tmp_path / "model.onnx")),
                                           providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    assert np.abs(out - expected.numpy()).max() <= 1e-4
    program = torch.export.load(str(export(experiment, "pt2", tmp_path / "model.pt2")))
    with torch.no_grad():
        assert (program.module()(x) - expected).abs().max() <= 1e-5
