"""Share and keep: the link to this exact setup, download and upload of experiment files.
Returns an uploaded experiment to load, or None (a bad upload shows its problems instead)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from components import workspace
from engine import SpecError
from engine.experiment import MAX_FILE_BYTES, parse_text
from engine.share import encode


def link(raw: dict[str, Any], flags: dict[str, str]) -> str:
    base = st.context.url or ""
    parts = urlsplit(base)
    query = urlencode({**flags, "e": encode(raw)})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def show(raw: dict[str, Any], flags: dict[str, str], version: str) -> dict[str, Any] | None:
    st.caption("Copy link (the whole setup is in it):")
    st.code(link(raw, flags), language=None, wrap_lines=True)
    name = "_".join(re.findall(r"[a-z0-9]+", str(raw.get("title") or "").lower()))[:40] or "experiment"
    st.download_button("Download experiment (.json)", json.dumps(raw, indent=2), file_name=f"{name}.json",
                       mime="application/json", key="share_download")
    file = st.file_uploader("Open an experiment file", type=["json"], key=f"share_upload_{version}",
                            max_upload_size=MAX_FILE_BYTES // 2**20)
    if file is None:
        return None
    try:
        loaded = parse_text(file.getvalue().decode("utf-8-sig", errors="replace"), file.name)
    except SpecError as err:
        st.error("This file cannot be opened; your current work is kept.\n\n" + "\n".join(f"- {p}" for p in err.lines()))
        return None
    _, problems = workspace.check(loaded)
    if not isinstance(loaded, dict) or any(p.section == "file" for p in problems):
        st.error("This is not a NeuroLoom experiment; your current work is kept.\n\n"
                 + "\n".join(f"- {p}" for p in problems))
        return None
    if st.button(f"Load {file.name}" + (f" ({len(problems)} problems to fix)" if problems else ""), key=f"share_load_{version}"):
        return loaded
    return None
