"""The export panel: code previews, binary exports, trained weights out and weights in."""

from __future__ import annotations

import io
import tempfile

import pytest
import torch
from safetensors.torch import save
from streamlit.runtime.caching.cache_resource_api import clear_session_cache
from streamlit.testing.v1 import AppTest

from components import session_files


def panel(trained: bool, preset: str = "mlp_xor"):
    import json
    import time

    import streamlit as st

    from components import export_panel
    from engine import load_experiment
    from engine.training.trainer import Trainer
    from tests.conftest import ROOT

    raw = json.loads((ROOT / "presets" / f"{st.session_state.get('preset', preset)}.json").read_text())
    experiment = load_experiment(raw)
    if "test_trainer" not in st.session_state:
        trainer = Trainer(experiment)
        if trained:
            trainer.step()  # one epoch, then paused
            while trainer.state != "paused":
                time.sleep(0.02)
        st.session_state.test_trainer = trainer
    export_panel.show(experiment, st.session_state.test_trainer, raw)


@pytest.fixture(autouse=True)
def close_trainers():
    """Each page here keeps a paused trainer: close them so no thread outlives its test."""
    opened: list[AppTest] = []
    original = AppTest.from_function

    def tracked(*args, **kwargs):
        app = original(*args, **kwargs)
        opened.append(app)
        return app

    AppTest.from_function = tracked
    yield
    AppTest.from_function = original
    for app in opened:
        if "test_trainer" in app.session_state:
            app.session_state["test_trainer"].close()


def test_the_script_preview_is_the_real_export_and_downloads():
    app = AppTest.from_function(panel, kwargs={"trained": False}, default_timeout=120).run()
    assert not app.exception and not app.error
    code = app.code[0].value
    assert "One hidden layer solves XOR" in code and "class Model(nn.Module):" in code
    compile(code, "preview.py", "exec")  # the preview is valid Python
    assert app.get("download_button")
    assert not app.checkbox  # nothing trained yet: no weights to include


def test_onnx_is_built_on_request():
    app = AppTest.from_function(panel, kwargs={"trained": False}, default_timeout=120).run()
    app.segmented_control(key="export_format").set_value("onnx").run()
    assert not app.get("download_button")
    app.button(key="export_build_onnx").click().run()
    assert not app.exception and not app.error
    import onnx

    _, (data, parts) = app.session_state["export_onnx_bytes"]
    model = onnx.load_from_string(data)
    onnx.checker.check_model(model)
    assert parts == {} and len(app.get("download_button")) == 1  # no generating part to offer alone


def test_a_gans_generator_is_offered_alone_beside_its_onnx_file():
    import onnx

    app = AppTest.from_function(panel, kwargs={"trained": False, "preset": "gan_ring"}, default_timeout=120).run()
    app.segmented_control(key="export_format").set_value("onnx").run()
    app.button(key="export_build_onnx").click().run()
    assert not app.exception and not app.error
    _, (_, parts) = app.session_state["export_onnx_bytes"]
    generator = onnx.load_from_string(parts["generator"])
    assert [d.dim_value for d in generator.graph.output[0].type.tensor_type.shape.dim][1:] == [2]  # a 2-D point
    assert len(app.get("download_button")) == 2


def test_a_built_file_is_not_offered_once_the_experiment_changed():
    app = AppTest.from_function(panel, kwargs={"trained": False}, default_timeout=120).run()
    app.segmented_control(key="export_format").set_value("onnx").run()
    app.button(key="export_build_onnx").click().run()
    assert len(app.get("download_button")) == 1
    app.session_state["preset"] = "perceptron"  # another model in the same tab
    app.run()
    assert not app.exception
    assert not app.get("download_button")  # the old model's file is gone: build again
    assert app.button(key="export_build_onnx")


def test_after_training_the_script_comes_with_the_trained_weights_under_its_own_name():
    app = AppTest.from_function(panel, kwargs={"trained": True}, default_timeout=120).run()
    assert not app.exception
    assert app.checkbox(key="export_with_weights").label == "with the trained weights (epoch 1)"
    (weights_button,) = [b for b in app.get("download_button") if "trained weights" in b.proto.label]
    weights = "one_hidden_layer_solves_xor.safetensors"  # named after the experiment's title, as the downloads are
    assert weights in weights_button.proto.help
    assert f"'{weights}'" in app.code[0].value  # the script loads the downloaded file by default


def test_weights_that_do_not_fit_are_refused_with_the_key_and_shapes():
    app = AppTest.from_function(panel, kwargs={"trained": True}, default_timeout=120).run()
    wrong = {"h1.weight": torch.zeros(5, 2), "h1.bias": torch.zeros(5)}
    app.file_uploader(key="export_weights").set_value(("w.safetensors", save(wrong), "application/octet-stream")).run()
    assert not app.exception
    assert "do not fit" in app.error[0].value and "'h1.weight' has shape [5, 2] but the model's is [4, 2]" in app.error[0].value


def test_fitting_weights_load_into_the_model():
    app = AppTest.from_function(panel, kwargs={"trained": True}, default_timeout=120).run()
    trainer = app.session_state["test_trainer"]
    state = {k: torch.full_like(v, 0.5) for k, v in trainer.session.model.state_dict().items()}
    buffer = io.BytesIO(save(state))
    app.file_uploader(key="export_weights").set_value(("w.safetensors", buffer.getvalue(), "application/octet-stream"))
    app.run()  # it loads, then runs the whole page again: the live view shows the loaded model
    assert not app.error and [c.value for c in app.caption if "is loaded" in c.value] == ["w.safetensors is loaded."]
    assert torch.all(trainer.session.model.state_dict()["h1.weight"] == 0.5)


def test_page_runs_write_into_one_session_folder_that_goes_when_the_tab_closes(tmp_path, monkeypatch):
    state, temporary = tmp_path / "state", tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setenv("NEUROLOOM_STATE_DIR", str(state))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    session_files.root.cache_clear()
    clear_session_cache("test session id")  # AppTest's one session: no folder of another test's page
    try:
        app = AppTest.from_function(panel, kwargs={"trained": True}, default_timeout=120).run()
        for _ in range(10):  # each run writes the weights and the previewed script again
            app.run()
        assert not app.exception
        (folder,) = state.iterdir()
        assert {"one_hidden_layer_solves_xor.py", "weights.safetensors"} <= {p.name for p in (folder / "export").iterdir()}
        assert not any(temporary.iterdir())  # no folder per page run left in the temporary folder
        clear_session_cache("test session id")  # the tab closes
        assert not any(state.iterdir())
    finally:
        session_files.root.cache_clear()
