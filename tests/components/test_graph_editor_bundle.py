"""The graph editor's built bundle (committed, so `make run` needs no Node) must be built from the
sources beside it: the build records a fingerprint of them in dist/source-hash.txt, recomputed
here the way frontend/hash-sources.mjs computes it."""

from __future__ import annotations

import hashlib
import os
import re

from tests.conftest import ROOT

FRONTEND = ROOT / "components" / "graph_editor" / "frontend"
DIST = FRONTEND / "dist"
TOP_FILES = ["index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json"]


def _files_under(folder: str) -> list[str]:
    # As readdirSync's Dirent.isDirectory(): a link is listed as a file, never followed.
    paths = []
    with os.scandir(FRONTEND / folder) as entries:
        for entry in entries:
            path = f"{folder}/{entry.name}"
            paths.extend(_files_under(path) if entry.is_dir(follow_symlinks=False) else [path])
    return paths


def source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(TOP_FILES + _files_under("src")):
        digest.update(path.encode("utf-8") + b"\0")
        digest.update((FRONTEND / path).read_bytes() + b"\0")
    return digest.hexdigest()


def test_the_bundle_was_built_from_the_current_sources():
    recorded = (DIST / "source-hash.txt").read_text().strip()
    assert source_hash() == recorded, (
        "components/graph_editor/frontend/dist is older than its sources: run `make frontend` and commit dist/"
    )


def test_the_page_loads_built_files_that_exist():
    page = (DIST / "index.html").read_text()
    scripts = re.findall(r'<script[^>]*\bsrc="([^"]+\.js)"', page)
    sheets = re.findall(r'<link[^>]*\bhref="([^"]+\.css)"', page)
    assert scripts, "dist/index.html loads no built script: run `make frontend`"
    for ref in scripts + sheets:
        # Streamlit serves the folder under a sub-path, so the build writes relative URLs.
        assert ref.startswith("./assets/"), ref
        assert (DIST / ref).is_file(), f"dist/index.html loads {ref}, which is not in dist/: run `make frontend`"
