"""The graph editor's events, each applied with the engine's editing operations. Events come from a
visitor's browser: every field is checked before use, and anything malformed or impossible is
refused with a reason, never raised further."""

from __future__ import annotations

from typing import Any

from engine import edit
from engine.params import ParamError
from engine.spec import INPUT_ID, MAX_NODES

Model = dict[str, Any]


class Refused(Exception):
    """An edit that was not made; the message says why, for the canvas's notice."""


def apply(model: Model, event: dict) -> Model:
    """The model after `event` (add, insert, connect, delete, move, params, rename, output, paste,
    layout); raises Refused."""
    handler = HANDLERS.get(event.get("op"))
    if handler is None:
        raise Refused(f"unknown editor action {str(event.get('op'))[:40]!r}")
    try:
        return handler(model, event)
    except (edit.EditError, ParamError) as err:
        raise Refused(str(err)) from None
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise Refused(f"the editor sent a malformed {event.get('op')} ({type(err).__name__})") from None


def _text(event: dict, name: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value or len(value) > 200:
        raise Refused(f"the editor sent no usable '{name}'")
    return value


def _place(value: Any) -> list[float] | None:
    if isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) and abs(v) <= 1e6 for v in value):
        return [float(value[0]), float(value[1])]
    return None


def _at(model: Model, node_id: str, position: Any) -> Model:
    place = _place(position)
    return edit.set_layout(model, {node_id: place}) if place else model


def _add(model: Model, event: dict) -> Model:
    _room(model, 1)
    edited, node_id = edit.add_node(model, _text(event, "type"), inputs=[])
    return _at(edited, node_id, event.get("position"))


def _insert(model: Model, event: dict) -> Model:
    _room(model, 1)
    source, target = _wire(event.get("edge"))
    edited, _ = edit.insert_between(model, source, target, _text(event, "type"))
    return edited  # no position kept: the automatic layout puts it in line with the wire it joined


def _connect(model: Model, event: dict) -> Model:
    return edit.connect(model, _text(event, "source"), _text(event, "target"))


def _delete(model: Model, event: dict) -> Model:
    wires = event.get("edges") or []
    doomed = event.get("nodes") or []
    if not isinstance(wires, list) or not isinstance(doomed, list) or len(wires) + len(doomed) > 2 * MAX_NODES:
        raise Refused("the editor sent a malformed delete")
    if INPUT_ID in doomed:
        raise Refused("the input cannot be deleted: every model reads it")
    for wire in wires:
        model = edit.disconnect(model, *_wire(wire))
    for node_id in doomed:
        if not isinstance(node_id, str):
            raise Refused("the editor sent a malformed delete")
        model = edit.remove_node(model, node_id)
    return model


def _move(model: Model, event: dict) -> Model:
    positions = event.get("positions")
    if not isinstance(positions, dict) or len(positions) > MAX_NODES + 1:
        raise Refused("the editor sent malformed positions")
    return edit.set_layout(model, {str(k): v for k, v in positions.items()})


def _params(model: Model, event: dict) -> Model:
    params = event.get("params")
    if not isinstance(params, dict):
        raise Refused("the editor sent malformed parameters")
    return edit.set_params(model, _text(event, "id"), params)


def _rename(model: Model, event: dict) -> Model:
    return edit.rename_node(model, _text(event, "id"), _text(event, "to").strip())


def _output(model: Model, event: dict) -> Model:
    return edit.set_output(model, _text(event, "id"))


def _paste(model: Model, event: dict) -> Model:
    nodes = event.get("nodes")
    positions = event.get("positions") if isinstance(event.get("positions"), dict) else {}
    if not isinstance(nodes, list) or not nodes:
        raise Refused("nothing to paste")
    _room(model, len(nodes))
    placed = {str(k): p for k, v in positions.items() if (p := _place(v))}
    edited, _ = edit.paste_nodes(model, nodes, placed)
    return edited


def _layout(model: Model, event: dict) -> Model:
    return edit.set_layout(model, None)


def _wire(value: Any) -> tuple[str, str]:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) and v for v in value):
        return value[0], value[1]
    raise Refused("the editor sent a malformed edge")


def _room(model: Model, count: int) -> None:
    if len(model.get("nodes") or []) + count > MAX_NODES:
        raise Refused(f"the model would pass the limit of {MAX_NODES} nodes")


HANDLERS = {"add": _add, "insert": _insert, "connect": _connect, "delete": _delete, "move": _move,
            "params": _params, "rename": _rename, "output": _output, "paste": _paste, "layout": _layout}
