"""Links and uploaded files are anybody's: the page opens no path they name, shows their text as
text, bounds what they would build, and runs a valid experiment that has no training section."""

from __future__ import annotations

import base64
import copy
import json
import zlib

import pytest

from engine.share import encode
from engine.training.trainer import PAUSED
from tests.components.harness import by_key, failure, start
from tests.components.test_app import PLAYGROUND, open_page, open_run_page, tiny, trainer, wait_until
from tests.components.test_share_presets import share_page, upload

SECRET = "DB_PASSWORD=hunter2-very-secret"


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "server-secret.csv"
    path.write_text(f"user,{SECRET}\n" + "".join(f"alice{i},{i}\n" for i in range(30)))
    return path


def csv_experiment(path) -> dict:
    raw = copy.deepcopy(PLAYGROUND)
    raw["data"] = {"dataset": "csv", "path": str(path), "target": "x"}
    return raw


def everything_shown(app) -> str:
    """Every text the page put on screen (errors, captions, markdown, code, charts' JSON)."""
    parts = [str(e.value) for kind in ("error", "warning", "info", "caption", "markdown", "text", "code")
             for e in getattr(app, kind)]
    parts += [json.dumps(c.proto.spec) if hasattr(c.proto, "spec") else str(c.proto) for c in app.get("plotly_chart")]
    return "\n".join(parts)


def test_a_link_with_a_path_shows_one_data_line_and_reads_nothing(secret_file):
    app = open_page(e=encode(csv_experiment(secret_file)))
    shown = everything_shown(app)
    assert "this experiment reads a file from the computer it was made on" in shown
    assert SECRET not in shown and "alice" not in shown and "hunter2" not in shown
    assert by_key(app.button, "run_train").disabled


def test_a_path_to_a_missing_file_says_exactly_the_same(secret_file, tmp_path):
    present = open_page(e=encode(csv_experiment(secret_file)))
    missing = open_page(e=encode(csv_experiment(tmp_path / "nothing-here.csv")))
    folder = open_page(e=encode(csv_experiment(tmp_path)))

    def data_lines(app):
        return sorted(e.value for e in app.error if "data" in e.value) + \
            sorted(w.value for w in app.warning if "data:" in w.value)

    assert data_lines(present) == data_lines(missing) == data_lines(folder) != []


def test_an_uploaded_experiment_with_a_path_reads_nothing(secret_file):
    app = start(share_page, {})
    upload(app, "shared.json", json.dumps(csv_experiment(secret_file)).encode())
    shown = everything_shown(app)
    assert SECRET not in shown
    assert "1 problems to fix" in app.button[-1].label or "problem" in app.button[-1].label


def headlines(app) -> list[str]:
    """The title bar's texts in full: a long one is cut to one line, the whole of it on hover."""
    return [t.proto.help or t.value for t in app.text]


@pytest.mark.parametrize("text", [
    "![](http://127.0.0.1:9/pixel.png)",
    "[click me](http://example.invalid/)",
    "<img src=x onerror=alert(1)>",
    "**bold** _italic_ `code` $x^2$ :smile:",
])
def test_titles_and_descriptions_are_plain_text(text):
    raw = {**copy.deepcopy(PLAYGROUND), "title": text, "description": text}
    app = open_page(e=encode(raw))
    assert f"{text} · {text}" in headlines(app)
    assert not any(text in m.value for m in app.markdown)


def test_an_experiment_without_training_trains_with_the_defaults():
    raw = {k: v for k, v in copy.deepcopy(PLAYGROUND).items() if k != "training"}
    app = open_page(e=encode(raw))
    assert not app.exception and not app.error
    assert not by_key(app.button, "run_train").disabled


def test_a_link_asking_for_16_gb_is_refused_before_anything_is_built():
    raw = copy.deepcopy(PLAYGROUND)
    raw["data"] = {"dataset": "circle", "n_samples": 200000}
    raw["model"]["nodes"] = [{"id": "wide", "type": "Linear", "params": {"out_features": 1000000}},
                             {"id": "out", "type": "Linear", "params": {"out_features": 1}}]
    raw["model"].pop("output", None)
    app = open_page(e=encode(raw))
    assert by_key(app.button, "run_train").disabled
    assert any("over the limit of 2.0 GiB" in w.value for w in app.warning), [w.value for w in app.warning]


def test_a_link_with_a_lone_surrogate_opens_the_default_with_one_message():
    raw = json.loads('{"format": "neuroloom/1", "title": "\\ud800"}')
    app = open_page(e=encode(raw))
    assert not app.exception
    assert any("lone surrogate" in e.value for e in app.error)


def test_a_short_link_nested_100000_deep_opens_the_default_with_one_message():
    deep = base64.urlsafe_b64encode(zlib.compress(b"[" * 100_000 + b"]" * 100_000, 9)).decode().rstrip("=")
    assert len(deep) < 1000  # it fits any address bar
    app = open_page(e=deep)
    assert not app.exception, app.exception
    assert [e.value for e in app.error] == ["The link could not be opened (file: the link's experiment is nested too "
                                            "deeply to be an experiment); showing the default experiment instead."]
    assert not by_key(app.button, "run_train").disabled


def test_a_link_with_a_size_past_64_bits_names_the_node():
    raw = copy.deepcopy(PLAYGROUND)
    raw["model"] = {"input": {"shape": [4], "dtype": "long"},
                    "nodes": [{"id": "emb", "type": "Embedding", "params": {"num_embeddings": 10**19, "embedding_dim": 8}},
                              {"id": "flat", "type": "Flatten"}, {"id": "out", "type": "Linear", "params": {"out_features": 1}}]}
    app = open_page(e=encode(raw))
    assert not app.exception, app.exception
    assert by_key(app.button, "run_train").disabled
    warning = " ".join(w.value for w in app.warning)
    assert "node 'emb'" in warning and "\n" not in warning and "frame" not in warning.lower(), warning


def test_a_server_for_a_class_can_turn_tensorboard_logs_off(monkeypatch):
    import components.run_panel

    def run_tab():
        app = open_page()
        app.session_state["app_panel"] = "Run"  # the toggle is in the Run tab, drawn only when open
        return app.run()

    assert any(t.key == "run_tensorboard" for t in run_tab().toggle)
    monkeypatch.setattr(components.run_panel, "TENSORBOARD", False)
    assert not any(t.key == "run_tensorboard" for t in run_tab().toggle)


def test_a_presets_blurb_shows_only_while_the_preset_is_unchanged():
    blurb = f"{PLAYGROUND['title']} · {PLAYGROUND['description']}"
    assert blurb in headlines(open_page())
    edited = copy.deepcopy(PLAYGROUND)
    edited["model"]["nodes"][1]["type"] = "ReLU"  # the blurb speaks of tanh layers
    texts = headlines(open_page(e=encode(edited)))
    assert f"Edited from “{PLAYGROUND['title']}”" in texts and blurb not in texts


def test_a_page_whose_untrained_pictures_are_too_dear_to_draw_still_opens_and_trains(monkeypatch):
    from engine.training import remote

    monkeypatch.setattr(remote, "UNTRAINED_PICTURE_MACS", 0)
    app = open_run_page(tiny(epochs=2))
    assert list(trainer(app).last_snapshot().visuals) == ["skipped"]  # the page drew what it could without them
    app.button(key="run_step").click().run()
    wait_until(app, lambda s: s.state == PAUSED and s.visuals and "boundary" in s.visuals)  # the process draws them
    assert not app.exception, failure(app)
