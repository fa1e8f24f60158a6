"""Every loss and optimizer on a task it can fit; schedules, regularization, clipping, seeds."""

from __future__ import annotations

import math

import pytest
import torch

from engine import load_experiment
from engine.training.session import Session
from tests.conftest import experiment


def mlp(outputs: int, hidden: int = 16, last: str | None = None, inputs: int = 2) -> list[dict]:
    nodes = [
        {"id": "h1", "type": "Linear", "params": {"out_features": hidden}},
        {"id": "a1", "type": "Tanh"},
        {"id": "out", "type": "Linear", "params": {"out_features": outputs}},
    ]
    if last:
        nodes.append({"id": "squash", "type": last})
    return nodes


def session(nodes, data, shape=(2,), dtype="float", **training) -> Session:
    raw = experiment(
        nodes, shape=shape, dtype=dtype, data=data, training={"epochs": 30, "lr": 0.03, "batch_size": 16, **training}
    )
    return Session(load_experiment(raw), device="cpu")


def train(run: Session, epochs: int) -> dict:
    first = run.evaluate()
    for _ in range(epochs):
        run.run_epoch()
    last = run.evaluate()
    assert last["train_loss"] < first["train_loss"], (first, last)
    return last


CIRCLE = {"dataset": "circle", "n_samples": 300}
BLOBS = {"dataset": "blobs", "classes": 3, "n_samples": 300, "noise": 0.05}
PLANE = {"dataset": "plane", "n_samples": 300}


@pytest.mark.parametrize(
    ("loss", "nodes", "data", "check"),
    [
        ("bce", mlp(1), CIRCLE, lambda m: m["test_accuracy"] >= 0.95),
        ("bce", mlp(1, last="Sigmoid"), CIRCLE, lambda m: m["test_accuracy"] >= 0.95),
        ("cross_entropy", mlp(2), CIRCLE, lambda m: m["test_accuracy"] >= 0.95),
        ("cross_entropy", mlp(3), BLOBS, lambda m: m["test_accuracy"] >= 0.95),
        ("cross_entropy", mlp(3, last="Softmax"), BLOBS, lambda m: m["test_accuracy"] >= 0.95),
        ("mse", mlp(1), CIRCLE, lambda m: m["test_accuracy"] >= 0.9),
        ("mse", mlp(3), BLOBS, lambda m: m["test_accuracy"] >= 0.9),
        ("mse", mlp(1), PLANE, lambda m: m["test_r2"] >= 0.95),
        ("l1", mlp(1), PLANE, lambda m: m["test_r2"] >= 0.9),
        ("huber", mlp(1), PLANE, lambda m: m["test_r2"] >= 0.9),
    ],
)
def test_every_loss_fits_a_task(loss, nodes, data, check):
    metrics = train(session(nodes, data, loss=loss, optimizer="adam"), 30)
    assert check(metrics), metrics


@pytest.mark.parametrize(
    ("optimizer", "lr"),
    [("gd", 0.5), ("sgd", 0.1), ("adam", 0.03), ("adamw", 0.03), ("rmsprop", 0.01), ("adagrad", 0.1)],
)
def test_every_optimizer_learns_gaussians(optimizer, lr):
    data = {"dataset": "gaussian", "n_samples": 200}
    run = session(mlp(1), data, loss="bce", optimizer=optimizer, lr=lr, momentum=0.5 if optimizer == "sgd" else 0.0)
    metrics = train(run, 40)
    assert metrics["test_accuracy"] >= 0.95, metrics


def test_gd_takes_one_full_batch_step_per_epoch():
    run = session(mlp(1), CIRCLE, optimizer="gd", batch_size=10)
    assert run.batch_size == run.n_train and run.steps_per_epoch == 1
    run.run_epoch()
    assert run.step == 1
    assert session(mlp(1), CIRCLE, batch_size="full").steps_per_epoch == 1


def test_same_seed_same_curve():
    curves = []
    for _ in range(2):
        run = session(mlp(1), CIRCLE, seed=7, loss="bce")
        curves.append([run.run_epoch() for _ in range(5)])
    assert curves[0] == curves[1]
    other = session(mlp(1), CIRCLE, seed=8, loss="bce")
    assert [other.run_epoch() for _ in range(5)] != curves[0]


def test_sigmoid_ending_model_is_not_squashed_twice():
    run = session(mlp(1, last="Sigmoid"), CIRCLE, loss="bce")
    x = run.x_train[:5]
    logits = run.trained(x)
    probabilities = run.model(x)
    torch.testing.assert_close(torch.sigmoid(logits), probabilities)
    torch.testing.assert_close(run.objective.scores(logits), probabilities)
    assert "squash" not in run.trained.code


def test_learning_rate_schedules():
    step = session(mlp(1), CIRCLE, lr=1.0, lr_schedule="step", epochs=9, lr_gamma=0.5)
    cosine = session(mlp(1), CIRCLE, lr=1.0, lr_schedule="cosine", epochs=10)
    rates = {"step": [], "cosine": []}
    for _ in range(9):
        rates["step"].append(step.lr)
        step.run_epoch()
    for _ in range(10):
        cosine.run_epoch()
        rates["cosine"].append(cosine.lr)
    assert rates["step"] == [1.0] * 3 + [0.5] * 3 + [0.25] * 3
    assert rates["cosine"][4] == pytest.approx(0.5) and rates["cosine"][-1] == pytest.approx(0.0, abs=1e-12)
    step.set_lr(2.0)  # a live change keeps the schedule's factor
    assert step.lr == pytest.approx(2.0 * 0.125)


