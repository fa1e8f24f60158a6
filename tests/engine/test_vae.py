"""The variational autoencoder's parts: Sample draws with the reparameterisation trick (gradients
reach the mean and the log-variance), gives the mean when evaluating, and its KL term is the
closed form torch.distributions computes; training adds it with `kl_weight`, and the exported
script trains with the same term."""

from __future__ import annotations

import inspect
import json

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from engine import load_experiment
from engine.export import export
from engine.modules import Sample, kl_terms
from engine.training.session import Session
from tests.conftest import ROOT

VAE = json.loads((ROOT / "presets" / "vae_digits.json").read_text())


def test_sample_draws_around_the_mean_and_its_kl_is_the_closed_form():
    torch.manual_seed(0)
    mean = torch.randn(4000, 2, requires_grad=True)
    log_var = (torch.randn(4000, 2) * 0.5).requires_grad_()
    sample = Sample().train()
    z = sample(mean, log_var)
    spread = (z - mean).detach() / torch.exp(0.5 * log_var.detach())
    assert abs(float(spread.mean())) < 0.05 and abs(float(spread.std()) - 1) < 0.05  # the noise is N(0, 1)
    expected = kl_divergence(Normal(mean, torch.exp(0.5 * log_var)), Normal(0.0, 1.0)).sum(1).mean()
    assert torch.allclose(sample.kl, expected, atol=1e-5)
    (z.sum() + sample.kl).backward()
    assert mean.grad.abs().sum() > 0 and log_var.grad.abs().sum() > 0  # both learn through the draw
    assert torch.equal(sample.eval()(mean, log_var), mean)  # evaluating: the mean itself
    assert kl_terms(torch.nn.Sequential(sample)) == sample.kl


@pytest.mark.parametrize("weight", [0.0, 0.5])
def test_training_adds_the_kl_term_with_its_weight(weight):
    raw = {**VAE, "training": {**VAE["training"], "kl_weight": weight}}
    session = Session(load_experiment(raw), "cpu")
    session.model.train()
    session.trained(session.x_train[:32])
    assert session.samples
    assert float(session.penalty()) == pytest.approx(weight * float(session.model.z.kl))


def test_a_plain_model_has_no_kl_term():
    session = Session(load_experiment(ROOT / "presets" / "autoencoder_digits.json"), "cpu")
    assert not session.samples and session.penalty() == 0.0


def test_the_exported_script_adds_the_same_kl_term(tmp_path):
    script = export(load_experiment(VAE), "pytorch", tmp_path / "train.py").read_text()
    assert "class Sample(nn.Module)" in script
    assert inspect.getsource(kl_terms) in script  # the engine's own sum of the KL terms, copied
    assert "TRAINING['kl_weight'] * kl_terms(model)" in script
