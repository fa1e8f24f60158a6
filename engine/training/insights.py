"""Views inside a model while it trains, computed in the training process from the engine's own
model, only for the view a person has open: each layer's outputs as histograms, a convolution's
filters and feature maps (and pooling's input and output), attention weights per head, a recurrent
layer's hidden state over time (and an LSTM's gates), and a 2-D bottleneck's latent plane with
points decoded from it. Each returns a small dict of arrays, drawn by the page."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from engine.compile import node_values, tail_from
from engine.data.planar import features
from engine.training.session import Session
from engine.training.visuals import generated, plane_grid, to_plane, two_columns

VIEWS = {
    "activations": "Activations per layer",
    "convolution": "Convolution filters and feature maps",
    "attention": "Attention weights",
    "recurrent": "Recurrent state over time",
    "latent": "Latent space",
    "generated": "Real and generated",
}
CONVOLUTIONS = ("Conv1d", "Conv2d")
POOLS = ("MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d")
ATTENTION = ("MultiheadSelfAttention", "TransformerEncoderLayer")
RECURRENT = ("RNN", "LSTM", "GRU")
SATURATING = {"Tanh": 0.97, "Sigmoid": None, "Softmax": None}  # |y| near 1 (tanh); near 0 or 1 (sigmoid)
BINS = 30
MAX_LAYERS = 24  # histograms drawn at most
MAX_MAPS = 16  # filters and feature maps shown per layer
MAX_POOLED = 4  # channels shown of a pooling's input and output
# pictures are sent every second while training: a map wider or taller than this is sampled at
# every k-th pixel, and a recurrent layer shows its first units (a link sets both sizes: 16 maps
# of 1,400 x 1,400 were 600 MB of figure)
MAX_SIDE = 64
MAX_UNITS = 64
BATCH = 256  # test samples whose outputs make the histograms
LATENT_POINTS = 500
LATENT_GRID = 8  # decoded points per side of the latent grid
GENERATED_POINTS = 400  # real and generated points drawn (2-D data)
GENERATED_IMAGES = 16
SURFACE_SIZE = 40  # the discriminator's surface: points per side
# Attention weights are drawn for the first positions only (as queries and as keys) and the first
# heads: the whole matrix grows with steps² x heads, which a link sets (15,000 steps took 1.8 GB,
# 3,000 a 50 MB figure re-sent every second), and past these no heatmap cell can be read anyway.
ATTENTION_POSITIONS = 64
ATTENTION_HEADS = 8


def available(experiment) -> dict[str, list[str]]:
    """The views this model has, each with the nodes it can show (the first is the default)."""
    analysis = experiment.analysis
    types = {node.id: node.type for node in experiment.model.nodes}
    views = {"activations": [n for n in analysis.order if n in types]}
    if experiment.gan:  # its input is noise: the views that read a test sample do not apply
        return {"generated": [experiment.gan], **views}
    for view, kinds in (("convolution", CONVOLUTIONS), ("attention", ATTENTION), ("recurrent", RECURRENT)):
        nodes = [n for n in analysis.order if types.get(n) in kinds]
        if nodes:
            views[view] = nodes
    output = experiment.model.output
    latent = [n for n in analysis.order if n in types and n != output and n in analysis.nodes
              and tuple(analysis.nodes[n].output_shape) == (2,)]
    if latent:  # a variational autoencoder's sampled code first: the decoder reads from it
        views["latent"] = sorted(latent, key=lambda n: types[n] != "Sample")
    return views


def compute(session: Session, view: str, node: str | None = None, sample: int = 0) -> dict | None:
    """The view's arrays for `node` (default: the view's first) and test sample `sample`; None
    when this model has no such view."""
    nodes = available(session.experiment).get(view)
    if not nodes:
        return None
    node = node if node in nodes else nodes[0]
    sample = min(max(int(sample), 0), len(session.x_test) - 1)
    session.model.eval()
    try:
        with torch.no_grad():
            result = VIEW_FUNCTIONS[view](session, node, sample)
    finally:
        session.model.train()
    return {"view": view, "node": node, "nodes": nodes, "sample": sample, **result}


def _values(session: Session, ids: list[str], x: torch.Tensor) -> list[torch.Tensor]:
    """The outputs of nodes `ids` for input `x` (a view of the model sharing its weights; kept)."""
    probes = session.__dict__.setdefault("insight_probes", {})
    key = tuple(ids)
    if key not in probes:
        probes.clear()  # one view is open at a time
        probes[key] = node_values(session.model, list(ids))
    return list(probes[key](x))


def _input_of(session: Session, node: str) -> str:
    predecessors = list(session.experiment.analysis.graph.predecessors(node))
    return predecessors[0] if predecessors else "input"


def _value_of(session: Session, node: str, x: torch.Tensor) -> torch.Tensor:
    return x if node == "input" else _values(session, [node], x)[0]


def _activations(session: Session, node: str, sample: int) -> dict:
    types = {n.id: n.type for n in session.experiment.model.nodes}
    ids = available(session.experiment)["activations"][:MAX_LAYERS]
    layers = []
    inputs = session.adversarial.eval_noise if session.adversarial else session.x_test  # a GAN reads noise
    for node_id, out in zip(ids, _values(session, ids, inputs[:BATCH]), strict=True):
        values = out.detach().float().reshape(-1).cpu().numpy()
        values = values[np.isfinite(values)]
        if not values.size:
            continue
        low, high = float(values.min()), float(values.max())
        if high - low < 1e-6 * max(1.0, abs(low)):  # one value (a saturated layer): a bin around it
            low, high = low - 0.5, high + 0.5
        counts, edges = np.histogram(values, bins=BINS, range=(low, high))
        layers.append({"id": node_id, "type": types[node_id], "counts": counts, "edges": edges,
                       "zero": float(np.mean(values == 0)), "saturated": _saturated(types[node_id], values)})
    return {"layers": layers}


def _saturated(kind: str, values: np.ndarray) -> float | None:
    """The share of outputs where a squashing activation is flat (its slope under ~6% of its peak)."""
    if kind == "Tanh":
        return float(np.mean(np.abs(values) > 0.97))
    if kind == "Sigmoid":
        return float(np.mean((values < 0.03) | (values > 0.97)))
    return None


def _as_images(array: torch.Tensor) -> np.ndarray:
    """(channels, ...) as (channels, H, W): a 1-D signal becomes one row; a side past MAX_SIDE
    is sampled at every k-th pixel."""
    array = array.detach().float()
    images = array.unsqueeze(1) if array.dim() == 2 else array
    height, width = images.shape[-2:]
    return images[..., ::-(-height // MAX_SIDE), ::-(-width // MAX_SIDE)].cpu().numpy()


def _convolution(session: Session, node: str, sample: int) -> dict:
    module = getattr(session.model, node)
    weight = module.weight.detach()
    # one picture per filter: its only input channel, or the mean over several
    filters = weight[:MAX_MAPS, 0] if weight.shape[1] == 1 else weight[:MAX_MAPS].mean(dim=1)
    x = session.x_test[sample: sample + 1]
    types = {m.id: m.type for m in session.experiment.model.nodes}
    pools = [n for n in session.experiment.analysis.order if types.get(n) in POOLS]
    pool_inputs = [_input_of(session, p) for p in pools]
    wanted = list(dict.fromkeys([node, *[i for i in pool_inputs if i != "input"], *pools]))
    outputs = dict(zip(wanted, _values(session, wanted, x), strict=True))
    outputs["input"] = x
    image = x[0].float().cpu()
    return {"filters": _as_images(filters), "maps": _as_images(outputs[node][0][:MAX_MAPS]),
            "image": _as_images(image)[0] if image.dim() >= 2 else None,
            "pooling": [{"id": p, "input": _as_images(outputs[i][0][:MAX_POOLED]), "output": _as_images(outputs[p][0][:MAX_POOLED])}
                        for p, i in zip(pools, pool_inputs, strict=True)]}


def _tokens(session: Session, sample: int, steps: int, shown: int) -> list[str]:
    """Labels of the first `shown` of `steps` positions: the token ids where the model reads one id
    per position, else t0, t1, ..."""
    x = session.x_test[sample]
    if x.dtype == torch.long and x.numel() == steps:
        return [str(int(t)) for t in x.reshape(-1)[:shown]]
    return [f"t{i}" for i in range(shown)]


def _attention(session: Session, node: str, sample: int) -> dict:
    module = getattr(session.model, node)
    h = _value_of(session, _input_of(session, node), session.x_test[sample: sample + 1])
    if isinstance(module, torch.nn.TransformerEncoderLayer):
        attention = module.self_attn
        h = module.norm1(h) if module.norm_first else h
    else:
        attention = module.attn
    steps = h.shape[1]
    shown = min(steps, ATTENTION_POSITIONS)
    return {"weights": _attention_weights(attention, h[0], shown).float().cpu().numpy(),
            "tokens": _tokens(session, sample, steps, shown), "steps": steps, "heads": attention.num_heads}


def _attention_weights(attention: torch.nn.MultiheadAttention, h: torch.Tensor, shown: int) -> torch.Tensor:
    """The weights the first `shown` positions give the first `shown` positions in each of the first
    ATTENTION_HEADS heads, as `attention(h, h, h, need_weights=True)` computes them. A row's softmax
    is over every key, so in a longer sequence it sums to the share the positions shown take.
    One head's scores at a time: `shown` x steps numbers, never steps x steps. (The registry builds
    the attention with its projections packed in one matrix and no extra key bias.)"""
    size = attention.head_dim
    heads = min(attention.num_heads, ATTENTION_HEADS)
    used = heads * size  # the drawn heads' columns of the projections
    query_weight, key_weight, _ = attention.in_proj_weight.chunk(3)
    query_bias = key_bias = None
    if attention.in_proj_bias is not None:
        query_bias, key_bias, _ = (b[:used] for b in attention.in_proj_bias.chunk(3))
    queries = F.linear(h[:shown], query_weight[:used], query_bias)
    queries = queries * math.sqrt(1.0 / size)  # scaled as torch scales them
    keys = F.linear(h, key_weight[:used], key_bias)
    rows = []
    for head in range(heads):
        part = slice(head * size, (head + 1) * size)
        scores = queries[:, part] @ keys[:, part].T
        rows.append(scores.softmax(dim=-1)[:, :shown])
    return torch.stack(rows)


def _recurrent(session: Session, node: str, sample: int) -> dict:
    rnn = getattr(session.model, node).rnn
    x = _value_of(session, _input_of(session, node), session.x_test[sample: sample + 1]).float()
    out, _ = rnn(x)
    result = {"states": out[0, :, :MAX_UNITS].T.float().cpu().numpy(), "signal": x[0, :, 0].cpu().numpy()}
    if isinstance(rnn, torch.nn.LSTM) and rnn.num_layers == 1:
        result["gates"] = _lstm_gates(rnn, x[0], out[0, :, : rnn.hidden_size])
    return result


def _lstm_gates(lstm: torch.nn.LSTM, x: torch.Tensor, hidden: torch.Tensor) -> dict[str, np.ndarray]:
    """The first layer's (forward) gates at each step, averaged over units: how much it lets in,
    keeps and puts out. PyTorch orders them input, forget, cell, output."""
    previous = torch.cat([torch.zeros_like(hidden[:1]), hidden[:-1]])
    pre = x @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + previous @ lstm.weight_hh_l0.T + lstm.bias_hh_l0
    i, f, _, o = pre.chunk(4, dim=1)
    return {name: torch.sigmoid(g).mean(dim=1).cpu().numpy() for name, g in (("input", i), ("forget", f), ("output", o))}


def _latent(session: Session, node: str, sample: int) -> dict:
    x = session.x_test[:LATENT_POINTS]
    codes = _values(session, [node], x)[0].float().cpu().numpy()
    labels = session.data.extra.get("labels_test")
    if labels is None and session.data.info.is_classification:
        labels = session.data.y_test
    result = {"codes": codes, "labels": None if labels is None else np.asarray(labels[:LATENT_POINTS])}
    decoder = tail_from(session.model, node)
    if decoder is not None:
        low, high = codes.min(axis=0), codes.max(axis=0)
        axes = [np.linspace(low[d], high[d], LATENT_GRID) for d in range(2)]
        grid = np.array([(a, b) for b in axes[1][::-1] for a in axes[0]], dtype=np.float32)
        decoded = session.objective.scores(decoder(torch.from_numpy(grid).to(session.device))).float().cpu()
        if decoded.dim() == 4:  # images (points, channels, H, W): the first channel
            result["grid"] = {"axes": [a.tolist() for a in axes], "images": decoded[:, 0].numpy()}
    return result


def _generated(session: Session, node: str, sample: int) -> dict:
    """A GAN's generated samples beside real ones: on 2-D data, points over the discriminator's
    surface (its P(real)); for images, a grid of generated images; else their first two numbers."""
    adversarial, info = session.adversarial, session.data.info
    if info.kind == "image":
        return {"images": generated(session, GENERATED_IMAGES)["images"]}
    fake = adversarial.generate(GENERATED_POINTS).float().cpu()
    fake = fake.reshape(len(fake), -1).numpy()
    if info.kind != "planar":
        real = session.x_test[:GENERATED_POINTS].float().cpu()
        return {"real": two_columns(real.reshape(len(real), -1).numpy()), "generated": two_columns(fake)}
    axis, grid = plane_grid(info.domain, SURFACE_SIZE)
    judged = adversarial.discriminator(torch.from_numpy(features(grid, info.features)).to(session.device))
    return {"real": np.asarray(session.data.points_test[:GENERATED_POINTS], dtype=np.float32),
            "generated": to_plane(fake, info.features),
            "surface": {"axis": axis.tolist(),
                        "real": session.objective.scores(judged).float().cpu().reshape(SURFACE_SIZE, SURFACE_SIZE).numpy()}}


VIEW_FUNCTIONS = {"activations": _activations, "convolution": _convolution, "attention": _attention,
                  "recurrent": _recurrent, "latent": _latent, "generated": _generated}
