"""The presets gallery: cards grouped by family, each with a thumbnail of its architecture and
its data, a search box, and one click to load the whole experiment (undoable, like any edit).
Owns the session keys `gallery_*`."""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from components.charts import point_colours
from components.graph_view import FAMILY_COLOURS, layout
from engine import analyze
from engine.data import check_data, make_dataset
from engine.expect import FAMILIES
from engine.registry import REGISTRY
from engine.spec import INPUT_ID

PRESETS = Path(__file__).resolve().parent.parent / "presets"
FAMILY_TITLES = {"basics": "Basics", "vision": "Vision", "sequences": "Sequences", "attention": "Attention",
                 "generative": "Generative models", "tricks": "Tricks of the trade"}


# The order a learner meets the presets in, within each family: a card may say "load the next
# preset" (a perceptron fails on XOR; one hidden layer fixes it). Presets not named here follow,
# by file name.
LESSONS = ("perceptron", "perceptron_xor", "mlp_xor", "playground", "spiral", "spiral_deep", "multiclass_spiral",
           "regression_plane", "regression_bumps",
           "cnn_digits", "autoencoder_digits",
           "rnn_sine", "lstm_sine", "gru_sine", "gru_parity",
           "transformer_reverse",
           "vae_digits", "gan_ring",
           "vanishing_sigmoid", "deep_relu", "residual_mlp", "spiral_features")


def presets(folder: Path = PRESETS) -> list[tuple[str, dict]]:
    """(file stem, experiment) of every readable preset, in the order of `LESSONS`."""
    found = []
    lesson = {stem: i for i, stem in enumerate(LESSONS)}
    for path in sorted(folder.glob("*.json"), key=lambda p: (lesson.get(p.stem, len(LESSONS)), p.stem)):
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # a broken file is the preset tests' business, not the gallery's
        if isinstance(raw, dict):
            found.append((path.stem, raw))
    return found


def matches(raw: dict, query: str) -> bool:
    """Every word of the query appears in the title, description, family, dataset or layer types."""
    model = raw.get("model") or {}
    text = " ".join([raw.get("title", ""), raw.get("description", ""), raw.get("family", ""),
                     str((raw.get("data") or {}).get("dataset", "")),
                     *(str(n.get("type", "")) for n in model.get("nodes", []) if isinstance(n, dict))]).lower()
    return all(word in text for word in query.lower().split())


@lru_cache(maxsize=64)
def thumbnail(text: str) -> go.Figure:
    """Architecture (boxes coloured by family, left to right) beside a glimpse of the data."""
    raw = json.loads(text)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.04)
    analysis = analyze(raw.get("model"))
    if analysis.spec is not None:
        positions = layout(analysis.graph)
        for a, b in analysis.graph.edges:
            if a in positions and b in positions:
                fig.add_trace(go.Scatter(x=[positions[a][0], positions[b][0]], y=[positions[a][1], positions[b][1]],
                                         mode="lines", line={"color": "#b0b0b0", "width": 1}), row=1, col=1)
        ids = list(positions)
        colours = [FAMILY_COLOURS["input" if n == INPUT_ID else REGISTRY[analysis.graph.nodes[n]["type"]].group]
                   if n == INPUT_ID or analysis.graph.nodes[n]["type"] in REGISTRY else "#999999" for n in ids]
        fig.add_trace(go.Scatter(x=[positions[n][0] for n in ids], y=[positions[n][1] for n in ids], mode="markers",
                                 marker={"symbol": "square", "size": 9, "color": colours}), row=1, col=1)
    _data_glimpse(fig, raw.get("data"))
    fig.update_xaxes(visible=False).update_yaxes(visible=False)
    return fig.update_layout(height=90, margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False,
                             plot_bgcolor="rgba(0,0,0,0)")


