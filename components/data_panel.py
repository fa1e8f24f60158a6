"""Pick and shape the data: dataset, noise, split, features, regenerate, your own CSV, and a
preview of the points before training. Returns an edited data section or None."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from components.charts import preview
from components.memo import remembered
from components.param_widgets import widget
from engine.data import DATASETS, check_data, make_dataset
from engine.data.planar import FEATURE_LABELS

FAMILIES = {
    "2-D classes": ("circle", "xor", "gaussian", "spiral", "moons", "blobs", "spiral_multi"),
    "2-D regression": ("plane", "multi_gaussian"),
    "images": ("digits",),
    "sequences": ("sine", "parity", "reverse"),
    "your data": ("csv",),
}
ORDER = [name for names in FAMILIES.values() for name in names]


def _family(name: str) -> str:
    return next(f for f, names in FAMILIES.items() if name in names)


def show(data: dict[str, Any] | None, version: str) -> dict[str, Any] | None:
    data = dict(data or {"dataset": "circle"})
    key = f"data_{version}"
    name = data.get("dataset") if data.get("dataset") in DATASETS else "circle"
    chosen = st.selectbox("Dataset", ORDER, index=ORDER.index(name), key=f"{key}_dataset",
                          format_func=lambda n: f"{_family(n)} · {n}", help=DATASETS[name].explain)
    if chosen != name:
        return {"dataset": chosen, **{k: data[k] for k in ("noise", "train_fraction", "seed") if k in data}}
    kind = DATASETS[name]
    st.caption(kind.explain)
    edited = dict(data)
    schema = kind.schema()
    if name == "csv":
        uploaded = _upload(key)
        if uploaded:
            edited["path"] = uploaded
    for field, param in schema.items():
        if field in ("seed", "path") or (field == "n_samples" and name == "csv"):
            continue
        current = data.get(field, None if param.required else kind.default_of(field))
        if field == "features":
            labels = [f"{FEATURE_LABELS[f]}" for f in param.choices]
            picked = st.pills("features", labels, selection_mode="multi", key=f"{key}_features",
                              default=[FEATURE_LABELS[f] for f in current], help=param.help)
            value = [f for f in param.choices if FEATURE_LABELS[f] in (picked or [])]
        elif field in ("noise", "train_fraction"):
            value = st.slider(field.replace("_", " "), param.low, param.high, float(current), step=0.05,
                              key=f"{key}_{field}", help=param.help)
        else:
            value = widget(field, param, current, f"{key}_{field}")
        if value != current:
            edited[field] = value
    if st.button("Regenerate", key=f"{key}_regenerate", help="new random points (the next seed)"):
        edited["seed"] = int(data.get("seed", 0)) + 1
    if edited != data:
        return edited
    config, info, problems = check_data(data)
    for problem in problems:
        st.error(str(problem))
    if config is not None:
        dataset = make_dataset(config)
        figure = remembered("data_preview", json.dumps(data, sort_keys=True), lambda: preview(dataset))
        st.plotly_chart(figure, key="data_preview", config={"displayModeBar": False})
        st.caption(f"{len(dataset.x_train)} training and {len(dataset.x_test)} test samples · "
                   f"{info.task}" + (f" · {info.n_classes} classes" if info.n_classes else ""))
    return None


def _upload(key: str) -> str | None:
    file = st.file_uploader("CSV file", type=["csv"], key=f"{key}_upload",
                            help="a header row, numeric feature columns and a target column")
    if file is None:
        return None
    folder = st.session_state.setdefault("data_upload_dir", tempfile.mkdtemp(prefix="neuroloom-"))
    path = Path(folder) / Path(file.name).name
    path.write_bytes(file.getvalue())
    return str(path)
