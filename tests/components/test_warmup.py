"""The server's warm-up draws the default experiment's first pictures without a page, and a
failure in it is logged, never raised."""

from __future__ import annotations

import logging

from components import warmup


def test_the_warm_up_draws_the_default_pictures(caplog):
    with caplog.at_level(logging.INFO, logger=warmup.__name__):
        warmup.warm()
    assert any(r.message.startswith("warmed up in") for r in caplog.records), caplog.text


def test_a_failing_warm_up_is_logged_and_the_server_goes_on(caplog, monkeypatch, tmp_path):
    monkeypatch.setattr(warmup, "PRESET", tmp_path / "missing.json")
    with caplog.at_level(logging.INFO, logger=warmup.__name__):
        warmup.warm()  # does not raise
    assert "warming up failed" in caplog.text and "warmed up in" not in caplog.text
