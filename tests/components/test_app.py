"""The page as Streamlit runs it (AppTest runs the real script, no browser)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def test_app_loads_a_preset_and_shows_its_summary():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not app.exception
    assert app.title[0].value == "NeuroLoom"
    assert app.selectbox[0].label == "Preset"
    assert [m.label for m in app.metric][:2] == ["Parameters", "Multiply-adds per sample"]
    assert app.metric[0].value == "105"


def test_preset_with_problems_shows_them_instead_of_crashing(tmp_path, monkeypatch):
    from components import preset_picker

    bad = tmp_path / "broken.json"
    bad.write_text(
        '{"format": "neuroloom/1", "model": {"input": {"shape": [2]}, "nodes": [{"id": "h", "type": "Dense"}]}}'
    )
    monkeypatch.setattr(preset_picker, "PRESETS", tmp_path)

    def page():
        from components import preset_picker

        preset_picker.show()

    app = AppTest.from_function(page, default_timeout=60).run()
    assert not app.exception
    assert "node 'h': unknown layer type 'Dense'" in app.error[0].value
