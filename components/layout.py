"""The page's few layout rules that Streamlit has no setting for: less space above the first row
(the playground must fit one screen), tighter gaps between rows, a busy sign across the page's
top while it runs, and the presenting view's larger type. Selectors are Streamlit's own test ids, which it keeps stable across versions."""

from __future__ import annotations

import re

import streamlit as st

BASE = """
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem; padding-bottom: 2rem; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.55rem; }
[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]:has(> iframe[title$="copy_link"]) { margin: 0; }
/* a frame is inline: the line's descent below it put the Copy-link button 4 px above its row */
iframe[title$="copy_link"] { display: block; }
[data-testid="stMainBlockContainer"] [data-testid="stText"],
[data-testid="stMainBlockContainer"] [data-testid="stText"] * { white-space: nowrap !important; overflow: hidden; text-overflow: ellipsis; }
[data-testid="stMainBlockContainer"] [data-testid="stButtonGroup"] > div { flex-wrap: wrap; }
/* The page is busy (a run of it is under way): after 0.3 s, so quick runs do not flicker, a
   moving bar along the top and a progress cursor. A click meanwhile is kept and acted on. */
.stApp::before { content: ""; position: fixed; inset: 0 0 auto 0; height: 3px; z-index: 1000100; opacity: 0;
                 pointer-events: none; background: linear-gradient(90deg, transparent, #ff4b4b, transparent) no-repeat;
                 background-size: 40% 100%; transition: opacity 0.1s; }
.stApp[data-test-script-state="running"]::before { opacity: 1; transition: opacity 0.15s 0.3s;
                                                   animation: neuroloom-busy 1.1s linear infinite; }
.stApp[data-test-script-state="running"] { cursor: progress; }
@keyframes neuroloom-busy { from { background-position: -60% 0; } to { background-position: 160% 0; } }
"""
PRESENT = """
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 2rem; padding-right: 2rem; }
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] label,
[data-testid="stMainBlockContainer"] button { font-size: 1.25rem !important; }
"""


def style(present: bool) -> None:
    st.html(f"<style>{BASE}{PRESENT if present else ''}</style>")


def shortened(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis: the title bar is one line."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


MARKDOWN_SIGNS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """`text` to show as it is in an element that reads Markdown (a caption): every sign that
    could make a link, an image, emphasis or math is escaped."""
    return MARKDOWN_SIGNS.sub(r"\\\1", text)
