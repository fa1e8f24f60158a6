"""TensorBoard logging of a run: loss, accuracy (or R²) and learning rate as scalars each epoch,
and per-layer weight and gradient histograms, through torch.utils.tensorboard."""

from __future__ import annotations

from pathlib import Path


class TensorBoardLog:
    """Call it after each epoch with the session and that epoch's metrics; `close()` at the end."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.writer = None  # made at the first epoch, so a run that never trains leaves no folder

    def __call__(self, session, metrics: dict) -> None:
        if self.writer is None:
            from torch.utils.tensorboard import SummaryWriter  # needs the tensorboard package

            self.writer = SummaryWriter(log_dir=str(self.folder))
        epoch = session.epoch
        for name in ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_r2", "test_r2"):
            if metrics.get(name) is not None:
                self.writer.add_scalar(name.replace("_", "/", 1), metrics[name], epoch)
        self.writer.add_scalar("lr", session.lr, epoch)
        for name, parameter in session.model.named_parameters():
            self.writer.add_histogram(f"weights/{name}", parameter.detach().cpu(), epoch)
            if parameter.grad is not None:
                self.writer.add_histogram(f"gradients/{name}", parameter.grad.detach().cpu(), epoch)
        self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
