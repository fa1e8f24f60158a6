"""House rules that keep the project's shape: the engine never imports Streamlit."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT


def test_engine_source_never_imports_streamlit():
    offenders = []
    for path in (ROOT / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "streamlit"]
    assert offenders == []


def test_importing_the_engine_loads_no_streamlit():
    code = "import sys, engine, engine.cli, engine.edit, engine.summary; print('streamlit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_every_layer_type_is_documented():
    from engine.registry import REGISTRY

    docs = (ROOT / "docs" / "experiment-format.md").read_text()
    assert [name for name in REGISTRY if f"`{name}`" not in docs] == []
