"""A run's numbers and loss curve as the live charts' frame shows them: the epoch, the losses, the
accuracy, the speed and rate, and the curve as plotly JSON. The page sends a reading with each of
its runs; the live feed's route sends newer ones between them. Plain data, no Streamlit."""

from __future__ import annotations

import math
import time
from typing import Any

from components.charts import NEGATIVE, POSITIVE, TEMPLATE, fixed_margins
from engine.training.trainer import Snapshot

CURVE_POINTS = 500
STATES = {"idle": "ready", "waiting": "⏳ waiting for a free training slot", "running": "training", "paused": "paused",
          "finished": "at its epoch budget", "stopped": "stopped", "diverged": "diverged", "failed": "failed"}
ACCURACY_COLOUR = "#2CA02C"


def numbers(snapshot: Snapshot) -> list[tuple[str, str]]:
    """(label, value) pairs, two by two: epoch and train loss, then test loss and the test score."""
    metrics = snapshot.metrics
    gan = "test_distance" in metrics  # a GAN's losses are its discriminator's: said so
    shown = [("Epoch", f"{snapshot.epoch:,} / {snapshot.epochs:,}" if snapshot.epochs else f"{snapshot.epoch:,}"),
             ("D train loss" if gan else "Train loss", f"{metrics['train_loss']:.4f}" if metrics else "–"),
             ("D test loss" if gan else "Test loss", f"{metrics['test_loss']:.4f}" if metrics else "–")]
    if gan:  # how far the generated samples are from the real ones: what falls as the generator learns
        shown.append(("Distance", f"{metrics['test_distance']:.3f}"))
    elif metrics.get("test_accuracy") is not None:
        shown.append(("Test accuracy", f"{metrics['test_accuracy'] * 100:.1f} %"))
    elif metrics.get("test_r2") is not None:
        shown.append(("Test R²", f"{metrics['test_r2']:.3f}"))
    return shown


def _thinned(history: list[dict]) -> list[dict]:
    """At most CURVE_POINTS evenly spaced epochs and the last: a long run would otherwise grow the
    chart by thousands of points a minute, and with it every redraw."""
    if len(history) <= CURVE_POINTS:
        return history
    stride = -(-len(history) // CURVE_POINTS)
    return history[::stride] + ([history[-1]] if (len(history) - 1) % stride else [])


def _line(epochs: list[int], values: list, name: str, colour: str, **extra: Any) -> dict[str, Any]:
    # six significant digits: finer than the chart can show, and half the bytes of a full float;
    # a diverged run's inf or nan is a gap (JSON has neither)
    y = [float(f"{v:.6g}") if v is not None and math.isfinite(v) else None for v in values]
    return {"type": "scatter", "x": epochs, "y": y, "name": name, "line": {"color": colour}, **extra}


def curve(history: list[dict]) -> dict[str, Any]:
    """Train and test loss per epoch, with test accuracy (or R²) on a second axis, as plotly JSON
    with fixed margins (automatic ones re-lay the chart out on every update)."""
    history = _thinned(history)
    epochs = [h["epoch"] for h in history]
    d = "D " if history and "test_distance" in history[-1] else ""  # a GAN: its discriminator's numbers
    data = [_line(epochs, [h["train_loss"] for h in history], f"{d}train loss", POSITIVE),
            _line(epochs, [h["test_loss"] for h in history], f"{d}test loss", NEGATIVE)]
    fixed = {"automargin": False}
    layout: dict[str, Any] = {
        "template": TEMPLATE, "height": 170, "margin": fixed_margins(),
        # above the plot, not over it: at y 1.15 it hid an accuracy line at 100 %
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        # from epoch 0 to the last, whatever the points: one point alone was drawn from -1 to 1
        "xaxis": {"title": {"text": "epoch"}, "range": [0, max([1, *epochs])], **fixed},
        "yaxis": {"title": {"text": "loss"}, "rangemode": "tozero", **fixed, **({} if history else {"range": [0, 1]})},
    }
    last = history[-1] if history else {}
    metric = "accuracy" if last.get("test_accuracy") is not None else ("r2" if last.get("test_r2") is not None else None)
    if metric:
        name = f"{d}test accuracy" if metric == "accuracy" else "test R²"
        data.append(_line(epochs, [h.get(f"test_{metric}") for h in history], name, ACCURACY_COLOUR,
                          yaxis="y2", line={"color": ACCURACY_COLOUR, "dash": "dot"}))
        layout["margin"] = fixed_margins(second_axis=True)
        layout["yaxis2"] = {"overlaying": "y", "side": "right", "showgrid": False, **fixed,
                            "title": {"text": "accuracy" if metric == "accuracy" else "R²"},
                            **(PERCENT_AXIS if metric == "accuracy" else _r2_axis([h.get("test_r2") for h in history]))}
    return {"data": data, "layout": layout}


PERCENT_AXIS = {"range": [0, 1.02], "tickvals": [0, 0.25, 0.5, 0.75, 1], "tickformat": ".0%"}


def _r2_axis(values: list) -> dict[str, Any]:
    """R² is at most 1 and has no floor (an untrained model's is often far below 0): from 1 down
    to the lowest value or -1, whichever is higher, in quarters or halves. Left to itself the axis took
    the loss axis's grid, with ticks such as 0.796 and -0.013."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    lowest = min([0.0, *finite])
    step = 0.25 if lowest >= 0 else 0.5  # five ticks at most on a short chart
    low = max(-1.0, math.floor(lowest / step) * step)
    ticks = [1 - step * i for i in range(round((1 - low) / step) + 1)]
    return {"range": [low - 0.02, 1.02], "tickmode": "array", "tickvals": ticks[::-1], "tickformat": ".2~f"}


def key(run: int, snapshot: Snapshot) -> str:
    """What a reading shows, as a string: two readings with the same key look the same."""
    return f"{run}:{snapshot.state}:{snapshot.epoch}:{snapshot.lr!r}:{snapshot.message}"


def read(run: int, snapshot: Snapshot, history: list[dict] | None) -> dict[str, Any]:
    """A reading of run `run` (any number that tells runs apart) at `snapshot`, with its curve
    when `history` is given. `stamp` (server time, s) orders readings that arrive by two ways."""
    reading = {"stamp": time.time(), "key": key(run, snapshot), "state": snapshot.state,
               "numbers": numbers(snapshot),
               "caption": f"{STATES.get(snapshot.state, snapshot.state)} · {snapshot.epochs_per_second:.1f} epochs/s · "
                          f"learning rate {snapshot.lr:g} · {snapshot.device}"
                          + (f" · {snapshot.speed}" if snapshot.speed else "")}
    if history is not None:
        reading["curve"] = curve(history)
    return reading
