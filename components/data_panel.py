"""Pick and shape the data: dataset, noise, split, features, regenerate, your own CSV, and a
preview of the points before training. Returns an edited data section or None."""

from __future__ import annotations

import json
import zlib
from typing import Any

import streamlit as st

from components import dataset_picker
from components.charts import preview
from components.layout import plain
from components.memo import remembered
from components.param_widgets import widget
from engine.data import DATASETS, check_data, make_dataset
from engine.data.planar import FEATURE_LABELS
from engine.data.table import SOURCES, check_upload, columns_of
from engine.data.uploads import STORE, digest
from engine.web import INLINE_CSV_BYTES, UPLOAD_MAX_BYTES, WEB_LIMITS

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


def show(data: dict[str, Any] | None, version: str, compact: bool = False) -> dict[str, Any] | None:
    """The data controls. `compact` (the Playground's data column): without the sample count and
    the preview, which `details` shows in a panel of their own (the output shows the points)."""
    data = dict(data or {"dataset": "circle"})
    key = f"data_{version}"
    name = data.get("dataset") if data.get("dataset") in DATASETS else "circle"
    clicked = dataset_picker.show(name, key="data_thumbnails")
    chosen = st.selectbox("Dataset", ORDER, index=ORDER.index(name), key=f"{key}_dataset",
                          format_func=lambda n: f"{_family(n)} · {n}", help=DATASETS[name].explain)
    chosen = clicked or chosen
    if chosen != name:
        return {"dataset": chosen, **{k: data[k] for k in ("noise", "train_fraction", "seed") if k in data}}
    kind = DATASETS[name]
    edited = dict(data)
    schema = kind.schema()
    columns: list[str] = []
    if name == "csv":
        source, columns = _upload(key, data)
        if source:
            edited = {**{k: v for k, v in data.items() if k not in SOURCES}, **source}
            if data.get("target") not in columns:
                edited["target"] = columns[-1]  # most tables end with what they describe
            return edited
        if awaiting_upload(data):  # its fields mean nothing yet, and its problems are only "no table"
            st.info(UPLOAD_FIRST)
            return None
        if columns:  # the uploader starts empty on each new version of the data: say what is loaded
            # a table's names are anybody's (a link carries it): text, never Markdown
            shown = plain(", ".join(columns[:8])) + (f" and {len(columns) - 8} more" if len(columns) > 8 else "")
            st.caption(f"In use: a table of {len(columns)} columns ({shown}); a new file replaces it.")
    for field, param in schema.items():
        if field in ("seed", *SOURCES) or (field == "n_samples" and (name == "csv" or compact)):
            continue
        current = data.get(field, None if param.required else kind.default_of(field))
        if field == "features":
            labels = [f"{FEATURE_LABELS[f]}" for f in param.choices]
            picked = st.pills("features", labels, selection_mode="multi", key=f"{key}_features",
                              default=[FEATURE_LABELS[f] for f in current], help=param.help)
            value = [f for f in param.choices if FEATURE_LABELS[f] in (picked or [])]
        elif field == "target" and columns:
            value = st.selectbox("target", columns, index=columns.index(current) if current in columns else
                                 len(columns) - 1, key=f"{key}_target", help=param.help)
        elif field in ("noise", "train_fraction"):
            label = {"noise": "noise", "train_fraction": "training share"}[field]
            value = st.slider(label, param.low, param.high, float(current), step=0.05,
                              key=f"{key}_{field}", help=param.help)
        else:
            value = widget(field, param, current, f"{key}_{field}")
        if value != current:
            edited[field] = value
    if st.button("Regenerate", key=f"{key}_regenerate", help="new random points (the next seed)"):
        edited["seed"] = int(data.get("seed", 0)) + 1
    if edited != data:
        return edited
    _checked(data, with_preview=not compact)
    return None


UPLOAD_FIRST = ("Upload a CSV file to train on: a header row, then one row per sample, numeric feature columns "
                "and a target column.")


