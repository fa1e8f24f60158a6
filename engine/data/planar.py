"""2-D datasets in the style of TensorFlow Playground: points in the square [-6, 6]².

The generators follow the Playground's recipes (a circle with a gap, XOR quadrants with
padding, two Gaussians, two spirals, a plane and several Gaussian bumps for regression) so that
noise 0 gives clean classes, and add moons, blobs and multi-arm spirals for more classes.
Inputs: the chosen features of each point, scaled into [-1, 1] (x/6, x²/36, x·y/36, sin x).
"""

from __future__ import annotations

import numpy as np

from engine.data.base import Config, DataInfo, Dataset, DatasetType, register, split, to_tensor
from engine.params import Int, NameList

DOMAIN = (-6.0, 6.0)
# Each feature as a numpy expression of the point (x, y): the data and exported scripts share it.
FEATURES = {
    "x1": "x / 6",
    "x2": "y / 6",
    "x1_sq": "x * x / 36",
    "x2_sq": "y * y / 36",
    "x1x2": "x * y / 36",
    "sin_x1": "np.sin(x)",
    "sin_x2": "np.sin(y)",
}
FEATURE_LABELS = {
    "x1": "x₁",
    "x2": "x₂",
    "x1_sq": "x₁²",
    "x2_sq": "x₂²",
    "x1x2": "x₁x₂",
    "sin_x1": "sin x₁",
    "sin_x2": "sin x₂",
}
BINARY = ("negative", "positive")


def features_code(names) -> str:
    """The numpy expression of the model's inputs, one column per chosen feature."""
    return f"np.stack([{', '.join(FEATURES[name] for name in names)}], axis=1).astype(np.float32)"


def features(points: np.ndarray, names) -> np.ndarray:
    """The model's inputs for raw 2-D points."""
    scope = {"np": np, "x": points[:, 0], "y": points[:, 1]}
    return eval(features_code(names), scope)  # our own fixed expressions, never user text


def uniform(rng, low, high, size=None):
    return rng.uniform(low, high, size)


def circle(rng, n, noise):
    radius = 5.0
    half = n // 2
    r = np.concatenate([uniform(rng, 0, radius * 0.5, half), uniform(rng, radius * 0.7, radius, n - half)])
    angle = uniform(rng, 0, 2 * np.pi, n)
    x, y = r * np.sin(angle), r * np.cos(angle)
    jitter = uniform(rng, -radius, radius, (n, 2)) * noise
    inside = np.hypot(x + jitter[:, 0], y + jitter[:, 1]) < radius * 0.5
    return np.stack([x, y], 1), inside.astype(np.int64)


def xor(rng, n, noise):
    padding = 0.3
    points = uniform(rng, -5, 5, (n, 2))
    points += np.where(points > 0, padding, -padding)
    jitter = uniform(rng, -5, 5, (n, 2)) * noise
    same_sign = (points[:, 0] + jitter[:, 0]) * (points[:, 1] + jitter[:, 1]) >= 0
    return points, same_sign.astype(np.int64)


def gaussian(rng, n, noise):
    std = np.sqrt(0.5 + 3.5 * noise / 0.5)  # variance from 0.5 to 4 as noise goes to 0.5
    half = n // 2
    positive = rng.normal(2, std, (half, 2))
    negative = rng.normal(-2, std, (n - half, 2))
    labels = np.concatenate([np.ones(half), np.zeros(n - half)]).astype(np.int64)
    return np.concatenate([positive, negative]), labels


