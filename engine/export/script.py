"""Standalone training scripts: plain PyTorch, and the same for torchrun with
DistributedDataParallel. Assembled from the model, data and training parts."""

from __future__ import annotations

import re

from engine.errors import Problem, SpecError
from engine.export.data_code import data_source
from engine.export.gan_script import gan_parts
from engine.export.model_code import model_source
from engine.export.training_code import training_source
from engine.training.objective import strips_final

IMPORTS = """from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn"""

EVALUATE = '''def evaluate(model, x, y):
    """Loss and accuracy (None for regression) on a whole set."""
    model.eval()
    with torch.no_grad():
        out = model(x{logits})
        loss = float(loss_fn(out, targets(y)))
        accuracy = {accuracy}
    model.train()
    return loss, accuracy


def report(epoch, epochs, train, test):
    line = f"epoch {{epoch}}/{{epochs}}  train loss {{train[0]:.4f}}  test loss {{test[0]:.4f}}"
    if test[1] is not None:
        line += f"  test accuracy {{test[1]:.3f}}"
    print(line, flush=True)'''

COMMON = '''def arguments():
    # argparse %-formats a description that holds "%(prog)"; this one always does, with the
    # title's own % doubled, so every title shows as written
    title = (TITLE or "A NeuroLoom experiment").replace("%", "%%")
    parser = argparse.ArgumentParser(description=f"{{title}} (%(prog)s: a training script exported from NeuroLoom)")
    parser.add_argument("--epochs", type=int, default=TRAINING["epochs"])
    parser.add_argument("--weights", default={weights}, help="start from these weights (safetensors)")
    parser.add_argument("--save", help="write the trained weights to this file (safetensors)")
    args = parser.parse_args()
    if args.weights and not os.path.exists(args.weights):
        parser.error(f"no weights file {{args.weights}} (pass --weights '' to start from fresh weights)")
    return args


def batch_size(n_train):
    full = TRAINING["optimizer"] == "gd" or TRAINING["batch_size"] == "full"
    return n_train if full else min(TRAINING["batch_size"], n_train)


def start_model(args, device):
    """The model on `device` with NeuroLoom's starting weights (the same seed), or those of --weights."""
    torch.manual_seed(TRAINING["seed"])
    model = Model().to(device)
    if args.weights:
        from safetensors.torch import load_file

        model.load_state_dict(load_file(args.weights))
    return model


def setup_model():
    """The command line, the device, and the model with its starting weights."""
    args = arguments()
    if TITLE:
        print(TITLE, flush=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    return args, device, start_model(args, device)


def save(model, path):
    from safetensors.torch import save_file

    save_file(model.state_dict(), path)
    print(f"weights saved to {{path}}")'''


TRAIN = '''def train(model, forward, params, data, epochs, rank=0, world=1):
    """The engine's training, epoch by epoch: train_epoch over a new shuffle, then the schedule's
    rate. Under torchrun, process `rank` of `world` takes every world-th sample of the shuffle
    (padded as DistributedSampler pads, so all take as many steps) in batches of 1/world the
    size: together their k-th batches are the engine's k-th batch, and DistributedDataParallel
    averages their gradients into its gradient. Rank 0 reports."""
    torch.manual_seed(TRAINING["seed"])  # dropout and sampling draw from the global generator
    x_train, y_train, x_test, y_test = data
    t_train = targets(y_train)
    batch = max(1, batch_size(len(x_train)) // world)
    optimizer = make_optimizer(TRAINING, params)
    factor = schedule_factor({{**TRAINING, "epochs": epochs}})
    shuffle = torch.Generator().manual_seed(TRAINING["seed"])

    def measure(epoch):
        if rank == 0:
            report(epoch, epochs, evaluate(model, x_train, y_train), evaluate(model, x_test, y_test))

    measure(0)
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(x_train), generator=shuffle)
        if world > 1:
            order = torch.cat([order, order[: -len(order) % world]])[rank::world]
        train_epoch(forward, params, loss_fn, optimizer, x_train, t_train, order.to(x_train.device), batch,
                    lambda: penalty(model), TRAINING["grad_clip"])
        for group in optimizer.param_groups:
            group["lr"] = TRAINING["lr"] * factor(epoch)
        measure(epoch)'''

PLAIN_MAIN = '''def main():
    args, device, model = setup_model()
    forward = {forward}
    data = tuple(t.to(device) for t in load_data())
    train(model, forward, list(model.parameters()), data, args.epochs)
    if args.save:
        save(model, args.save)


if __name__ == "__main__":
    main()'''

