"""Sequence datasets: forecast a sine wave, the parity of a bit string, reverse a token string."""

from __future__ import annotations

import numpy as np

from engine.data.base import Config, DataInfo, Dataset, DatasetType, register, split, to_tensor
from engine.params import Float, Int

SEQ_LEN = Int(default=20, low=2, high=512, help="steps in each input sequence")


def sine_describe(config: Config) -> DataInfo:
    return DataInfo(name="sine", task="regression", sample_shape=(config["seq_len"], 1), kind="series")


def sine_arrays(config):
    """Windows of a noisy sine wave; the target is the value after each window. Train on the
    earlier part of the series and test on the later part, as forecasting is judged."""
    rng = np.random.default_rng(config["seed"])
    steps, window = config["n_samples"], config["seq_len"]
    t = np.arange(steps + window) * config["step"]
    series = (np.sin(t) + rng.normal(0, config["noise"], t.shape)).astype(np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(series[:-1], window)[:steps]
    targets = series[window:][:steps]
    train, test = split(config, windows, targets, shuffle=False)
    return windows[..., None], targets, train, test  # inputs: (samples, time, 1 feature)


def sine_generate(config: Config) -> Dataset:
    x, targets, train, test = sine_arrays(config)
    steps, window = config["n_samples"], config["seq_len"]
    t = np.arange(steps + window) * config["step"]
    data = Dataset(
        sine_describe(config),
        to_tensor(x[train], "float"),
        to_tensor(targets[train], "float"),
        to_tensor(x[test], "float"),
        to_tensor(targets[test], "float"),
    )
    data.extra["time"] = t[window:][:steps]  # the time of each target, for forecast plots
    data.extra["test_index"] = test
    return data


def parity_describe(config: Config) -> DataInfo:
    return DataInfo(
        name="parity",
        task="classification",
        sample_shape=(config["seq_len"],),
        dtype="long",
        n_classes=2,
        class_names=("even", "odd"),
        kind="tokens",
    )


def parity_arrays(config):
    """Random bit strings (tokens 0 and 1); the class is whether the number of ones is odd.
    Noise flips that share of the labels."""
    rng = np.random.default_rng(config["seed"])
    bits = rng.integers(0, 2, (config["n_samples"], config["seq_len"]))
    labels = bits.sum(1) % 2
    flip = rng.random(len(labels)) < config["noise"]
    labels = np.where(flip, 1 - labels, labels)
    train, test = split(config, bits, labels)
    return bits, labels, train, test


def parity_generate(config: Config) -> Dataset:
    bits, labels, train, test = parity_arrays(config)
    return Dataset(
        parity_describe(config),
        to_tensor(bits[train], "long"),
        to_tensor(labels[train], "long"),
        to_tensor(bits[test], "long"),
        to_tensor(labels[test], "long"),
    )


def reverse_describe(config: Config) -> DataInfo:
    vocab = config["vocab"]
    return DataInfo(
        name="reverse",
        task="classification",
        sample_shape=(config["seq_len"],),
        dtype="long",
        n_classes=vocab,
        class_names=tuple(str(i) for i in range(vocab)),
        target_shape=(config["seq_len"],),
        kind="tokens",
    )


def reverse_arrays(config):
    """Random token strings; the target is the same string reversed, one class per position.
    Noise replaces that share of input tokens with random ones (the targets stay clean)."""
    rng = np.random.default_rng(config["seed"])
    shape = (config["n_samples"], config["seq_len"])
    tokens = rng.integers(0, config["vocab"], shape)
    targets = tokens[:, ::-1].copy()
    noisy = np.where(rng.random(shape) < config["noise"], rng.integers(0, config["vocab"], shape), tokens)
    train, test = split(config, noisy, targets)
    return noisy, targets, train, test


def reverse_generate(config: Config) -> Dataset:
    noisy, targets, train, test = reverse_arrays(config)
    return Dataset(
        reverse_describe(config),
        to_tensor(noisy[train], "long"),
        to_tensor(targets[train], "long"),
        to_tensor(noisy[test], "long"),
        to_tensor(targets[test], "long"),
    )


register(
    DatasetType(
        "sine",
        "Forecast the next value of a noisy sine wave from the last seq_len values.",
        {"seq_len": SEQ_LEN, "step": Float(default=0.1, low=0.001, high=10.0, help="time between samples (radians)")},
        sine_describe,
        sine_generate,
        defaults={"n_samples": 1000, "train_fraction": 0.8},
        export=((sine_arrays,), "sine_arrays(DATA)"),
    ),
    DatasetType(
        "parity",
        "Is the number of ones in a bit string odd? Needs memory of the whole string.",
        {"seq_len": Int(default=8, low=2, high=512, help="bits per string")},
        parity_describe,
        parity_generate,
        defaults={"n_samples": 2000, "train_fraction": 0.8},
        export=((parity_arrays,), "parity_arrays(DATA)"),
    ),
    DatasetType(
        "reverse",
        "Output the input tokens in reverse order: a toy translation task for attention.",
        {
            "seq_len": Int(default=6, low=2, high=512, help="tokens per string"),
            "vocab": Int(default=10, low=2, high=1000, help="number of distinct tokens"),
        },
        reverse_describe,
        reverse_generate,
        defaults={"n_samples": 2000, "train_fraction": 0.8},
        export=((reverse_arrays,), "reverse_arrays(DATA)"),
    ),
)
