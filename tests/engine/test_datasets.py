"""Every dataset: shapes, labels, determinism, clean classes at noise 0, and model fit checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine import SpecError, load_experiment
from engine.data import DATASETS, check_data, make_dataset
from engine.data.planar import FEATURES
from tests.conftest import experiment

GENERATED = [name for name in DATASETS if name != "csv"]


def data(**fields):
    config, info, problems = check_data(fields)
    assert not problems, problems
    return make_dataset(config), info


@pytest.mark.parametrize("name", GENERATED)
def test_shapes_labels_and_split_follow_the_description(name):
    dataset, info = data(dataset=name, n_samples=200, train_fraction=0.75)
    assert dataset.info == info
    total = len(dataset.x_train) + len(dataset.x_test)
    assert total == 200 and len(dataset.x_train) == 150
    assert tuple(dataset.x_train.shape[1:]) == info.sample_shape
    assert dataset.x_train.dtype == (torch.long if info.dtype == "long" else torch.float32)
    assert tuple(dataset.y_train.shape[1:]) == info.target_shape
    if info.is_classification:
        labels = torch.cat([dataset.y_train.reshape(-1), dataset.y_test.reshape(-1)])
        assert labels.dtype == torch.long and set(labels.unique().tolist()) == set(range(info.n_classes))
        assert len(info.class_names) == info.n_classes
    else:
        assert dataset.y_train.dtype == torch.float32 and torch.isfinite(dataset.y_train).all()


@pytest.mark.parametrize("name", GENERATED)
def test_same_seed_same_data_other_seed_other_data(name):
    first, _ = data(dataset=name, n_samples=100, noise=0.1, seed=5)
    again, _ = data(dataset=name, n_samples=100, noise=0.1, seed=5)
    other, _ = data(dataset=name, n_samples=100, noise=0.1, seed=6)
    assert torch.equal(first.x_train, again.x_train) and torch.equal(first.y_test, again.y_test)
    assert not torch.equal(first.x_train, other.x_train)


def labels_and_points(name, **fields):
    dataset, _ = data(dataset=name, n_samples=400, noise=0.0, **fields)
    points = np.concatenate([dataset.points_train, dataset.points_test])
    labels = torch.cat([dataset.y_train, dataset.y_test]).numpy()
    return points, labels


def test_noise_zero_gives_clean_classes():
    points, labels = labels_and_points("circle")
    radius = np.hypot(points[:, 0], points[:, 1])
    assert np.all((radius < 2.5) == (labels == 1)) and not np.any((radius > 2.5) & (radius < 3.5))
    points, labels = labels_and_points("xor")
    assert np.all((points[:, 0] * points[:, 1] >= 0) == (labels == 1))
    assert np.abs(points).min() >= 0.3, "the Playground's padding keeps points off the axes"
    points, labels = labels_and_points("gaussian")
    assert np.mean((points.sum(1) > 0) == (labels == 1)) > 0.99
    points, labels = labels_and_points("blobs", classes=4)
    angles = 2 * np.pi * np.arange(4) / 4
    centres = 4 * np.stack([np.cos(angles), np.sin(angles)], 1)
    nearest = np.linalg.norm(points[:, None] - centres[None], axis=2).argmin(1)
    assert np.all(nearest == labels)


def test_noise_blurs_classes():
    points, labels = labels_and_points("circle")
    dataset, _ = data(dataset="circle", n_samples=400, noise=0.5)
    points = np.concatenate([dataset.points_train, dataset.points_test])
    labels = torch.cat([dataset.y_train, dataset.y_test]).numpy()
    assert np.mean((np.hypot(points[:, 0], points[:, 1]) < 2.5) == (labels == 1)) < 0.97


def test_features_are_scaled_and_set_the_input_size():
    dataset, info = data(dataset="spiral", features=list(FEATURES))
    assert info.sample_shape == (7,)
    assert dataset.x_train.abs().max() <= 1.0
    x1 = torch.from_numpy(dataset.points_train[:, 0]).float()
    torch.testing.assert_close(dataset.x_train[:, 0], x1 / 6)
    torch.testing.assert_close(dataset.x_train[:, 5], torch.sin(x1))


def test_multi_class_sets_take_a_number_of_classes():
    _, info = data(dataset="spiral_multi", classes=5)
    assert info.n_classes == 5


def test_sequences_are_what_they_say():
    sine, info = data(dataset="sine", n_samples=300, seq_len=10, noise=0.0)
    assert info.sample_shape == (10, 1)
    step = 0.1
    # each target is the sine of the time just after its window
    start = float(torch.asin(sine.x_train[0, 0, 0]))
    assert abs(float(sine.y_train[0]) - np.sin(start + 10 * step)) < 1e-4
    assert len(sine.extra["time"]) == 300
    parity, _ = data(dataset="parity", n_samples=100, seq_len=6)
    assert torch.equal(parity.y_train, parity.x_train.sum(1) % 2)
    reverse, info = data(dataset="reverse", n_samples=100, seq_len=5, vocab=7)
    assert torch.equal(reverse.y_train, reverse.x_train.flip(1)) and info.n_classes == 7


def test_digits_ship_with_scikit_learn():
    digits, info = data(dataset="digits")
    assert info.sample_shape == (1, 8, 8) and info.n_classes == 10
    assert len(digits.x_train) + len(digits.x_test) == 1797
    assert digits.x_train.min() >= 0 and digits.x_train.max() <= 1


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"dataset": "spirals"}, "data: unknown dataset 'spirals'; did you mean 'spiral'?"),
        ({"dataset": "circle", "noise": 0.8}, "data: noise must be a number in [0, 0.5], got 0.8"),
        ({"dataset": "circle", "train_fraction": 1}, "data: train_fraction must be a number in [0.1, 0.9]"),
        ({"dataset": "circle", "features": ["x3"]}, "data: features must be a non-empty list of distinct names"),
        ({"dataset": "circle", "colour": 1}, "data: the circle dataset has no field 'colour'"),
        ({"dataset": "csv", "target": "y"}, "data: give the table one way: 'text' (the CSV itself)"),
        ("circle", 'data: "data" must be an object'),
    ],
)
def test_bad_data_sections(fields, expected):
    _, _, problems = check_data(fields)
    assert any(str(p).startswith(expected) for p in problems), problems


MLP_NODES = [{"id": "h", "type": "Linear", "params": {"out_features": 8}}, {"id": "a", "type": "ReLU"}]


def head(out_features):
    return [*MLP_NODES, {"id": "out", "type": "Linear", "params": {"out_features": out_features}}]


@pytest.mark.parametrize(
    ("nodes", "shape", "data_section", "training", "expected"),
    [
        (
            head(3),
            [2],
            {"dataset": "spiral"},
            {"loss": "cross_entropy"},
            "data: the spiral dataset has 2 classes: use 1 output with bce or 2 with cross_entropy",
        ),
        (
            head(2),
            [2],
            {"dataset": "blobs", "classes": 4},
            {"loss": "cross_entropy"},
            "data: the blobs dataset has 4 classes: use 4 outputs with cross_entropy",
        ),
        (
            head(1),
            [3],
            {"dataset": "circle"},
            {"loss": "bce"},
            "data: the circle dataset gives samples of shape [2] (features x1, x2) but the model's input is [3]",
        ),
        (
            head(1),
            [2],
            {"dataset": "plane"},
            {"loss": "bce"},
            "training: the plane dataset is regression (it predicts numbers): use mse, l1 or huber",
        ),
        (head(2), [2], {"dataset": "plane"}, {"loss": "mse"}, "data: the plane dataset predicts one number"),
        (
            head(2),
            [8],
            {"dataset": "parity"},
            {"loss": "cross_entropy"},
            'data: the parity dataset gives token ids (long) but the model\'s input dtype is "float"',
        ),
    ],
)
def test_models_that_do_not_fit_their_data(nodes, shape, data_section, training, expected):
    raw = experiment(nodes, shape=shape, data=data_section, training=training)
    with pytest.raises(SpecError) as caught:
        load_experiment(raw)
    assert any(line.startswith(expected) for line in caught.value.lines()), caught.value.lines()


def test_auto_loss_follows_the_output():
    one = load_experiment(experiment(head(1), data={"dataset": "circle"}, training={}))
    two = load_experiment(experiment(head(2), data={"dataset": "circle"}, training={}))
    regression = load_experiment(experiment(head(1), data={"dataset": "plane"}, training={}))
    assert (one.loss, two.loss, regression.loss) == ("bce", "cross_entropy", "mse")
