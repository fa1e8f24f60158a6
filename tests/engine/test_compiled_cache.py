"""A server's compiled code (turbo's inductor cache) lives in its state folder, reaches its
workers, and is emptied past its bound; an operator's own folder is left alone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from engine.training import compiled_cache
from tests.conftest import ROOT


def fill(folder: Path, files: int, size: int) -> None:
    (folder / "fxgraph" / "ab").mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (folder / "fxgraph" / "ab" / f"entry{i}").write_bytes(b"x" * size)


def test_the_folder_it_chose_is_emptied_past_its_bound_and_kept_below(tmp_path, monkeypatch):
    monkeypatch.delenv(compiled_cache.VARIABLE, raising=False)
    monkeypatch.setattr(compiled_cache, "_ours", [])
    monkeypatch.setattr(compiled_cache, "state_dir", lambda: tmp_path)
    folder = compiled_cache.keep_in_state_folder()
    assert folder == tmp_path / "compiled" and os.environ[compiled_cache.VARIABLE] == str(folder)
    fill(folder, 4, 1000)
    assert not compiled_cache.bound(most=4000) and len(list(folder.rglob("entry*"))) == 4
    fill(folder, 5, 1000)
    assert compiled_cache.bound(most=4000)
    assert not folder.exists() and list(tmp_path.iterdir()) == []  # nothing left aside either


def test_an_operators_own_folder_is_kept_whatever_it_holds(tmp_path, monkeypatch):
    theirs = tmp_path / "theirs"
    monkeypatch.setenv(compiled_cache.VARIABLE, str(theirs))
    monkeypatch.setattr(compiled_cache, "_ours", [])
    assert compiled_cache.keep_in_state_folder() == theirs
    fill(theirs, 3, 1000)
    assert not compiled_cache.bound(most=10) and len(list(theirs.rglob("entry*"))) == 3


WORKER_ENVIRONMENT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from engine import load_experiment
    from engine.training.remote import RemoteTrainer
    from tests.conftest import experiment
    raw = experiment([{"id": "out", "type": "Linear", "params": {"out_features": 1}}],
                     data={"dataset": "circle", "n_samples": 40}, training={"epochs": 1000, "loss": "bce"})
    trainer = RemoteTrainer(load_experiment(raw), device="cpu")
    trainer.start()
    try:
        pid = trainer._process.pid
        environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\\0")
        print([e.decode() for e in environment if e.startswith(b"TORCHINDUCTOR_CACHE_DIR=")])
    finally:
        trainer.close()
""")


def test_a_servers_workers_compile_into_its_state_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != compiled_cache.VARIABLE} | {"NEUROLOOM_STATE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", WORKER_ENVIRONMENT], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str([f"TORCHINDUCTOR_CACHE_DIR={tmp_path.resolve() / 'compiled'}"])
