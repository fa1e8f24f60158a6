"""Pictures of what the model has learned, computed from a session on demand: the decision
boundary and each small layer's neurons over the 2-D plane, the confusion matrix, the forecast
against the truth, and per-layer weight and gradient statistics."""

from __future__ import annotations

import numpy as np
import torch

from engine.compile import node_values
from engine.data.planar import features
from engine.training.metrics import confusion
from engine.training.session import Session

BOUNDARY_SIZE = 100  # the decision-boundary grid is BOUNDARY_SIZE x BOUNDARY_SIZE
NEURON_SIZE = 24  # neuron pictures are coarser: many small images
MAX_NEURONS = 64  # layers wider than this get no neuron pictures (the quick MLP's widest layer)


def plane_grid(domain: tuple[float, float], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates along one axis and every (x1, x2) point of the square grid, row by row."""
    axis = np.linspace(domain[0], domain[1], size)
    x1, x2 = np.meshgrid(axis, axis)  # rows follow x2, columns follow x1
    return axis, np.stack([x1.ravel(), x2.ravel()], 1)


def boundary(session: Session) -> dict | None:
    """The model's output over the plane: P(positive) for one output, the winning class and its
    probability for several classes, the value for regression."""
    info = session.data.info
    if info.kind != "planar":
        return None
    axis, points = plane_grid(info.domain, BOUNDARY_SIZE)
    x = torch.from_numpy(features(points, info.features)).to(session.device)
    judge = session.adversarial.discriminator if session.adversarial else session.trained  # a GAN: P(real)
    with torch.no_grad():
        session.model.eval()
        scores = session.objective.scores(judge(x)).float().cpu()
        session.model.train()
    shape = (BOUNDARY_SIZE, BOUNDARY_SIZE)
    result = {"axis": axis.tolist(), "task": info.task}
    if not info.is_classification or scores.shape[-1] == 1:
        result["value"] = scores.reshape(shape).numpy()
    else:
        probability, winner = scores.max(-1)
        result["class"] = winner.reshape(shape).numpy()
        result["confidence"] = probability.reshape(shape).numpy()
        if scores.shape[-1] == 2:
            result["value"] = scores[:, 1].reshape(shape).numpy()
    return result


def neurons(session: Session) -> dict[str, np.ndarray] | None:
    """For 2-D data: each small 1-D layer's outputs over a coarse grid, node id -> (units, H, W)."""
    info = session.data.info
    if info.kind != "planar":
        return None
    shapes = session.experiment.analysis.nodes
    watched = [
        node_id
        for node_id in session.experiment.analysis.order
        if node_id in shapes and node_id != "input"
        and len(shapes[node_id].output_shape) == 1 and shapes[node_id].output_shape[0] <= MAX_NEURONS
    ]
    if len(watched) > 24:
        return None
    _, points = plane_grid(info.domain, NEURON_SIZE)
    x = torch.from_numpy(features(points, info.features)).to(session.device)
    ids = watched
    probe = getattr(session, "neuron_probe", None)
    if probe is None or probe[0] != ids:
        session.neuron_probe = probe = (ids, node_values(session.model, ids))
    with torch.no_grad():
        session.model.eval()
        outputs = probe[1](x)
        session.model.train()
    return {node_id: out.detach().float().cpu().T.reshape(-1, NEURON_SIZE, NEURON_SIZE).numpy()
            for node_id, out in zip(ids, outputs, strict=True)}


def confusion_matrix(session: Session) -> list[list[int]] | None:
    info = session.data.info
    if not info.is_classification:
        return None
    with torch.no_grad():
        session.model.eval()
        predicted = session.objective.predict(session.outputs(session.x_test))
        session.model.train()
    return confusion(predicted.cpu(), session.data.y_test, info.n_classes)


def forecast(session: Session) -> dict | None:
    """For series: the model's one-step predictions on the test windows next to the truth."""
    if session.data.info.kind != "series":
        return None
    with torch.no_grad():
        session.model.eval()
        predicted = session.outputs(session.x_test).reshape(-1).float().cpu()
        session.model.train()
    time = session.data.extra["time"][session.data.extra["test_index"]]
    return {"time": time.tolist(), "truth": session.data.y_test.tolist(), "predicted": predicted.tolist()}


def samples(session: Session, count: int = 10) -> dict | None:
    """For images: the first test images with the model's answer (a label, or the reconstruction
    for autoencoders) beside the truth."""
    info = session.data.info
    if info.kind != "image":
        return None
    images = session.x_test[:count]
    with torch.no_grad():
        session.model.eval()
        out = session.trained(images)
        session.model.train()
    result = {"images": images[:, 0].float().cpu().numpy()}
    if info.is_classification:
        result["predicted"] = session.objective.predict(out).cpu().tolist()
        result["truth"] = session.data.y_test[:count].tolist()
    else:
        result["reconstructed"] = session.objective.scores(out).reshape(images.shape)[:, 0].float().cpu().numpy()
    return result


GENERATED_IN_PLANE = 200  # a 2-D GAN's generated points drawn over the real ones


def generated(session: Session, count: int = 10) -> dict | None:
    """What a GAN's generator draws from the same noise each time: images, or for points in the
    plane `GENERATED_IN_PLANE` of them, drawn over the real points (the game made visible)."""
    info = session.data.info
    if info.kind not in ("image", "planar"):
        return None
    session.model.eval()
    drawn = session.adversarial.generate(GENERATED_IN_PLANE if info.kind == "planar" else count).float().cpu()
    session.model.train()
    if info.kind == "planar":
        return {"points": to_plane(drawn.reshape(len(drawn), -1).numpy(), info.features), "label": "generated"}
    return {"images": drawn.reshape(len(drawn), -1, *drawn.shape[-2:])[:, 0].numpy(), "label": "generated"}


def two_columns(samples: np.ndarray) -> np.ndarray:
    """The first two numbers of each sample (a zero second one for one-number samples)."""
    return np.pad(samples[:, :2], ((0, 0), (0, max(0, 2 - samples.shape[1]))))


def to_plane(samples: np.ndarray, names) -> np.ndarray:
    """Generated feature vectors as points of the plane (where the features hold x1 and x2)."""
    probe = features(np.array([[1.0, 0.0], [0.0, 1.0]]), names)  # each feature's scale along x1 and x2
    columns = [list(names).index(n) for n in ("x1", "x2") if n in names]
    if len(columns) < 2:
        return two_columns(samples)
    scale = np.array([probe[0, columns[0]], probe[1, columns[1]]])
    return samples[:, columns] / scale


def layer_stats(session: Session) -> dict[str, dict]:
    """Per node with weights: the latest gradient norm and the weights' mean, std and largest |w|."""
    stats = {}
    for node_id, module in session.model.named_children():
        params = [p for p in module.parameters()]
        if not params:
            continue
        flat = torch.cat([p.detach().reshape(-1) for p in params]).float()
        grads = [p.grad.detach().reshape(-1) for p in params if p.grad is not None]
        stats[node_id] = {
            "grad_norm": float(torch.cat(grads).float().norm()) if grads else None,
            "weight_mean": float(flat.mean()),
            "weight_std": float(flat.std()) if flat.numel() > 1 else 0.0,
            "weight_max_abs": float(flat.abs().max()),
        }
    return stats


def weights_of(session: Session, limit: int = MAX_NEURONS) -> dict[str, np.ndarray]:
    """Small Linear layers' weight matrices (out x in), for drawing links by sign and size."""
    out = {}
    for node_id, module in session.model.named_children():
        weight = getattr(module, "weight", None)
        if isinstance(module, torch.nn.Linear) and max(weight.shape) <= limit:
            out[node_id] = weight.detach().float().cpu().numpy().copy()
    return out


def all_visuals(session: Session) -> dict:
    if session.adversarial is not None:  # its model reads noise: no neuron picture, matrix or answers to inputs
        return {"boundary": boundary(session), "neurons": None, "confusion": None, "forecast": None,
                "samples": generated(session), "layers": layer_stats(session), "weights": weights_of(session)}
    return {
        "boundary": boundary(session),
        "neurons": neurons(session),
        "confusion": confusion_matrix(session),
        "forecast": forecast(session),
        "samples": samples(session),
        "layers": layer_stats(session),
        "weights": weights_of(session),
    }
