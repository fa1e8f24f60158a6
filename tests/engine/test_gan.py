"""GANs: one graph in two named parts (engine.gan). The split halves share the model's weights,
a broken split names what is wrong and where, training pulls the generated samples onto the real
ones, the distance sees mode collapse, and the exported script trains exactly as the engine."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import torch

from engine import SpecError, build_model, load_experiment
from engine.export import export
from engine.gan import sliced_distance, split
from engine.training import insights, visuals
from engine.training.session import Session
from tests.conftest import ROOT
from tests.engine.test_export import clean_env

RING = json.loads((ROOT / "presets" / "gan_ring.json").read_text())
NUMBERS = re.compile(r"^epoch (\d+)/\d+  train loss ([0-9.]+)  test loss ([0-9.]+)  test accuracy ([0-9.]+)  distance ([0-9.]+)")


def ring(**training) -> dict:
    return {**RING, "training": {**RING["training"], **training}}


def problems(raw: dict) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_experiment(raw)
    return [str(p) for p in caught.value.problems]


def test_a_broken_split_names_what_is_wrong_and_where():
    assert problems(ring(generator_output="fak")) == [
        "training: training.generator_output names 'fak', which is no node of the model (nodes: g1, g1_act, g2, "
        "g2_act, fake, d1, d1_act, d2, d2_act, real)"]
    assert "the discriminator must come after" in problems(ring(generator_output="real"))[0]
    judged = json.loads(json.dumps(RING))  # the exported model class has methods of these names
    judged["model"]["nodes"][-1]["id"] = "judge"
    assert problems(judged) == ["node 'judge': 'judge' is a reserved name in PyTorch modules; rename the node"]
    assert problems(ring(loss="mse")) == ["training: a GAN trains with bce (real or generated), not mse"]

    stray = json.loads(json.dumps(RING))  # the discriminator reads the noise too
    stray["model"]["nodes"][7]["inputs"] = ["d1_act", "input"]
    stray["model"]["nodes"][7]["type"] = "Concat"
    stray["model"]["nodes"][7]["params"] = {}
    assert any(m.startswith("node 'd2': it is in the discriminator (after 'fake') but reads 'input'")
               for m in problems(stray))

    wide = json.loads(json.dumps(RING))  # the generator makes 3 numbers, the data has 2
    wide["model"]["nodes"][4]["params"]["out_features"] = 3
    assert problems(wide) == ["data: the generator's output 'fake' is [3] but the blobs dataset's samples are [2]: "
                              "the generator must make samples like the data's"]


def test_the_halves_share_the_models_weights_and_compose_to_it():
    experiment = load_experiment(RING)
    model = build_model(experiment)
    generator, discriminator = split(model, "fake")
    z = torch.randn(16, 2)
    with torch.no_grad():
        assert torch.allclose(discriminator(generator(z)), model(z))
        model.d1.weight.add_(1.0)  # one weight, seen by both views
        assert torch.allclose(discriminator(generator(z)), model(z))
    names = lambda part: {n.split(".")[0] for n, _ in part.named_parameters()}  # noqa: E731
    assert names(generator) == {"g1", "g2", "fake"} and names(discriminator) == {"d1", "d2", "real"}


def test_the_distance_is_zero_for_the_same_samples_and_sees_mode_collapse():
    real = Session(load_experiment(RING), "cpu").x_test
    assert sliced_distance(real, real) == 0.0
    spread = real[torch.randperm(len(real), generator=torch.Generator().manual_seed(0))]
    collapsed = real[:1].expand(len(real), -1)  # every sample on one cluster
    assert sliced_distance(real, spread) == 0.0  # the order of the samples does not matter
    assert sliced_distance(real, collapsed) > 0.2 > sliced_distance(real, real + 0.01)


def test_training_pulls_the_generated_samples_onto_the_real_ones():
    session = Session(load_experiment(RING), "cpu")
    before = session.evaluate()
    d_before = [p.detach().clone() for p in session.adversarial.discriminator.parameters()]
    for _ in range(RING["expect"]["epochs"]):
        session.run_epoch()
    after = session.evaluate()
    assert set(after) == {"train_loss", "test_loss", "train_accuracy", "test_accuracy", "generator_loss",
                          "test_distance"}
    assert after["test_distance"] < before["test_distance"] / 3, (before, after)
    # two optimizers, one per part, over disjoint weights
    g_params = {id(p) for group in session.optimizer.param_groups for p in group["params"]}
    d_params = {id(p) for group in session.adversarial.d_optimizer.param_groups for p in group["params"]}
    assert g_params and d_params and not g_params & d_params
    assert len(g_params | d_params) == len(list(session.model.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d_before, session.adversarial.discriminator.parameters(),
                                                                   strict=True))


def test_the_discriminators_own_rate_and_steps_apply():
    session = Session(load_experiment(ring(discriminator_lr=0.0005, discriminator_steps=2)), "cpu")
    assert session.adversarial.d_optimizer.param_groups[0]["lr"] == 0.0005 and session.lr == 0.001
    session.set_lr(0.002)  # the page's live rate moves the generator's; the discriminator keeps its own
    assert session.adversarial.d_optimizer.param_groups[0]["lr"] == 0.0005 and session.lr == 0.002


def with_dropout() -> dict:
    """The ring GAN with dropout in its generator: evaluation must switch it off, in both."""
    raw = json.loads(json.dumps(RING))
    raw["model"]["nodes"].insert(2, {"id": "g1_drop", "type": "Dropout", "params": {"p": 0.3}})
    return raw


@pytest.mark.parametrize("raw", [RING, with_dropout()], ids=["ring", "ring_with_dropout"])
def test_the_exported_script_trains_exactly_as_the_engine(raw, tmp_path):
    experiment = load_experiment(raw)
    script = export(experiment, "pytorch", tmp_path / "train.py")
    run = subprocess.run([sys.executable, script.name, "--epochs", "3"], cwd=tmp_path, env=clean_env(),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    printed = [tuple(map(float, m.groups()[1:])) for line in run.stdout.splitlines() if (m := NUMBERS.match(line))]
    session = Session(experiment, "cpu")
    engine = []
    for epoch in range(4):
        if epoch:
            session.run_epoch()
        m = session.evaluate()
        engine.append((m["train_loss"], m["test_loss"], m["test_accuracy"], m["test_distance"]))
    assert len(printed) == 4
    for mine, theirs in zip(printed, engine, strict=True):
        assert mine == pytest.approx(theirs, abs=1e-3), (printed, engine)
    with pytest.raises(SpecError, match="the DDP script does not train GANs yet"):
        export(experiment, "ddp", tmp_path / "ddp.py")


def test_the_live_views_show_the_discriminator_and_the_generated_samples():
    session = Session(load_experiment(RING), "cpu")
    drawn = visuals.all_visuals(session)
    assert drawn["neurons"] is None and drawn["confusion"] is None
    boundary = drawn["boundary"]["value"]
    assert boundary.shape == (100, 100) and boundary.min() >= 0 and boundary.max() <= 1  # P(real) over the plane
    assert list(insights.available(session.experiment)) == ["generated", "activations"]
    view = insights.compute(session, "generated")
    assert view["real"].shape == (400, 2) and view["generated"].shape == (400, 2)
    generated = session.adversarial.generate(400).numpy() * 6  # features are x/6, y/6: back to the plane
    assert abs(view["generated"] - generated).max() < 1e-4
    assert view["surface"]["real"].shape == (40, 40)
    assert insights.compute(session, "activations")["layers"], "the histograms run on noise"


def test_a_gan_on_digits_draws_generated_images():
    digits = {
        **RING,
        "model": {"input": {"shape": [8]}, "nodes": [
            {"id": "g", "type": "Linear", "params": {"out_features": 64}},
            {"id": "g_act", "type": "Sigmoid"},
            {"id": "image", "type": "Reshape", "params": {"shape": [1, 8, 8]}},
            {"id": "flat", "type": "Flatten"},
            {"id": "score", "type": "Linear", "params": {"out_features": 1}}]},
        "data": {"dataset": "digits"},
        "training": {**RING["training"], "generator_output": "image"},
    }
    session = Session(load_experiment(digits), "cpu")
    session.run_epoch()
    assert insights.compute(session, "generated")["images"].shape == (16, 8, 8)
    shown = visuals.all_visuals(session)["samples"]  # the main view: generated digits, not answers to inputs
    assert shown["label"] == "generated" and shown["images"].shape == (10, 8, 8)
    assert abs(shown["images"] - session.adversarial.generate(10)[:, 0].numpy()).max() < 1e-6


def test_the_page_says_its_losses_are_the_discriminators_and_shows_the_distance():
    from components.live import reading
    from engine.training.trainer import Snapshot

    session = Session(load_experiment(RING), "cpu")
    history = [{"epoch": 0, **session.evaluate()}]
    session.run_epoch()
    history.append({"epoch": 1, **session.evaluate()})
    shown = dict(reading.numbers(Snapshot(state="running", epoch=1, epochs=60, step=19, lr=0.001, device="CPU",
                                          metrics=history[-1])))
    assert list(shown) == ["Epoch", "D train loss", "D test loss", "Distance"]
    assert shown["Distance"] == f"{history[-1]['test_distance']:.3f}"
    names = [trace["name"] for trace in reading.curve(history)["data"]]
    assert names == ["D train loss", "D test loss", "D test accuracy"]


def test_the_discriminators_accuracy_counts_real_and_generated_whatever_the_datas_task():
    """On data whose labels are values (digits that reconstruct themselves), "real" is still
    P(real) > 0.5, not a class id."""
    raw = {**RING,
           "model": {"input": {"shape": [8]}, "nodes": [
               {"id": "g", "type": "Linear", "params": {"out_features": 64}},
               {"id": "image", "type": "Reshape", "params": {"shape": [1, 8, 8]}},
               {"id": "flat", "type": "Flatten"},
               {"id": "score", "type": "Linear", "params": {"out_features": 1}}]},
           "data": {"dataset": "digits", "target": "input"},
           "training": {**RING["training"], "generator_output": "image"}}
    session = Session(load_experiment(raw), "cpu")
    session.run_epoch()
    measured = session.evaluate()
    adversarial = session.adversarial
    with torch.no_grad():
        fake = torch.sigmoid(adversarial.discriminator(adversarial.generate()))
        real = torch.sigmoid(adversarial.discriminator(session.x_test[:2048]))
    expected = (int((real > 0.5).sum()) + int((fake <= 0.5).sum())) / (len(real) + len(fake))
    assert measured["test_accuracy"] == pytest.approx(expected)


def test_the_generated_view_draws_one_feature_data_on_a_line():
    raw = json.loads(json.dumps(RING))
    raw["data"]["features"] = ["x1"]
    raw["model"]["input"]["shape"] = [1]
    raw["model"]["nodes"][4]["params"]["out_features"] = 1
    view = insights.compute(Session(load_experiment(raw), "cpu"), "generated")
    assert view["real"].shape == (400, 2) and view["generated"].shape == (400, 2)
    assert not view["generated"][:, 1].any(), "the missing second number is drawn as zero"
