"""Insight views hold the right data for known models: a conv filter set by hand appears as drawn
and its feature map is the convolution; attention rows sum to one and match torch's own weights;
the recurrent state is the RNN's output; a saturated layer's histogram says so; a 2-D bottleneck's
codes and decoded grid come from the model itself."""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from engine import load_experiment
from engine.training import insights
from engine.training.session import Session
from engine.training.trainer import Trainer
from tests.conftest import ROOT, experiment


def session_of(preset: str) -> Session:
    return Session(load_experiment(ROOT / "presets" / f"{preset}.json"), "cpu")


def test_each_model_offers_the_views_of_the_layers_it_has():
    assert set(insights.available(load_experiment(ROOT / "presets" / "cnn_digits.json"))) == {"activations", "convolution"}
    assert insights.available(load_experiment(ROOT / "presets" / "transformer_reverse.json"))["attention"] == ["encoder"]
    assert insights.available(load_experiment(ROOT / "presets" / "lstm_sine.json"))["recurrent"] == ["lstm"]
    assert insights.available(load_experiment(ROOT / "presets" / "vae_digits.json"))["latent"] == ["z", "mean", "log_var"]
    assert "latent" not in insights.available(load_experiment(ROOT / "presets" / "autoencoder_digits.json"))  # 8-D code
    assert insights.compute(session_of("playground"), "convolution") is None  # no conv layer: no view


def test_a_filter_set_by_hand_appears_as_drawn_and_its_map_is_the_convolution():
    session = session_of("cnn_digits")
    conv = session.model.conv1
    edge = torch.tensor([[1.0, 0.0, -1.0]] * 3)
    with torch.no_grad():
        conv.weight[0, 0] = edge
        conv.bias[0] = 0.0
    view = insights.compute(session, "convolution", "conv1", sample=5)
    assert np.allclose(view["filters"][0], edge.numpy())
    image = session.x_test[5:6]
    expected = F.conv2d(image, edge[None, None], padding=1)[0, 0]
    assert np.allclose(view["maps"][0], expected.numpy(), atol=1e-5)
    assert np.allclose(view["image"], image[0, 0].numpy())
    first_pool = view["pooling"][0]
    assert first_pool["id"] == "pool1" and first_pool["input"].shape == (4, 8, 8) and first_pool["output"].shape == (4, 4, 4)
    relu = torch.relu(conv(image))[0, :4]
    assert np.allclose(first_pool["output"], F.max_pool2d(relu, 2).detach().numpy(), atol=1e-5)


def test_attention_rows_sum_to_one_and_are_torchs_own_weights():
    session = session_of("transformer_reverse")
    view = insights.compute(session, "attention", sample=2)
    weights = view["weights"]
    assert weights.shape == (4, 6, 6) and np.allclose(weights.sum(-1), 1.0, atol=1e-5)
    assert view["tokens"] == [str(int(t)) for t in session.x_test[2]]
    model = session.model.eval()
    with torch.no_grad():
        h = model.position(model.embed(session.x_test[2:3]))
        _, expected = model.encoder.self_attn(h, h, h, need_weights=True, average_attn_weights=False)
    assert np.allclose(weights, expected[0].numpy(), atol=1e-6)


def test_the_recurrent_state_is_the_rnns_output_and_lstm_gates_are_shares():
    session = session_of("lstm_sine")
    view = insights.compute(session, "recurrent", sample=3)
    with torch.no_grad():
        out, _ = session.model.lstm.rnn(session.x_test[3:4])
    assert view["states"].shape == (16, 20) and np.allclose(view["states"], out[0].T.numpy(), atol=1e-6)
    assert set(view["gates"]) == {"input", "forget", "output"}
    assert all(g.shape == (20,) and ((g > 0) & (g < 1)).all() for g in view["gates"].values())


def test_a_saturated_sigmoid_layer_is_said_to_be_saturated():
    nodes = [{"id": "big", "type": "Linear", "params": {"out_features": 4}}, {"id": "squash", "type": "Sigmoid"},
             {"id": "out", "type": "Linear", "params": {"out_features": 1}}]
    session = Session(load_experiment(experiment(nodes, data={"dataset": "circle", "n_samples": 100},
                                                 training={"loss": "bce"})), "cpu")
    with torch.no_grad():
        session.model.big.weight.fill_(0.0)
        session.model.big.bias.fill_(50.0)  # every output of the sigmoid is 1
    layers = {layer["id"]: layer for layer in insights.compute(session, "activations")["layers"]}
    assert layers["squash"]["saturated"] == 1.0 and layers["big"]["saturated"] is None
    assert layers["squash"]["counts"].sum() == 50 * 4  # the 50 test samples' 4 outputs, in one bin


