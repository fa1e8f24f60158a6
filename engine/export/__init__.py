"""Exports (CONTRACT.md section 2): a standalone PyTorch script, a torchrun/DDP script, ONNX, a
torch.export program, or the normalized experiment. Weights come in only as safetensors."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import torch

from engine.compile import build_model, tail_from
from engine.errors import Problem, SpecError
from engine.export.script import training_script
from engine.gan import split
from engine.registry import fmt

FORMATS = ("pytorch", "ddp", "onnx", "pt2", "spec")
SUFFIX = {"pytorch": ".py", "ddp": ".py", "onnx": ".onnx", "pt2": ".pt2", "spec": ".json"}


def load_weights(model: torch.nn.Module, path: str | Path) -> None:
    """Load a safetensors state dict into `model`; a file that doesn't fit is a `file:` problem
    naming the first key that differs (never a pickle, never a partial load)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(path))
    except FileNotFoundError:
        raise SpecError(Problem("file", f"weights file {path} does not exist")) from None
    except (SafetensorError, OSError, ValueError) as err:
        raise SpecError(Problem("file", f"{path} is not a safetensors weights file ({err})")) from None
    expected = model.state_dict()
    for key, tensor in expected.items():
        if key not in tensors:
            raise SpecError(Problem("file", f"weights {path}: '{key}' is missing (the model has it with shape "
                                            f"{fmt(tuple(tensor.shape))})"))
        if tuple(tensors[key].shape) != tuple(tensor.shape):
            raise SpecError(Problem("file", f"weights {path}: '{key}' has shape {fmt(tuple(tensors[key].shape))} "
                                            f"but the model's is {fmt(tuple(tensor.shape))}"))
    extra = sorted(set(tensors) - set(expected))
    if extra:
        raise SpecError(Problem("file", f"weights {path}: '{extra[0]}' is not a tensor of this model"))
    model.load_state_dict(tensors)


def example_input(experiment, batch: int = 2) -> torch.Tensor:
    shape = (batch, *experiment.model.input_shape)
    if experiment.model.input_dtype == "long":
        return torch.zeros(shape, dtype=torch.long)
    return torch.randn(shape, generator=torch.Generator().manual_seed(0))


def trained_model(experiment, weights: str | Path | None) -> torch.nn.Module:
    seed = (experiment.training or {}).get("seed", 0)
    model = build_model(experiment, seed=seed)
    if weights:
        load_weights(model, weights)
    return model.eval()


def export(experiment, to: str, out: str | Path, weights: str | Path | None = None) -> Path:
    """Write `experiment` as `to` (one of FORMATS) to `out`; returns the path written."""
    if to not in FORMATS:
        raise SpecError(Problem("file", f"unknown export format {to!r} (use one of {', '.join(FORMATS)})"))
    out = Path(out)
    if to == "spec":
        with _writing(out):
            out.write_text(json.dumps(experiment.to_dict(), indent=2) + "\n", encoding="utf-8")
        return out
    model = trained_model(experiment, weights)  # checks the weights before anything is written
    if to in ("pytorch", "ddp"):
        if experiment.data is None or experiment.training is None:
            raise SpecError(Problem("data", "a training script needs the experiment's data and training sections"))
        name = out.with_suffix(".safetensors").name if weights else None
        script = training_script(experiment, distributed=to == "ddp", weights=name)
        with _writing(out):
            if weights and Path(weights).resolve() != (out.parent / name).resolve():
                shutil.copyfile(weights, out.parent / name)
            out.write_text(script, encoding="utf-8")  # the encoding Python reads source in
    elif to == "onnx":
        with _writing(out):
            _onnx(model, (example_input(experiment),), out)
        for name, part, shape in generative_parts(model, experiment):  # beside it: what generates
            path = companion(out, name)
            with _writing(path):
                _onnx(part, (torch.randn((2, *shape), generator=torch.Generator().manual_seed(0)),), path)
    else:
        program = torch.export.export(model, (example_input(experiment),), dynamic_shapes=_batch_dims())
        with _writing(out):
            torch.export.save(program, str(out))
    return out


@contextmanager
def _writing(out: Path) -> Iterator[None]:
    """Make `out`'s folder and try the file before the work: a place that cannot be written (a
    missing drive, a folder, no permission) is a `file:` problem, not a crash."""
    created = False
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        created = not out.exists()
        with out.open("ab"):  # leaves an existing file as it is
            pass
        yield
    except BaseException as err:
        if created:  # no empty or half-written file left behind
            with suppress(OSError):
                out.unlink(missing_ok=True)
        if isinstance(err, FileExistsError):  # mkdir met a file where a folder should be
            raise SpecError(Problem("file", f"cannot write {out}: {err.filename} is a file, not a folder")) from None
        if isinstance(err, OSError):
            raise SpecError(Problem("file", f"cannot write {out}: {err.strerror or err}")) from None
        raise


def _batch_dims():
    return ({0: torch.export.Dim("batch", min=1, max=1_000_000)},)


def companion(out: Path, part: str) -> Path:
    """Where the ONNX file of a generative model's part goes: beside `out`, named after it."""
    return out.with_name(f"{out.stem}.{part}.onnx")


def generative_parts(model: torch.nn.Module, experiment) -> list[tuple[str, torch.nn.Module, tuple[int, ...]]]:
    """The part that generates, as a model of its own (sharing the weights) with its input shape:
    a GAN's generator (noise in), a variational autoencoder's decoder (a code in)."""
    if experiment.gan:
        return [("generator", split(model, experiment.gan)[0], tuple(experiment.model.input_shape))]
    samples = [node.id for node in experiment.model.nodes if node.type == "Sample"]
    decoder = tail_from(model, samples[0]) if len(samples) == 1 else None
    if decoder is None:
        return []
    return [("decoder", decoder, tuple(experiment.analysis.nodes[samples[0]].output_shape))]


def _onnx(model, example: tuple, out: Path) -> None:
    import logging

    import onnx

    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # the exporter narrates every pass
    torch.onnx.export(model, example, str(out), input_names=["x"], output_names=["y"],
                      dynamic_shapes=_batch_dims(), dynamo=True, external_data=False, verbose=False)
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
