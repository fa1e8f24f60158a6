"""A one-line progress bar on stderr: epoch, loss, accuracy and speed."""

from __future__ import annotations

import sys
import time

WIDTH = 24


class ProgressBar:
    """Redraws in place on a terminal; elsewhere (logs, CI) prints a line every tenth of the run."""

    def __init__(self, total: int, stream=None):
        self.total, self.stream = total, stream or sys.stderr
        self.live = getattr(self.stream, "isatty", lambda: False)()
        self.shown_tenth = -1
        self.last_draw = 0.0
        self.speed = ""  # the turbo note last told

    def update(self, snapshot, final: bool = False) -> None:
        if snapshot.speed and snapshot.speed != self.speed:  # told once, on a line of its own
            self.speed = snapshot.speed
            self.stream.write(("\r" if self.live else "") + snapshot.speed + "\n")
        tenth = snapshot.epoch * 10 // max(self.total, 1)
        now = time.monotonic()
        if self.live and not final and now - self.last_draw < 0.1:
            return
        if not self.live and not final and tenth == self.shown_tenth:
            return
        self.shown_tenth, self.last_draw = tenth, now
        done = int(WIDTH * snapshot.epoch / max(self.total, 1))
        metrics = snapshot.metrics
        parts = [f"epoch {snapshot.epoch}/{self.total}", "[" + "#" * done + "." * (WIDTH - done) + "]"]
        if metrics.get("train_loss") is not None:
            parts.append(f"loss {metrics['train_loss']:.4f}")
        if metrics.get("test_accuracy") is not None:
            parts.append(f"test acc {metrics['test_accuracy'] * 100:.1f}%")
        elif metrics.get("test_r2") is not None:
            parts.append(f"test R² {metrics['test_r2']:.3f}")
        parts.append(f"{snapshot.epochs_per_second:.1f} epochs/s")
        line = "  ".join(parts)
        if self.live:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
