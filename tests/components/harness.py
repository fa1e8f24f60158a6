"""Helpers for the component AppTests: run one component in `AppTest.from_function`, read the
plotly figures it drew, and fake the few browser events AppTest has no API for."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import numpy as np
from streamlit.testing.v1 import AppTest

TIMEOUT = 30


def page(script, *args: Any, **kwargs: Any) -> AppTest:
    """Run `script` once as a page (its arguments are passed as they are: the page runs in this
    process)."""
    return AppTest.from_function(script, args=args, kwargs=kwargs, default_timeout=TIMEOUT).run()


def start(script, *args: Any, **kwargs: Any) -> AppTest:
    """`page`, checking that the first run raised nothing."""
    app = page(script, *args, **kwargs)
    assert not app.exception, failure(app)
    return app


def app_on_tab(tab: str) -> AppTest:
    """The whole app (app.py) with one of the tabs below the playground open."""
    from tests.conftest import ROOT

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    app.session_state["app_panel"] = tab
    app.run()
    assert not app.exception, app.exception
    return app


def failure(app: AppTest) -> str:
    """The page's exceptions, with their tracebacks, for assertion messages."""
    return "\n".join(f"{e.message}\n{''.join(e.stack_trace[-6:])}" for e in app.exception)


def by_key(widgets, prefix: str, suffix: str = ""):
    """The one widget whose key starts with `prefix` and ends with `suffix` (components put a
    version in their keys)."""
    found = [w for w in widgets if (w.key or "").startswith(prefix) and (w.key or "").endswith(suffix)]
    assert len(found) == 1, (prefix, suffix, [w.key for w in widgets])
    return found[0]


def figures(app: AppTest) -> dict[str, dict]:
    """Every plotly chart on the page as its figure dict, by key, numpy payloads decoded. The
    figures that the live charts' frame `<prefix>_charts` was sent in this run are named
    `<prefix>_<chart>`, its loss curve `<prefix>_curves`."""
    drawn = {chart.key: _decode(json.loads(chart.proto.spec)) for chart in app.get("plotly_chart")}
    for frame in live_frames(app):
        prefix = frame.key.removesuffix("_charts")
        drawn.update({f"{prefix}_{c['name']}": _decode(c["figure"]) for c in framed(app, frame.key) if "figure" in c})
        curve = (reading(app, frame.key) or {}).get("curve")
        if curve is not None:
            drawn[f"{prefix}_curves"] = curve
    return drawn


def live_frames(app: AppTest) -> list:
    return [c for c in app.get("component_instance") if c.proto.component_name.endswith("live_charts")]


def thumbnails(app: AppTest) -> dict[str, dict]:
    """The dataset pickers on the page, by key: what each was sent (cells, selected)."""
    return {c.key: json.loads(c.proto.json_args) for c in app.get("component_instance")
            if c.proto.component_name.endswith("dataset_picker")}


def pick_thumbnail(app: AppTest, key: str, name: str) -> AppTest:
    """Rerun as if the user had clicked the thumbnail `name` of the picker `key`: the value that
    the picker's frame sets."""
    assert key in thumbnails(app), (key, list(thumbnails(app)))
    app.session_state[key] = name
    return app.run()


def _frame_args(app: AppTest, key: str) -> dict:
    frame = next(f for f in app.get("component_instance") if f.key == key)
    return json.loads(frame.proto.json_args)


def framed(app: AppTest, key: str) -> list[dict]:
    """What the live charts' frame `key` was sent in this run: one entry per chart (name,
    version, caption, options, and the figure when it is new to the frame)."""
    return _frame_args(app, key)["charts"]


def reading(app: AppTest, key: str) -> dict | None:
    """The run's reading (numbers, caption, curve) that the live charts' frame `key` was sent."""
    return _frame_args(app, key).get("reading")


def _readings(app: AppTest) -> list[dict]:
    return [r for f in live_frames(app) if (r := reading(app, f.key))]


def _decode(value: Any) -> Any:
    """plotly sends numpy arrays as {"dtype", "bdata", "shape"}; turn them back into arrays."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            shape = value.get("shape")
            if shape:
                array = array.reshape([int(s) for s in str(shape).split(",")])
            return array
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def metrics(app: AppTest) -> dict[str, str]:
    """Streamlit's metrics and the live frame's numbers, label -> value."""
    shown = {m.label: m.value for m in app.metric}
    for sent in _readings(app):
        shown.update(dict(sent["numbers"]))
    return shown


def texts(app: AppTest) -> str:
    """All markdown and captions on the page (with the live frame's), one per line."""
    return "\n".join([m.value for m in app.markdown] + [c.value for c in app.caption]
                     + [sent["caption"] for sent in _readings(app)])



def run_when(app: AppTest, trainer, condition, timeout: float) -> object:
    """Poll the trainer that `trainer(app)` finds until `condition(snapshot)` holds, then run the
    page again; the snapshot."""
    deadline = time.monotonic() + timeout
    while not condition(snapshot := trainer(app).snapshot(visuals=False)):
        assert time.monotonic() < deadline, f"gave up waiting; the trainer is {snapshot.state} at epoch {snapshot.epoch}"
        time.sleep(0.01)
    app.run()
    assert not app.exception, failure(app)
    return snapshot