def weight_norm(run: Session) -> float:
    return math.sqrt(sum(float(p.detach().pow(2).sum()) for p in run.penalized))


def test_regularization_shrinks_weights():
    plain = session(mlp(1, hidden=8), CIRCLE, loss="bce")
    l2 = session(mlp(1, hidden=8), CIRCLE, loss="bce", regularization="l2", reg_rate=0.01)
    l1 = session(mlp(1, hidden=8), CIRCLE, loss="bce", regularization="l1", reg_rate=0.01)
    for run in (plain, l2, l1):
        for _ in range(20):
            run.run_epoch()
    assert weight_norm(l2) < 0.8 * weight_norm(plain)
    assert sum(float(p.detach().abs().sum()) for p in l1.penalized) < 0.8 * sum(
        float(p.detach().abs().sum()) for p in plain.penalized
    )


def test_weight_decay_shrinks_weights():
    plain = session(mlp(1, hidden=8), CIRCLE, optimizer="adamw", weight_decay=0.0)
    decayed = session(mlp(1, hidden=8), CIRCLE, optimizer="adamw", weight_decay=0.5)
    for run in (plain, decayed):
        for _ in range(20):
            run.run_epoch()
    assert weight_norm(decayed) < weight_norm(plain)


def test_gradient_clipping_bounds_each_step():
    run = session(mlp(1), CIRCLE, optimizer="sgd", lr=1.0, grad_clip=0.01, batch_size=300)
    before = [p.detach().clone() for p in run.model.parameters()]
    run.run_epoch()  # one full-batch step: plain SGD moves the weights by lr x clipped gradient
    moved = math.sqrt(sum(float((p.detach() - b).pow(2).sum()) for p, b in zip(run.model.parameters(), before, strict=True)))
    assert 0 < moved <= 0.01 + 1e-6


def test_per_position_classification_on_reverse():
    nodes = [
        {"id": "emb", "type": "Embedding", "params": {"num_embeddings": 5, "embedding_dim": 16}},
        {"id": "pos", "type": "PositionalEncoding", "params": {"kind": "learned"}},
        {"id": "enc", "type": "TransformerEncoderLayer", "params": {"nhead": 2, "dim_feedforward": 32, "dropout": 0.0}},
        {"id": "out", "type": "Linear", "params": {"out_features": 5}},
    ]
    data = {"dataset": "reverse", "seq_len": 4, "vocab": 5, "n_samples": 600}
    run = session(nodes, data, shape=(4,), dtype="long", loss="cross_entropy", lr=0.01, batch_size=32)
    metrics = train(run, 15)
    assert metrics["train_accuracy"] > 0.5, metrics  # chance is 0.2 per position


def test_regression_metrics_are_r2_and_rmse():
    run = session(mlp(1), PLANE, loss="mse")
    metrics = run.evaluate()
    assert metrics["test_accuracy"] is None
    assert metrics["test_rmse"] == pytest.approx(math.sqrt(metrics["test_loss"]), rel=1e-4)
    assert metrics["test_r2"] is not None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_path_trains_with_data_on_the_gpu():
    run = session(mlp(1), CIRCLE, device="cuda", loss="bce")
    assert run.x_train.is_cuda and next(run.model.parameters()).is_cuda
    metrics = train(run, 20)
    assert metrics["test_accuracy"] >= 0.9


def batch_normed() -> Session:
    nodes = [{"id": "h1", "type": "Linear", "params": {"out_features": 8}}, {"id": "bn", "type": "BatchNorm1d"},
             {"id": "a1", "type": "Tanh"}, {"id": "out", "type": "Linear", "params": {"out_features": 1}}]
    return session(nodes, CIRCLE, loss="bce", turbo="off")


def test_an_epoch_trains_in_training_mode_whatever_mode_the_model_was_left_in():
    run = batch_normed()
    run.model.eval()  # as a picture that failed halfway would leave it
    run.run_epoch()
    assert all(module.training for module in run.model.modules())
    assert run.model.state_dict()["bn.running_mean"].abs().sum() > 0  # batch norm learnt its statistics
    run.evaluate()
    assert all(module.training for module in run.model.modules())


def test_weights_are_a_copy_of_the_newest_weights_and_buffers():
    run = batch_normed()
    before = run.weights()
    run.run_epoch()
    after = run.weights()
    assert after.keys() == before.keys()
    for name in ("h1.weight", "bn.running_mean", "bn.num_batches_tracked"):
        assert not torch.equal(after[name], before[name]), name
    after["h1.weight"].zero_()  # a copy: the model keeps its own
    assert run.model.state_dict()["h1.weight"].abs().sum() > 0
    run.load_weights(before)
    assert all(torch.equal(value, before[name]) for name, value in run.weights().items())