def test_a_two_number_code_shows_its_codes_and_decodes_a_grid():
    session = session_of("vae_digits")  # evaluating, its Sample layer gives the mean: the codes are the means
    view = insights.compute(session, "latent")
    assert view["node"] == "z"  # the sampled code first: the decoder reads from it
    x = session.x_test[: insights.LATENT_POINTS]
    model = session.model.eval()
    with torch.no_grad():
        codes = model.mean(model.enc_act(model.enc(model.flat(x))))
    assert np.allclose(view["codes"], codes.numpy(), atol=1e-5)
    assert view["labels"] is not None and set(np.unique(view["labels"])) <= set(range(10))
    images = view["grid"]["images"]
    assert images.shape == (insights.LATENT_GRID ** 2, 8, 8)
    top_left = torch.tensor([[view["grid"]["axes"][0][0], view["grid"]["axes"][1][-1]]], dtype=torch.float32)
    with torch.no_grad():
        decoded = model.image(model.squash(model.pixels(model.dec_act(model.dec(top_left)))))
    assert np.allclose(images[0], decoded[0, 0].numpy(), atol=1e-5)


def test_a_training_run_computes_only_the_open_view_and_keeps_it_through_a_reset():
    trainer = Trainer(load_experiment(ROOT / "presets" / "cnn_digits.json"))
    assert trainer.snapshot().visuals is None or trainer.snapshot().visuals.get("insight") is None
    trainer.set_insight("convolution", "conv2", 1)
    assert trainer.snapshot().visuals["insight"]["node"] == "conv2"
    trainer.step()
    deadline = time.monotonic() + 60
    while trainer.snapshot().state != "paused" and time.monotonic() < deadline:
        time.sleep(0.02)
    trainer.wait(5)  # the step's thread publishes its last pictures
    after_step = trainer.snapshot().visuals["insight"]
    assert after_step["view"] == "convolution" and after_step["node"] == "conv2"
    trainer.reset()
    trainer.set_insight(None)
    assert trainer.snapshot().visuals["insight"] is None


def test_large_maps_are_sampled_and_a_wide_recurrent_layer_shows_its_first_units():
    """A link sets the sizes of what these views send every second: a map past MAX_SIDE pixels a
    side is sampled at every k-th pixel, a recurrent layer shows its first MAX_UNITS units."""
    side = 3 * insights.MAX_SIDE + 1  # sampled every 4th pixel: 49 a side
    raw = experiment([{"id": "grow", "type": "Linear", "params": {"out_features": side * side}},
                      {"id": "image", "type": "Reshape", "params": {"shape": [1, side, side]}},
                      {"id": "conv", "type": "Conv2d", "params": {"out_channels": 2, "kernel_size": 3, "padding": 1}},
                      {"id": "flat", "type": "Flatten"}, {"id": "out", "type": "Linear", "params": {"out_features": 1}}],
                     data={"dataset": "circle", "n_samples": 20}, training={"loss": "bce"})
    session = Session(load_experiment(raw), "cpu")
    view = insights.compute(session, "convolution", "conv", sample=0)
    with torch.no_grad():
        full = session.model.conv(session.model.image(session.model.grow(session.x_test[:1])))[0]
    assert view["maps"].shape == (2, 49, 49) and np.allclose(view["maps"], full[:, ::4, ::4].numpy(), atol=1e-5)
    wide = experiment([{"id": "gru", "type": "GRU", "params": {"hidden_size": 100}},
                       {"id": "out", "type": "Linear", "params": {"out_features": 1}}], shape=(20, 1),
                      data={"dataset": "sine", "n_samples": 20}, training={"loss": "mse"})
    session = Session(load_experiment(wide), "cpu")
    view = insights.compute(session, "recurrent", "gru", sample=0)
    with torch.no_grad():
        out, _ = session.model.gru.rnn(session.x_test[:1])
    assert view["states"].shape == (insights.MAX_UNITS, 20)
    assert np.allclose(view["states"], out[0, :, :insights.MAX_UNITS].T.numpy(), atol=1e-6)