def awaiting_upload(data: Any) -> bool:
    """Whether `data` is your own table before any was given."""
    return isinstance(data, dict) and data.get("dataset") == "csv" and not any(data.get(s) for s in SOURCES)


def _checked(data: dict[str, Any], with_preview: bool) -> None:
    """The section's problems, and (`with_preview`) a first look at its data."""
    checked = check_data(data, WEB_LIMITS)
    for problem in checked[2]:
        st.error(str(problem))
    if with_preview:
        _preview(data, *checked, key="data_preview")


def show_preview(data: Any, key: str = "data_preview") -> None:
    """A first look at the section's data, with its sample counts; nothing if it cannot be made."""
    _preview(data, *check_data(data, WEB_LIMITS), key=key)


def _preview(data: Any, config, info, problems: list, key: str) -> None:
    if config is None or problems:
        return
    dataset = make_dataset(config)
    figure = remembered("data_preview", json.dumps(data, sort_keys=True), lambda: preview(dataset))
    st.plotly_chart(figure, key=key, config={"displayModeBar": False})
    st.caption(f"{len(dataset.x_train)} training and {len(dataset.x_test)} test samples · "
               f"{info.task}" + (f" · {info.n_classes} classes" if info.n_classes else ""))


def _upload(key: str, data: dict[str, Any]) -> tuple[dict[str, str] | None, list[str]]:
    """The table a visitor uploads, as content: small ones travel in the experiment (and so in
    its link), larger ones are kept by the server under their SHA-256 once checked. Returns the
    new source fields (None: unchanged) and the table's columns."""
    file = st.file_uploader("CSV file", type=["csv"], key=f"{key}_upload", max_upload_size=max(1, UPLOAD_MAX_BYTES // 2**20),
                            help="a header row, numeric feature columns and a target column; "
                                 "small tables travel inside the link")
    # the uploader hands its file to every page run: only a file unlike the current table is news
    content = file.getvalue() if file is not None else None
    if content is None or digest(content) == _source_digest(data):
        return None, _columns(data)
    problems = check_upload(content) if len(content) <= UPLOAD_MAX_BYTES else [
        f"it is {len(content) / 2**20:.1f} MiB, over this server's limit of {UPLOAD_MAX_BYTES / 2**20:.0f} MiB"]
    if problems:  # nothing is kept of a file that cannot be used
        st.error(f"{file.name} cannot be used: {problems[0]}")
        return None, _columns(data)
    if len(content) <= 16 * INLINE_CSV_BYTES and len(zlib.compress(content)) <= INLINE_CSV_BYTES:
        return {"text": content.decode("utf-8-sig")}, columns_of(content)
    return {"sha256": STORE.put(content)}, columns_of(content)


def _source_digest(data: dict[str, Any]) -> str | None:
    """The SHA-256 of the table the data section holds as content, without reading the store."""
    if isinstance(data.get("sha256"), str):
        return data["sha256"]
    if isinstance(data.get("text"), str):
        return digest(data["text"].encode("utf-8"))
    return None


def _columns(data: dict[str, Any]) -> list[str]:
    """The header's names of the section's table (never a path's file), read once per table."""
    source = _source_digest(data)
    if source is None:
        return []

    def read() -> list[str]:
        content = data["text"].encode("utf-8") if isinstance(data.get("text"), str) else STORE.get(source)
        return columns_of(content) if content else []

    return remembered("data_columns", source, read)


def details(data: dict[str, Any] | None, version: str) -> dict[str, Any] | None:
    """The sample count and a preview of the data: returns an edited section or None."""
    data = dict(data or {"dataset": "circle"})
    name = data.get("dataset") if data.get("dataset") in DATASETS else "circle"
    kind = DATASETS[name]
    st.caption(kind.explain)
    schema = kind.schema()
    if "n_samples" in schema and name != "csv":
        current = data.get("n_samples", kind.default_of("n_samples"))
        value = widget("n_samples", schema["n_samples"], current, f"data_{version}_details_n_samples")
        if value != current:
            return {**data, "n_samples": value}
    _checked(data, with_preview=True)
    return None