DDP_MAIN = '''def main():
    """Run under torchrun: one process per GPU (or several on the CPU), each with the same data
    and starting weights, training on its share of every batch."""
    from torch.nn.parallel import DistributedDataParallel

    args = arguments()
    cuda = torch.cuda.is_available()
    device = torch.device(f"cuda:{{int(os.environ['LOCAL_RANK'])}}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)  # one GPU per process, chosen before NCCL starts
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    if rank == 0 and TITLE:
        print(TITLE, flush=True)
    model = start_model(args, device)  # every rank starts from the same weights
    parallel = DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
    forward = {forward}
    data = tuple(t.to(device) for t in load_data())
    train(model, forward, list(parallel.parameters()), data, args.epochs, rank, world)
    if rank == 0 and args.save:  # one log, one file: rank 0 speaks for all
        save(model, args.save)
    dist.barrier()  # rank 0's log is whole before any rank says it finished
    # the line and its newline in one write: with PYTHONUNBUFFERED, print writes them apart, and
    # another rank's line could come in between
    print(f"rank {{rank}} of {{world}} finished\\n", end="", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()'''


def _header(experiment, distributed: bool, weights: str | None) -> str:
    """The module docstring: fixed text only, as an experiment's own words could end it or hold
    escapes (they live in TITLE and DESCRIPTION instead)."""
    if distributed:
        run = ("Run: torchrun --standalone --nproc_per_node=2 THIS_FILE   (one machine, 2 processes)\n"
               "Several machines: torchrun --nnodes=2 --nproc_per_node=4 --node_rank=0|1\n"
               "     --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 THIS_FILE")
    else:
        run = "Run: python THIS_FILE [--epochs N] [--save weights.safetensors]"
    needs = "torch and numpy" + (", scikit-learn" if experiment.data.get("dataset") == "digits" else "")
    lines = [f'"""A training script exported from NeuroLoom{" for torchrun (DDP)" if distributed else ""}.',
             "", "The experiment's title and description are TITLE and DESCRIPTION below.", "", run,
             f"Needs {needs}; safetensors for --weights and --save."]
    if weights:
        lines.append("Starts from the trained weights kept next to it (the default of --weights).")
    return "\n".join([*lines, '"""'])


def text_constants(experiment) -> str:
    """TITLE and DESCRIPTION as string literals (repr), so any text is data, never code."""
    lines, line = [], ""
    for piece in re.findall(r"\S+\s*|\s+", experiment.description):  # words with their spacing: joined, the text
        if line and len(line) + len(piece) > 80:
            lines.append(line)
            line = ""
        line += piece
    lines += [line] if line else []
    if len(lines) > 1:
        description = "(\n" + "".join(f"    {chunk!r}\n" for chunk in lines) + ")"
    else:
        description = repr(experiment.description)
    return f"TITLE = {experiment.title!r}\nDESCRIPTION = {description}"


def _weights_default(name: str | None) -> str:
    return f"os.path.join(os.path.dirname(os.path.abspath(__file__)), {name!r})" if name else "None"


def training_script(experiment, distributed: bool = False, weights: str | None = None) -> str:
    """The whole script as text. `weights`: a safetensors file name the script loads by default."""
    logits = ", logits=True" if strips_final(experiment.model, experiment.loss) else ""
    accuracy = "correct(out, y)[0] / correct(out, y)[1]" if experiment.data_info.is_classification else "None"
    imports = IMPORTS + ("\nimport torch.distributed as dist" if distributed else "")
    if experiment.data_info.kind == "table":
        imports = imports.replace("import argparse\n", "import argparse\nimport csv\nimport io\n")
    if experiment.gan and distributed:
        raise SpecError(Problem("training", "the DDP script does not train GANs yet: export the PyTorch script"))
    if experiment.gan:
        measures, main = gan_parts(experiment, logits)
    else:
        measures = EVALUATE.format(logits=logits, accuracy=accuracy)
        net = "parallel" if distributed else "model"
        forward = f"lambda x: {net}(x, logits=True)  # the loss squashes, stably" if logits else net
        main = (DDP_MAIN if distributed else PLAIN_MAIN).format(forward=forward)
        measures += "\n\n\n" + TRAIN.format()
    parts = [
        _header(experiment, distributed, weights),
        imports,
        text_constants(experiment),
        model_source(experiment, cut_final=bool(logits)),
        data_source(experiment),
        training_source(experiment),
        measures,
        COMMON.format(weights=_weights_default(weights)),
        main,
    ]
    return "\n\n\n".join(parts) + "\n"
