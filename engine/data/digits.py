"""The 8x8 handwritten digits that scikit-learn ships (1797 images; nothing is downloaded)."""

from __future__ import annotations

import numpy as np

from engine.data.base import Config, DataInfo, Dataset, DatasetType, register, split, to_tensor
from engine.params import Choice

ALL = 1797


def describe(config: Config) -> DataInfo:
    if config.get("target") == "input":  # autoencoders: reproduce the image itself
        return DataInfo(name="digits", task="regression", sample_shape=(1, 8, 8), target_shape=(1, 8, 8), kind="image")
    return DataInfo(
        name="digits",
        task="classification",
        sample_shape=(1, 8, 8),
        n_classes=10,
        class_names=tuple(str(d) for d in range(10)),
        kind="image",
    )


def digits_arrays(config):
    """scikit-learn's 8x8 digits (pixels scaled to [0, 1]), a seeded sample of them, optional
    pixel noise; the target is the digit, or the image itself for autoencoders."""
    from sklearn.datasets import load_digits  # a second to import: only when digits are used

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    rng = np.random.default_rng(config["seed"])
    chosen = rng.permutation(len(images))[: min(config["n_samples"], len(images))]
    images, labels = images[chosen], digits.target[chosen].astype(np.int64)
    if config["noise"]:
        images = np.clip(images + rng.normal(0, config["noise"], images.shape), 0, 1).astype(np.float32)
    images = images[:, None]  # (samples, 1 channel, 8, 8)
    train, test = split(config, images, labels)
    return images, images if config.get("target") == "input" else labels, train, test


def generate(config: Config) -> Dataset:
    images, targets, train, test = digits_arrays(config)
    kind = "float" if config.get("target") == "input" else "long"
    dataset = Dataset(
        describe(config),
        to_tensor(images[train], "float"),
        to_tensor(targets[train], kind),
        to_tensor(images[test], "float"),
        to_tensor(targets[test], kind),
    )
    if config.get("target") == "input":  # an autoencoder's latent space is coloured by the digit
        labels = digits_arrays({**config, "target": "label"})[1]
        dataset.extra["labels_test"] = labels[test]
    return dataset


register(
    DatasetType(
        "digits",
        "8x8 images of handwritten digits, 10 classes; pixels scaled to [0, 1].",
        {"target": Choice(default="label", choices=("label", "input"),
                          help='"label": classify the digit; "input": reproduce the image (autoencoders)')},
        describe,
        generate,
        defaults={"n_samples": ALL, "train_fraction": 0.75},
        export=((digits_arrays,), "digits_arrays(DATA)"),
    )
)