def spiral_arms(rng, n, noise, arms):
    per_arm = [n // arms + (1 if a < n % arms else 0) for a in range(arms)]
    points, labels = [], []
    for arm, count in enumerate(per_arm):
        i = np.arange(count) / count
        r = i * 5
        t = 1.75 * i * 2 * np.pi + 2 * np.pi * arm / arms
        jitter = uniform(rng, -1, 1, (count, 2)) * noise
        points.append(np.stack([r * np.sin(t), r * np.cos(t)], 1) + jitter)
        labels.append(np.full(count, arm))
    return np.concatenate(points), np.concatenate(labels).astype(np.int64)


def spiral(rng, n, noise):
    points, arm = spiral_arms(rng, n, noise, 2)
    return points, 1 - arm  # the Playground's positive arm starts at angle 0


def moons(rng, n, noise):
    half = n // 2
    outer = uniform(rng, 0, np.pi, half)
    inner = uniform(rng, 0, np.pi, n - half)
    points = np.concatenate(
        [
            np.stack([np.cos(outer), np.sin(outer)], 1),
            np.stack([1 - np.cos(inner), 0.5 - np.sin(inner)], 1),
        ]
    )
    points = (points - [0.5, 0.25]) * 4 + rng.normal(0, 2 * noise, (n, 2))
    return points, np.concatenate([np.zeros(half), np.ones(n - half)]).astype(np.int64)


def blobs(rng, n, noise, classes):
    angles = 2 * np.pi * np.arange(classes) / classes
    centres = 4 * np.stack([np.cos(angles), np.sin(angles)], 1)
    labels = np.arange(n) % classes
    return centres[labels] + rng.normal(0, 0.5 + 2 * noise, (n, 2)), labels.astype(np.int64)


def spiral_multi(rng, n, noise, classes):
    return spiral_arms(rng, n, noise, classes)


def plane(rng, n, noise):
    points = uniform(rng, -6, 6, (n, 2))
    jitter = uniform(rng, -6, 6, (n, 2)) * noise
    return points, ((points + jitter).sum(1) / 10).astype(np.float32)


BUMPS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def multi_gaussian(rng, n, noise):
    points = uniform(rng, -6, 6, (n, 2))
    noisy = points + uniform(rng, -6, 6, (n, 2)) * noise
    heights = np.stack(
        [sign * np.clip(1 - np.hypot(noisy[:, 0] - cx, noisy[:, 1] - cy) / 2, 0, 1) for cx, cy, sign in BUMPS]
    )
    strongest = np.abs(heights).argmax(0)
    return points, heights[strongest, np.arange(n)].astype(np.float32)


def planar(name, explain, maker, task, classes=None, extra_fields=None, defaults=None):
    fields = {
        "features": NameList(default=["x1", "x2"], choices=tuple(FEATURES), help="inputs computed from each point"),
        **(extra_fields or {}),
    }

    def describe(config: Config) -> DataInfo:
        k = config.get("classes", classes)
        return DataInfo(
            name=name,
            task=task,
            sample_shape=(len(config["features"]),),
            n_classes=k,
            class_names=BINARY if k == 2 else tuple(f"class {i}" for i in range(k or 0)),
            kind="planar",
            features=tuple(config["features"]),
            domain=DOMAIN,
        )

    def generate(config: Config) -> Dataset:
        points, labels, train, test = planar_arrays(config, maker)
        target = "long" if task == "classification" else "float"
        x = features(points, config["features"])
        return Dataset(
            describe(config),
            to_tensor(x[train], "float"),
            to_tensor(labels[train], target),
            to_tensor(x[test], "float"),
            to_tensor(labels[test], target),
            points_train=points[train],
            points_test=points[test],
        )

    return DatasetType(name, explain, fields, describe, generate, defaults or {},
                       export=((planar_arrays, maker), f"planar_arrays(DATA, {maker.__name__})"))


def planar_arrays(config, maker):
    """Raw points, labels and the train/test split of a 2-D dataset."""
    rng = np.random.default_rng(config["seed"])
    args = (rng, config["n_samples"], config["noise"])
    points, labels = maker(*args, config["classes"]) if "classes" in config else maker(*args)
    train, test = split(config, points, labels)
    return points, labels, train, test


CLASSES = Int(default=3, low=2, high=10, help="number of classes")
register(
    planar("circle", "A disc of one class inside a ring of the other.", circle, "classification", 2),
    planar(
        "xor",
        "Opposite quadrants share a class: the classic problem one perceptron cannot solve.",
        xor,
        "classification",
        2,
    ),
    planar("gaussian", "Two Gaussian clouds; noise widens them until they overlap.", gaussian, "classification", 2),
    planar(
        "spiral",
        "Two interleaved spirals: hard for a line, easy with depth or sin features.",
        spiral,
        "classification",
        2,
    ),
    planar("moons", "Two interlocking half moons.", moons, "classification", 2),
    planar(
        "plane", "Regression: the target rises evenly along x₁ + x₂.", plane, "regression", defaults={"n_samples": 1200}
    ),
    planar(
        "multi_gaussian",
        "Regression: six bumps up and down over the plane.",
        multi_gaussian,
        "regression",
        defaults={"n_samples": 1200},
    ),
    planar(
        "blobs",
        "Gaussian clusters centred evenly on a circle, one per class.",
        blobs,
        "classification",
        extra_fields={"classes": CLASSES},
    ),
    planar(
        "spiral_multi",
        "A spiral with one arm per class.",
        spiral_multi,
        "classification",
        extra_fields={"classes": CLASSES},
    ),
)
