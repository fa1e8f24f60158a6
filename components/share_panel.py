"""Share and keep: a Copy-link button for the link to this exact setup, the download of the
experiment file, and opening one. `show` returns an uploaded experiment to load, or None (a bad
upload shows its problems instead)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st
import streamlit.components.v1 as components

from components import workspace
from engine import SpecError
from engine.experiment import MAX_FILE_BYTES, parse_text
from engine.share import encode


def link(raw: dict[str, Any], flags: dict[str, str]) -> str:
    base = st.context.url or ""
    parts = urlsplit(base)
    query = urlencode({**flags, "e": encode(raw)})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


_copy_button = components.declare_component("copy_link", path=str(Path(__file__).with_name("copy_link_assets")))


def copy_button(raw: dict[str, Any], flags: dict[str, str]) -> None:
    """A button that copies the link to this exact setup to the clipboard, and says it did."""
    _copy_button(link=link(raw, flags), key="share_copy_link", default=None)


def download_button(raw: dict[str, Any], label: str = "Download") -> None:
    name = "_".join(re.findall(r"[a-z0-9]+", str(raw.get("title") or "").lower()))[:40] or "experiment"
    st.download_button(label, json.dumps(raw, indent=2), icon=":material/download:", file_name=f"{name}.json", mime="application/json",
                       key="share_download", help="the experiment as a file (.json) to keep or open later",
                       width="stretch")


def show(raw: dict[str, Any], version: str) -> dict[str, Any] | None:
    """Opening an experiment file (the link and the download are in the title bar)."""
    file = st.file_uploader("Open an experiment file", type=["json"], key=f"share_upload_{version}",
                            max_upload_size=MAX_FILE_BYTES // 2**20)
    if file is None:
        return None
    content = file.getvalue()
    if len(content) > MAX_FILE_BYTES:  # the uploader's limit is the browser's: a script can send more
        st.error(f"This file cannot be opened; your current work is kept.\n\n- file: {file.name} is "
                 f"{len(content) / 2**20:.1f} MiB, over the limit of {MAX_FILE_BYTES // 2**20} MiB")
        return None
    try:
        loaded = parse_text(content.decode("utf-8-sig", errors="replace"), file.name)
    except SpecError as err:
        st.error("This file cannot be opened; your current work is kept.\n\n" + _listed(err.lines()))
        return None
    _, problems = workspace.check(loaded)
    if not isinstance(loaded, dict) or any(p.section == "file" for p in problems):
        st.error("This is not a NeuroLoom experiment; your current work is kept.\n\n" + _listed(problems))
        return None
    if st.button(f"Load {file.name}" + (f" ({len(problems)} problems to fix)" if problems else ""), key=f"share_load_{version}"):
        return loaded
    return None


LISTED = 12  # problems listed under a refused file; the rest are counted


def _listed(problems: list) -> str:
    lines = [f"- {p}" for p in problems[:LISTED]]
    if len(problems) > LISTED:
        lines.append(f"- and {len(problems) - LISTED:,} more")
    return "\n".join(lines)