def _data_glimpse(fig: go.Figure, data: dict | None) -> None:
    config, info, problems = check_data(data)
    if config is None or problems or info.kind == "table":
        return
    dataset = make_dataset(config)
    if info.kind == "planar":
        points, labels = dataset.points_train[:150], dataset.y_train.numpy()[:150]
        fig.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers",
                                 marker={"size": 3, **point_colours(labels, info.is_classification, info.n_classes)}),
                      row=1, col=2)
    elif info.kind == "image":
        strip = np.concatenate([dataset.x_train[i, 0].numpy()[::-1] for i in range(3)], axis=1)
        fig.add_trace(go.Heatmap(z=strip, colorscale="Greys", showscale=False), row=1, col=2)
    elif info.kind == "series":
        fig.add_trace(go.Scatter(y=dataset.y_train.numpy()[:120], mode="lines", line={"color": "#0877BD"}), row=1, col=2)
    else:
        tokens = dataset.x_train[:4].numpy()
        fig.add_trace(go.Heatmap(z=tokens[::-1], colorscale="Viridis", showscale=False), row=1, col=2)


def _closed() -> None:
    st.session_state.gallery_visible = False


@st.dialog("Presets gallery", width="large", on_dismiss=_closed)
def _browse() -> None:
    query = st.text_input("Search", placeholder="e.g. lstm, xor, vanishing, digits", key="gallery_query")
    found = [(stem, raw) for stem, raw in presets() if matches(raw, query)]
    if not found:
        st.info(f"No preset matches “{query}”.")
    for family in (*FAMILIES, None):
        members = [(stem, raw) for stem, raw in found if raw.get("family") == family or
                   (family is None and raw.get("family") not in FAMILIES)]
        if not members:
            continue
        st.subheader(FAMILY_TITLES.get(family, "Other"))
        columns = st.columns(2)
        for i, (stem, raw) in enumerate(members):
            with columns[i % 2].container(border=True):
                st.markdown(f"**{raw.get('title') or stem}**")
                st.plotly_chart(thumbnail(json.dumps(raw, sort_keys=True)), key=f"gallery_thumb_{stem}",
                                config={"staticPlot": True})
                st.caption(raw.get("description", ""))
                if st.button("Load", key=f"gallery_load_{stem}", type="primary", on_click=_load, args=(raw,)):
                    st.session_state.gallery_visible = False
                    st.rerun()  # the one way to close a dialog from inside it


def _load(raw: dict) -> None:
    """Load's callback: the choice is there before the next page run starts, so a click that
    follows at once (Train) already meets the new experiment."""
    st.session_state.gallery_choice = raw


def show(label: str = "Presets gallery") -> None:
    """The button that opens the gallery; what the user picks there, `chosen` gives."""
    if st.button(label, icon=":material/collections_bookmark:", key="gallery_open", width="stretch"):
        st.session_state.gallery_visible = True
    if st.session_state.get("gallery_visible"):  # stays open across reruns until closed or used
        _browse()


OFFERED = 3  # presets offered for data the current model cannot take


@cache
def _by_dataset() -> dict[str, list[tuple[str, dict]]]:
    """The presets by the dataset they train on, read once (offers are drawn on every page run)."""
    found: dict[str, list[tuple[str, dict]]] = {}
    for stem, raw in presets():
        found.setdefault((raw.get("data") or {}).get("dataset"), []).append((stem, raw))
    return found


def offer_for(dataset: Any) -> None:
    """Buttons that open the presets made for `dataset` (a dataset's name): the way on for a
    learner whose model cannot take the data just picked (images or sequences into a small MLP)."""
    for stem, raw in _by_dataset().get(dataset, [])[:OFFERED]:
        st.button(f"Open the preset “{raw.get('title') or stem}”", key=f"gallery_offer_{stem}", on_click=_load,
                  args=(raw,), icon=":material/collections_bookmark:")


def chosen() -> dict | None:
    """The experiment picked in the gallery since the last call, once."""
    return st.session_state.pop("gallery_choice", None)
