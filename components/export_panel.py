"""Take the work away: preview and download the experiment as a PyTorch or DDP script, ONNX,
a torch.export program or the normalized spec; after training, with the trained weights; load
weights (safetensors) into the current model. Owns the session keys `export_*`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import streamlit as st

from components import session_files
from engine import Experiment, SpecError
from engine.export import FORMATS, SUFFIX, companion, export
from engine.training.trainer import PAUSED, RUNNING, WAITING

LABELS = {"pytorch": "PyTorch script", "ddp": "torchrun (DDP) script", "onnx": "ONNX", "pt2": "torch.export (pt2)",
          "spec": "experiment (spec)"}
PREVIEWED = {"pytorch": "python", "ddp": "python", "spec": "json"}
MIME = {"pytorch": "text/x-python", "ddp": "text/x-python", "spec": "application/json"}
GENERATING_PARTS = {"generator": "the GAN's generator: noise in, a generated sample out",
                    "decoder": "the variational autoencoder's decoder: a code in, a sample out"}


def _folder() -> Path:
    return session_files.folder("export")  # this tab's, removed when the tab closes


def _weights_file(trainer) -> Path:
    from safetensors.torch import save_file

    path = _folder() / "weights.safetensors"
    save_file({k: v.contiguous() for k, v in trainer.weights().items()}, str(path))
    return path


def _build(experiment: Experiment, to: str, weights: Path | None, name: str) -> tuple[bytes, dict[str, bytes]]:
    """The export's bytes, and for ONNX of a generative model its generating part's, by part.
    Scripts are written as `name` so that they look for the downloaded weights under the name
    they are downloaded with."""
    out = _folder() / f"{name}{SUFFIX[to]}"
    parts = {part: companion(out, part) for part in GENERATING_PARTS}
    for path in parts.values():  # an earlier experiment's, under the same name
        path.unlink(missing_ok=True)
    data = export(experiment, to, out, weights=weights).read_bytes()
    return data, {part: path.read_bytes() for part, path in parts.items() if to == "onnx" and path.exists()}


def _file_name(raw: dict[str, Any]) -> str:
    """A file name from the experiment's title: letters, digits and underscores."""
    words = re.findall(r"[A-Za-z0-9]+", raw.get("title") or "")
    return "_".join(words).lower()[:40] or "experiment"


def show(experiment: Experiment | None, trainer, raw: dict[str, Any]) -> None:
    """`trainer`: this tab's trainer of the current experiment (trained or not), else None."""
    if experiment is None:
        st.info("Fix the experiment's problems to export it.")
        return
    to = st.segmented_control("format", FORMATS, format_func=LABELS.get, default="pytorch", key="export_format") \
        or "pytorch"
    with_weights = False
    epoch = trainer.snapshot(visuals=False).epoch if trainer is not None else 0
    if epoch > 0:
        with_weights = st.checkbox(f"with the trained weights (epoch {epoch})", value=True,
                                   key="export_with_weights", disabled=to == "spec")
    weights = _weights_file(trainer) if with_weights and to != "spec" else None
    name = _file_name(raw)
    # a built file belongs to this experiment and these weights: after any change, build again
    built_for = (json.dumps(raw, sort_keys=True), epoch if weights else None)
    try:
        if to in PREVIEWED:
            data, _ = _build(experiment, to, weights, name)
            st.code(data.decode(), language=PREVIEWED[to], line_numbers=to != "spec", height=360)
        else:
            if st.button(f"Build the {LABELS[to]} file", key=f"export_build_{to}"):
                with st.spinner(f"Exporting to {LABELS[to]}…"):
                    st.session_state[f"export_{to}_bytes"] = (built_for, _build(experiment, to, weights, name))
            kept_for, (data, parts) = st.session_state.get(f"export_{to}_bytes") or (None, (None, {}))
            if kept_for != built_for:
                data, parts = None, {}
    except SpecError as err:
        st.error("This export cannot be made:\n\n" + "\n".join(f"- {line}" for line in err.lines()))
        return
    if data is not None:
        st.download_button(f"Download {LABELS[to]} ({len(data) / 1024:.1f} KiB)", data, key=f"export_download_{to}",
                           file_name=f"{name}{SUFFIX[to]}", mime=MIME.get(to, "application/octet-stream"))
        for part, part_data in (parts if to not in PREVIEWED else {}).items():
            st.download_button(f"Download the {part} alone ({LABELS[to]}, {len(part_data) / 1024:.1f} KiB)", part_data,
                               key=f"export_download_{to}_{part}", file_name=companion(Path(f"{name}{SUFFIX[to]}"), part).name,
                               help=GENERATING_PARTS[part], mime="application/octet-stream")
    if weights is not None:
        st.download_button("Download the trained weights (.safetensors)", weights.read_bytes(),
                           file_name=f"{name}.safetensors", key="export_download_weights",
                           help=f"the script loads {name}.safetensors from its own folder; "
                                "run it with --weights '' to start from fresh weights")
    _upload_weights(trainer)


def _upload_weights(trainer) -> None:
    file = st.file_uploader("Load weights into the model (.safetensors)", type=["safetensors"], key="export_weights")
    if file is None:
        return
    if st.session_state.get("export_weights_loaded") == file.file_id:
        st.caption(f"{file.name} is loaded.")
        return  # load each file once, not on every rerun
    target = trainer
    if target is None or target.state in (RUNNING, WAITING):
        st.warning("Pause training before loading weights (or wait until the model is valid).")
        return
    path = _folder() / "uploaded.safetensors"
    path.write_bytes(file.getvalue())
    try:
        target.load_weights(path)
    except SpecError as err:
        st.error("These weights do not fit the model; nothing was changed.\n\n"
                 + "\n".join(f"- {line}" for line in err.lines()))
        return
    st.session_state.export_weights_loaded = file.file_id
    st.toast(f"Loaded {file.name}: training {'resumes' if target.state == PAUSED else 'starts'} from these weights.")
    st.rerun()  # the whole page, not just this panel: the live view shows the loaded model
