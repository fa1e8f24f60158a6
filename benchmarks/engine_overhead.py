"""Engine overhead: compiled models against the same networks written by hand, trained side by side.

Five workloads, each built by `build_model` and as a plain `nn.Module` with copied weights (checked
to give the same outputs), trained on the same batches with Adam; training steps (forward, backward,
optimizer step) per second and their ratio.

With turbo (the default), each workload is also trained by the engine's compiled chunk of steps
(engine/training/turbo.py, inductor) and TF Playground's default problem is trained epoch by epoch
by a session, eager and turbo, in the same process. Compiling takes tens of seconds a model here.
For a model turbo speeds up less than 3x, a line says what bounds it (benchmarks/turbo_bounds.py).

Run: .venv/bin/python -m benchmarks.engine_overhead [--quick] [--threads N] [--no-turbo]
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.turbo_bounds import bound
from engine import build_model, load_experiment
from engine.errors import first_line
from engine.training import turbo
from engine.training.recurrence import unroll
from engine.training.session import Session

BATCH = 32
ROOT = Path(__file__).resolve().parent.parent


def node(node_id, kind, inputs=None, **params):
    """One node of a model spec; `inputs` only where it does not read the node before it."""
    spec = {"id": node_id, "type": kind, "params": params, "inputs": inputs}
    return {key: value for key, value in spec.items() if value}


# Each workload: the model spec, the same network by hand, a batch maker and the loss.
MLP = {
    "input": {"shape": [2]},
    "nodes": [
        node("h1", "Linear", out_features=8),
        node("a1", "Tanh"),
        node("h2", "Linear", out_features=8),
        node("a2", "Tanh"),
        node("out", "Linear", out_features=1),
    ],
}


class HandMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.h1, self.h2, self.out = nn.Linear(2, 8), nn.Linear(8, 8), nn.Linear(8, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.h2(torch.tanh(self.h1(x)))))


CNN = {
    "input": {"shape": [1, 8, 8]},
    "nodes": [
        node("c1", "Conv2d", out_channels=8, kernel_size=3, padding=1),
        node("r1", "ReLU"),
        node("p1", "MaxPool2d", kernel_size=2),
        node("c2", "Conv2d", out_channels=16, kernel_size=3, padding=1),
        node("r2", "ReLU"),
        node("p2", "MaxPool2d", kernel_size=2),
        node("flat", "Flatten"),
        node("out", "Linear", out_features=10),
    ],
}


class HandCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 16, 3, padding=1)
        self.out = nn.Linear(16 * 2 * 2, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.out(x.flatten(1))


LSTM = {
    "input": {"shape": [20, 1]},
    "nodes": [node("lstm", "LSTM", hidden_size=32), node("out", "Linear", out_features=1)],
}


class HandLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 32, batch_first=True)
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.out(h[-1])


WIDTH, STEPS, VOCAB = 32, 12, 16
TRANSFORMER = {
    "input": {"shape": [STEPS], "dtype": "long"},
    "nodes": [
        node("emb", "Embedding", num_embeddings=VOCAB, embedding_dim=WIDTH),
        node("pos", "PositionalEncoding"),
        node("attn", "MultiheadSelfAttention", num_heads=4),
        node("res", "Add", ["pos", "attn"]),
        node("norm", "LayerNorm"),
        node("enc", "TransformerEncoderLayer", nhead=4, dim_feedforward=64, dropout=0.0),
        node("pool", "SequencePool"),
        node("out", "Linear", out_features=2),
    ],
}


class HandTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, WIDTH)
        self.attn = nn.MultiheadAttention(WIDTH, 4, batch_first=True)
        self.norm = nn.LayerNorm(WIDTH)
        self.enc = nn.TransformerEncoderLayer(WIDTH, 4, 64, dropout=0.0, batch_first=True)
        self.out = nn.Linear(WIDTH, 2)
        position = torch.arange(512.0).unsqueeze(1)
        rate = torch.exp(torch.arange(0, WIDTH, 2.0) * (-math.log(10000.0) / WIDTH))
        table = torch.stack([torch.sin(position * rate), torch.cos(position * rate)], dim=2).flatten(1)
        self.register_buffer("table", table, persistent=False)

    def forward(self, x):
        x = self.emb(x) + self.table[: x.shape[1]]
        x = self.norm(x + self.attn(x, x, x, need_weights=False)[0])
        return self.out(self.enc(x).mean(dim=1))


RESIDUAL = {
    "input": {"shape": [16]},
    "nodes": [node("stem", "Linear", out_features=32)]
    + [
        block
        for i, skip in enumerate(["stem", "r1", "r2"], start=1)
        for block in (
            node(f"l{i}a", "Linear", [skip], out_features=32),
            node(f"a{i}", "ReLU"),
            node(f"l{i}b", "Linear", out_features=32),
            node(f"add{i}", "Add", [skip, f"l{i}b"]),
            node(f"r{i}", "ReLU"),
        )
    ]
    + [node("out", "Linear", out_features=4)],
}


class HandResidual(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(16, 32)
        self.blocks = nn.ModuleList(nn.ModuleList([nn.Linear(32, 32), nn.Linear(32, 32)]) for _ in range(3))
        self.out = nn.Linear(32, 4)

    def forward(self, x):
        x = self.stem(x)
        for a, b in self.blocks:
            x = F.relu(x + b(F.relu(a(x))))
        return self.out(x)


@dataclass
class Workload:
    name: str
    spec: dict
    hand: Callable[[], nn.Module]
    inputs: Callable[[], torch.Tensor]
    targets: Callable[[], torch.Tensor]
    loss: Callable


WORKLOADS = [
    Workload(
        "MLP 2-8-8-1 tanh",
        MLP,
        HandMLP,
        lambda: torch.randn(BATCH, 2),
        lambda: torch.randint(0, 2, (BATCH, 1)).float(),
        F.binary_cross_entropy_with_logits,
    ),
    Workload(
        "CNN 8x8, 2 conv",
        CNN,
        HandCNN,
        lambda: torch.randn(BATCH, 1, 8, 8),
        lambda: torch.randint(0, 10, (BATCH,)),
        F.cross_entropy,
    ),
    Workload(
        "LSTM 20x1, hidden 32",
        LSTM,
        HandLSTM,
        lambda: torch.randn(BATCH, 20, 1),
        lambda: torch.randn(BATCH, 1),
        F.mse_loss,
    ),
    Workload(
        "Transformer 12 tokens, width 32",
        TRANSFORMER,
        HandTransformer,
        lambda: torch.randint(0, VOCAB, (BATCH, STEPS)),
        lambda: torch.randint(0, 2, (BATCH,)),
        F.cross_entropy,
    ),
    Workload(
        "Residual MLP, 3 blocks of 32",
        RESIDUAL,
        HandResidual,
        lambda: torch.randn(BATCH, 16),
        lambda: torch.randint(0, 4, (BATCH,)),
        F.cross_entropy,
    ),
]


class Trainee:
    """A model with its own Adam and batches; `run` times `steps` training steps."""

    def __init__(self, model, batches, loss):
        self.model, self.batches, self.loss = model, batches, loss
        self.optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def run(self, steps: int, clock=time.perf_counter) -> float:
        model, optimizer, loss, batches = self.model, self.optimizer, self.loss, self.batches
        began = clock()
        for i in range(steps):
            x, y = batches[i % len(batches)]
            optimizer.zero_grad()
            loss(model(x), y).backward()
            optimizer.step()
        return steps / (clock() - began)


def pair(work: Workload) -> tuple[Trainee, Trainee]:
    """The compiled and the hand-written model with the same weights, checked to agree."""
    compiled = build_model(work.spec, seed=0)
    hand = work.hand()
    ours, theirs = list(compiled.parameters()), list(hand.parameters())
    assert [p.shape for p in ours] == [p.shape for p in theirs], f"{work.name}: parameters differ"
    with torch.no_grad():
        for mine, copy in zip(ours, theirs, strict=True):
            copy.copy_(mine)
    torch.manual_seed(1)
    batches = [(work.inputs(), work.targets()) for _ in range(8)]
    torch.testing.assert_close(compiled(batches[0][0]), hand(batches[0][0]), msg=f"{work.name}: outputs differ")
    return Trainee(compiled, batches, work.loss), Trainee(hand, batches, work.loss)


class TurboTrainee:
    """The compiled model trained by turbo's compiled chunk of steps on the same batches and Adam."""

    def __init__(self, trainee: Trainee):
        self.model, self.optimizer = trainee.model, trainee.optimizer
        self.x = torch.cat([x for x, _ in trainee.batches])
        self.t = torch.cat([t for _, t in trainee.batches])
        self.steps = turbo.chunk_steps(len(trainee.batches), looped=True)  # as a CPU run compiles
        self.rows = torch.arange(len(self.x)).repeat(self.steps).reshape(-1, self.steps, BATCH)
        structure = copy.deepcopy(self.model)  # recurrent layers unrolled, as a run's compiled copy has them
        unroll(structure)
        chunk = turbo.make_chunk(structure, trainee.loss, self.optimizer, lambda weights: 0.0, [], 0.0, looped=True)
        self.chunk = turbo.compile_chunk(chunk, "cpu")
        self.params = {k: p.detach() for k, p in self.model.named_parameters()}
        self.buffers = dict(self.model.named_buffers())
        self.states = [self.optimizer.state[p] for p in self.model.parameters()]
        self.lr = torch.tensor(1e-3)
        began = time.perf_counter()
        self.run(self.steps)
        self.compile_seconds = time.perf_counter() - began

    def run(self, steps: int, clock=time.perf_counter) -> float:
        calls = max(1, steps // self.steps)
        began = clock()
        for i in range(calls):
            self.chunk(self.params, self.buffers, self.states, self.x, self.t, self.rows[i % len(self.rows)], self.lr)
        return calls * self.steps / (clock() - began)


def turbo_speed(trainee: Trainee, rounds: int, steps: int, clock) -> tuple[float | None, str]:
    """Steps/s of the turbo chunk, or None and the reason it cannot compile this model."""
    try:
        fast = TurboTrainee(trainee)
    except Exception as err:
        return None, f"{type(err).__name__}: {first_line(err)}"
    return statistics.median(fast.run(steps, clock) for _ in range(rounds)), f"compiled in {fast.compile_seconds:.0f} s"


def playground_default(seconds: float) -> tuple[dict[str, float], dict[str, float], float]:
    """TF Playground's default problem (circle, 2-4-2-1 tanh, batch 10, SGD lr 0.03) trained epoch
    by epoch by a session, in this process: epochs/s eager and turbo, by mode, training alone and
    with both sets' loss and accuracy after each epoch (as TF Playground's engine computes both
    losses each epoch); and turbo's compile seconds."""
    raw = json.loads((ROOT / "presets" / "playground.json").read_text())
    raw["training"] = {**raw["training"], "optimizer": "sgd", "lr": 0.03, "turbo": "on"}
    trained, evaluated, compile_s = {}, {}, 0.0
    for mode in ("off", "on"):
        session = Session(load_experiment({**raw, "training": {**raw["training"], "turbo": mode}}), device="cpu")
        session.run_epoch()
        if mode == "on":
            if not session.turbo.wait():
                raise SystemExit(f"turbo did not compile the playground default: {session.turbo.note}")
            compile_s = session.turbo.swap_seconds
        for speeds, work in ((trained, session.run_epoch), (evaluated, lambda s=session: (s.run_epoch(), s.evaluate()))):
            epochs, began = 0, time.perf_counter()
            while time.perf_counter() - began < seconds:
                work()
                epochs += 1
            speeds[mode] = epochs / (time.perf_counter() - began)
    return trained, evaluated, compile_s


def compare(work: Workload, rounds: int, seconds: float, clock) -> tuple[float, float]:
    compiled, hand = pair(work)
    compiled.run(20)  # warm-up: first steps allocate Adam's state and fill caches
    hand.run(20)
    # Size a round from a short warm-up so each takes about `seconds`; both do the same steps.
    steps = max(5, round(min(compiled.run(50, clock), hand.run(50, clock)) * seconds))
    ours, theirs = [], []
    # Many short alternating rounds: load from other processes comes in bursts of a fraction of a
    # second, so with short rounds both models see the same conditions (long rounds swing +-10%).
    for _ in range(rounds):
        ours.append(compiled.run(steps, clock))
        theirs.append(hand.run(steps, clock))
    return statistics.median(ours), statistics.median(theirs), (compiled, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke run")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--no-turbo", action="store_true", help="leave out the turbo column (no compiling)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rounds, seconds = (40, 0.02) if args.quick else (250, 0.02)
    # On one thread, CPU time leaves out the moments other processes hold the core; with more
    # threads it would also count the idle workers' spinning, so those runs use the wall clock.
    clock, clock_name = (time.process_time, "CPU") if args.threads == 1 else (time.perf_counter, "wall-clock")

    print(f"torch {torch.__version__}, {args.threads} CPU thread(s), device cpu, batch {BATCH}, Adam")
    print(f"median of {rounds} alternating rounds of about {seconds * 1000:.0f} ms each, {clock_name} time\n")
    print(f"{'workload':<34}{'compiled steps/s':>18}{'hand-written steps/s':>22}{'compiled/hand':>15}"
          + ("" if args.no_turbo else f"{'turbo steps/s':>15}{'turbo/compiled':>16}  turbo"))
    worst = math.inf
    bounded = []  # why a model gains less than 3x from turbo, measured
    for work in WORKLOADS:
        ours, theirs, (trainee, steps) = compare(work, rounds, seconds, clock)
        worst = min(worst, ours / theirs)
        line = f"{work.name:<34}{ours:>18.0f}{theirs:>22.0f}{ours / theirs:>15.3f}"
        if not args.no_turbo:
            fast, how = turbo_speed(trainee, max(5, rounds // 4), steps, clock)
            line += f"{'-':>15}{'-':>16}  {how}" if fast is None else f"{fast:>15.0f}{fast / ours:>16.2f}  {how}"
            if fast is not None and fast / ours < 3:
                bounded.append((work.name, bound(trainee, steps)))
        print(line, flush=True)
    for name, why in bounded:
        print(f"{name}: {why}")
    if not args.no_turbo:
        trained, evaluated, compile_s = playground_default(2.0 if args.quick else 10.0)
        print(f"\nTF Playground's default problem, epochs/s: eager {trained['off']:.0f}, turbo {trained['on']:.0f} "
              f"(compiled in {compile_s:.0f} s); with both sets' loss and accuracy after each epoch: eager "
              f"{evaluated['off']:.0f}, turbo {evaluated['on']:.0f} (TF Playground's engine: about 2,952)")
        print(f"turbo speedup on playground default: {trained['on'] / trained['off']:.2f}")
    print(f"\nworst ratio: {worst:.3f}")


if __name__ == "__main__":
    main()
