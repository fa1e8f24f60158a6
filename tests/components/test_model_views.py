"""The model views, each run alone as a page: the summary, the diagram, the parameter widgets,
the palette, the inspector, the quick MLP controls and the builder that wires them."""

from __future__ import annotations

import copy
import json

import pytest

from engine import analyze
from engine.data import DATASETS
from engine.edit import change_type, insert_node, move_node, remove_node, rename_node, set_params
from engine.mlp import MAX_LAYERS, read_stack
from engine.params import AnyInt, Bool, Choice, Float, Int, NameList
from engine.registry import REGISTRY, fmt
from engine.shapes import human_bytes
from engine.training.config import FIELDS
from tests.components.harness import failure, start, texts
from tests.conftest import MLP, ROOT

CNN = json.loads((ROOT / "presets" / "cnn_digits.json").read_text())["model"]
PLAYGROUND = json.loads((ROOT / "presets" / "playground.json").read_text())["model"]


def with_conv(model: dict) -> dict:
    """The MLP with a Conv2d after a1: a 1-D input cannot be convolved, so conv has a problem."""
    model, _ = insert_node(model, "a1", "Conv2d")
    return model


# -- model_summary ---------------------------------------------------------------------------


def summary_page(model):
    from components import model_summary
    from engine import analyze

    model_summary.show(analyze(model))


@pytest.mark.parametrize("model", [MLP["model"], CNN], ids=["mlp", "cnn"])
def test_the_summary_has_one_row_per_node_and_the_engines_totals(model):
    app = start(summary_page, model)
    analysis = analyze(model)
    table = app.dataframe[0].value
    assert list(table["node"]) == ["input", *(n["id"] for n in model["nodes"])]
    for _, row in table.iterrows():
        info = analysis.nodes[row["node"]]
        assert (row["type"], row["output shape"], row["params"], row["MACs"]) == (
            info.type, fmt(info.output_shape), info.params, info.macs)
    shown = {m.label: m.value for m in app.metric}
    assert shown == {
        "Parameters": f"{analysis.total_params:,}",
        "Multiply-adds per sample": f"{analysis.total_macs:,}",
        "Activations, batch 32": human_bytes(analysis.activation_bytes(32)),
    }
    assert analysis.total_params > 0 and analysis.total_macs > 0


def test_the_summary_marks_nodes_it_could_not_compute():
    model = with_conv(copy.deepcopy(MLP["model"]))
    analysis = analyze(model)
    app = start(summary_page, model)
    table = app.dataframe[0].value.set_index("node")
    conv = next(n["id"] for n in model["nodes"] if n["type"] == "Conv2d")
    assert conv not in analysis.nodes
    assert table.loc[conv, "output shape"] == "?" and table.loc[conv, "type"] == "Conv2d"
    assert table.loc["h1", "params"] == analysis.nodes["h1"].params
    assert app.metric[0].value == f"{analysis.total_params:,}"


def test_the_summary_draws_nothing_for_a_model_that_does_not_parse():
    app = start(summary_page, {"nodes": "not a list"})
    assert not app.dataframe and not app.metric


# -- graph_view ------------------------------------------------------------------------------


def node_trace(model, selected) -> dict:
    from components import graph_view

    figure = graph_view.figure(analyze(model), selected).to_plotly_json()
    (trace,) = [t for t in figure["data"] if t.get("mode") == "markers+text"]
    return trace


def test_the_diagram_draws_one_marker_per_node_and_the_selected_one_bigger():
    model = MLP["model"]
    trace = node_trace(model, "h2")
    ids = ["input", *(n["id"] for n in model["nodes"])]
    assert sorted(trace["customdata"]) == sorted(ids)
    assert len(trace["x"]) == len(trace["y"]) == len(trace["marker"]["color"]) == len(ids)
    sizes = dict(zip(trace["customdata"], trace["marker"]["size"], strict=True))
    assert sizes["h2"] > max(s for n, s in sizes.items() if n != "h2")
    analysis = analyze(model)
    for node, text in zip(trace["customdata"], trace["text"], strict=True):
        assert f"<b>{node}</b>" in text and fmt(analysis.nodes[node].output_shape) in text
    xs = dict(zip(trace["customdata"], trace["x"], strict=True))
    assert xs["input"] < xs["h1"] < xs["a1"] < xs["h2"] < xs["out"]  # left to right along the chain


def test_a_node_with_a_problem_is_red_with_its_message():
    from components.graph_view import PROBLEM

    model = with_conv(copy.deepcopy(MLP["model"]))
    conv = next(n["id"] for n in model["nodes"] if n["type"] == "Conv2d")
    (problem, *_) = analyze(model).problems_of(conv)
    trace = node_trace(model, None)
    colours = dict(zip(trace["customdata"], trace["marker"]["color"], strict=True))
    assert colours[conv] == PROBLEM
    assert [n for n, c in colours.items() if c == PROBLEM] == [conv]
    labels = dict(zip(trace["customdata"], trace["text"], strict=True))
    assert "⚠ " + problem.message[:40] in labels[conv]
    hovers = dict(zip(trace["customdata"], trace["hovertext"], strict=True))
    assert problem.message in hovers[conv]


# -- param_widgets ---------------------------------------------------------------------------


def widgets_page(fields):
    import streamlit as st

    from components.param_widgets import widget

    st.session_state.values = {key: widget(name, param, value, key) for key, name, param, value in fields}


def schema_fields() -> list[tuple[str, str, object, object]]:
    """(key, name, param, starting value) of every layer, dataset and training parameter."""
    fields = []
    for layer, entry in REGISTRY.items():
        for name, param in entry.params.items():
            fields.append((f"layer_{layer}_{name}", name, param, param.example if param.required else param.default))
    for dataset, kind in DATASETS.items():
        for name, param in kind.fields.items():
            if not param.required:
                fields.append((f"data_{dataset}_{name}", name, param, kind.default_of(name)))
    for name, param in FIELDS.items():
        fields.append((f"training_{name}", name, param, param.default))
    return fields


def test_every_schema_parameter_gets_a_widget_with_its_range_or_choices():
    fields = schema_fields()
    app = start(widgets_page, fields)
    values = app.session_state["values"]
    numbers = {w.key: w for w in app.number_input}
    selects = {w.key: w for w in app.selectbox}
    multis = {w.key: w for w in app.multiselect}
    checks = {w.key: w for w in app.checkbox}
    texts_ = {w.key: w for w in app.text_input}
    for key, _, param, value in fields:
        if isinstance(param, Bool):
            assert checks[key].value is bool(value), key
        elif isinstance(param, Choice):
            assert selects[key].options == list(param.choices), key
        elif isinstance(param, NameList):
            assert multis[key].options == list(param.choices), key
        elif type(param) is Int:
            assert numbers[key].min == param.low and numbers[key].max == param.high, key
        elif isinstance(param, AnyInt):  # a dimension index: negative counts from the end
            assert numbers[key].min is None and numbers[key].max is None, key
        elif isinstance(param, Float):
            assert numbers[key].min == param.low, key
            assert numbers[key].max == (None if param.high == float("inf") else param.high), key
        else:  # Text, and sizes, padding and shapes edited as JSON text
            assert key in texts_, key
        if value is None and key in texts_:
            continue  # an automatic JSON parameter: see test_an_automatic_json_parameter_stays_automatic
        # untouched, every widget gives back the value it was shown, and it passes the schema
        assert values[key] == value, key
        if value is not None:
            param.check(values[key])


def test_json_parameters_parse_or_come_back_as_text_for_validation_to_report():
    kernel = REGISTRY["Conv2d"].params["kernel_size"]
    app = start(widgets_page, [("k", "kernel_size", kernel, 3)])
    assert app.text_input(key="k").value == "3"
    app.text_input(key="k").set_value("[3, 5]").run()
    assert app.session_state["values"]["k"] == [3, 5]
    app.text_input(key="k").set_value(" oops ").run()
    assert app.session_state["values"]["k"] == "oops"


def test_an_automatic_json_parameter_stays_automatic():
    """BUG: a JSON-text parameter whose default is None (automatic: pooling stride) is shown as an
    empty text box, and the empty text comes back as "" instead of None."""
    stride = REGISTRY["MaxPool2d"].params["stride"]  # and the other pools' strides
    assert stride.default is None and not stride.required
    app = start(widgets_page, [("stride", "stride", stride, None)])
    assert app.text_input(key="stride").value == ""
    assert app.session_state["values"]["stride"] is None


def test_an_optional_integer_left_empty_means_automatic():
    step_every = FIELDS["lr_step_every"]
    app = start(widgets_page, [("s", "lr_step_every", step_every, None)])
    assert app.number_input(key="s").value is None
    app.number_input(key="s").set_value(7).run()
    assert app.session_state["values"]["s"] == 7 and isinstance(app.session_state["values"]["s"], int)


@pytest.mark.parametrize(("key", "param", "value"), [
    ("elu_alpha", REGISTRY["ELU"].params["alpha"], 2.0),
    ("grad_clip", FIELDS["grad_clip"], 5.0),
    ("sine_step", DATASETS["sine"].fields["step"], 2.5),
])
def test_a_valid_float_of_one_or_more_gets_a_widget(key, param, value):
    """BUG: `_step` returns an int step (1, 10, ...) for floats >= 1 that are not a power of ten,
    and st.number_input refuses a float value with an int step (StreamlitMixedNumericTypesError)."""
    param.check(value)  # a valid value
    app = start(widgets_page, [(key, key, param, value)])
    assert app.session_state["values"][key] == value


def test_an_out_of_range_value_is_shown_so_the_user_can_fix_it():
    """BUG: a value outside the schema's range (from a file or a link; validation reports it on the
    node) makes st.number_input raise StreamlitValueBelowMinError, so the inspector cannot show it."""
    out_features = REGISTRY["Linear"].params["out_features"]
    app = start(widgets_page, [("n", "out_features", out_features, 0)])
    assert app.session_state["values"]["n"] == 0


# -- palette ---------------------------------------------------------------------------------


def palette_page(model, selected):
    import streamlit as st

    from components import palette

    st.session_state.added = palette.show(model, selected, "v")


def test_the_palette_offers_every_registry_type_grouped_by_family():
    app = start(palette_page, MLP["model"], "a1")
    kinds = app.selectbox(key="palette_type_v")
    assert len(kinds.options) == len(REGISTRY)
    assert {o.split(" · ")[1] for o in kinds.options} == set(REGISTRY)
    groups = [o.split(" · ")[0] for o in kinds.options]
    assert groups == sorted(groups, key=groups.index)  # each family's types together
    assert app.session_state["added"] is None


@pytest.mark.parametrize(("selected", "kind"), [("a1", "Dropout"), ("input", "LayerNorm"), ("out", "Sigmoid")])
def test_the_palette_adds_a_node_of_the_chosen_type_after_the_selected_one(selected, kind):
    model = MLP["model"]
    app = start(palette_page, model, selected)
    app.selectbox(key="palette_type_v").set_value(kind).run()
    add = app.button(key="palette_add_v")
    assert add.label == f"Add {kind} after {selected}"
    add.click().run()
    assert not app.exception, failure(app)
    edited, new_id = app.session_state["added"]
    assert (edited, new_id) == insert_node(model, selected, kind)
    ids = [n["id"] for n in edited["nodes"]]
    node = edited["nodes"][ids.index(new_id)]
    assert node["type"] == kind
    assert ids.index(new_id) == (0 if selected == "input" else ids.index(selected) + 1)
    assert analyze(edited).ok
    if selected == "out":
        assert edited["output"] == new_id


def test_a_merge_from_the_palette_reads_the_picked_branch_too():
    model = copy.deepcopy(PLAYGROUND)
    app = start(palette_page, model, "a2")
    app.selectbox(key="palette_type_v").set_value("Concat").run()
    also = app.multiselect(key="palette_also_v")
    assert "a2" not in also.options and "a1" in also.options
    also.set_value(["a1"]).run()
    app.button(key="palette_add_v").click().run()
    edited, new_id = app.session_state["added"]
    node = next(n for n in edited["nodes"] if n["id"] == new_id)
    assert node["type"] == "Concat" and node["inputs"] == ["a2", "a1"]
    analysis = analyze(edited)
    assert analysis.ok and analysis.nodes[new_id].output_shape == (4 + 2,)


# -- inspector -------------------------------------------------------------------------------


def inspector_page(model, selected):
    import streamlit as st

    from components import inspector
    from engine import analyze

    st.session_state.edited = inspector.show(model, analyze(model), selected, "v")


def test_the_inspector_shows_the_node_and_edits_a_parameter():
    model = MLP["model"]
    app = start(inspector_page, model, "h1")
    info = analyze(model).nodes["h1"]
    assert f"{info.params:,} parameters" in texts(app) and fmt(info.output_shape) in texts(app)
    assert REGISTRY["Linear"].explain in texts(app)
    width = app.number_input(key="inspect_v_h1_out_features")
    assert width.value == 8
    width.set_value(12).run()
    assert not app.exception, failure(app)
    edited = app.session_state["edited"]
    assert edited == set_params(model, "h1", {"out_features": 12})
    assert analyze(edited).nodes["h1"].output_shape == (12,)


def test_the_inspector_keeps_defaults_implicit_and_writes_a_changed_one():
    model = {"input": {"shape": [2]}, "nodes": [{"id": "drop", "type": "Dropout"}]}
    app = start(inspector_page, model, "drop")
    assert app.session_state["edited"] is None  # showing the default changes nothing
    app.number_input(key="inspect_v_drop_p").set_value(0.25).run()
    assert app.session_state["edited"]["nodes"][0]["params"] == {"p": 0.25}


def test_deleting_a_node_reconnects_its_neighbours():
    model = MLP["model"]
    app = start(inspector_page, model, "a1")
    app.session_state["builder_selected"] = "a1"
    app.button(key="inspect_v_a1_delete").click().run()
    edited = app.session_state["edited"]
    assert edited == remove_node(model, "a1")
    assert [n["id"] for n in edited["nodes"]] == ["h1", "h2", "a2", "out"]
    assert analyze(edited).nodes["h2"].inputs == ("h1",)  # h2 read a1; it now reads a1's input
    assert analyze(edited).ok
    assert "builder_selected" not in app.session_state  # the deleted node is no longer selected


def test_change_type_rename_and_move_return_the_engines_edits():
    model = MLP["model"]
    app = start(inspector_page, model, "a1")
    app.selectbox(key="inspect_v_a1_type").set_value("ReLU").run()
    assert app.session_state["edited"] == change_type(model, "a1", "ReLU")

    app = start(inspector_page, model, "a1")
    app.text_input(key="inspect_v_a1_id").set_value("act1").run()
    renamed = app.session_state["edited"]
    assert renamed == rename_node(model, "a1", "act1")
    assert analyze(renamed).nodes["h2"].inputs == ("act1",)

    app = start(inspector_page, model, "a2")
    app.button(key="inspect_v_a2_up").click().run()
    assert app.session_state["edited"] == move_node(model, "a2", -1)


def test_rewiring_the_input_of_a_node():
    model = MLP["model"]
    app = start(inspector_page, model, "h2")
    reads = app.selectbox(key="inspect_v_h2_inputs")  # Linear reads one input
    assert reads.value == "a1" and "h2" not in reads.options
    reads.set_value("h1").run()
    assert analyze(app.session_state["edited"]).nodes["h2"].inputs == ("h1",)


def test_an_impossible_move_warns_and_changes_nothing():
    model = MLP["model"]
    app = start(inspector_page, model, "h1")
    app.button(key="inspect_v_h1_up").click().run()
    assert not app.exception, failure(app)
    assert app.session_state["edited"] is None
    assert "cannot move up" in app.warning[0].value


def test_the_inspector_shows_the_problem_of_a_broken_node():
    model = with_conv(copy.deepcopy(MLP["model"]))
    conv = next(n["id"] for n in model["nodes"] if n["type"] == "Conv2d")
    problems = analyze(model).problems_of(conv)
    app = start(inspector_page, model, conv)
    assert [e.value for e in app.error] == [p.message for p in problems]


def test_selecting_a_pooling_node_changes_nothing():
    """BUG (see test_an_automatic_json_parameter_stays_automatic): merely showing a pooling node
    returns an edit that writes "stride": "" into it, which breaks the model (the builder commits
    it at once, so selecting pool1 of the CNN preset turns Train off)."""
    app = start(inspector_page, CNN, "pool1")
    edited = app.session_state["edited"]
    assert edited is None, (next(n for n in edited["nodes"] if n["id"] == "pool1"), analyze(edited).problems)


def test_the_input_is_described_not_edited():
    app = start(inspector_page, CNN, "input")
    assert f"**input** · {fmt(analyze(CNN).nodes['input'].output_shape)}" in texts(app)
    assert not app.button and app.session_state["edited"] is None


def test_the_inspector_lets_the_user_fix_an_out_of_range_parameter():
    """BUG (see param_widgets): Linear out_features 0 from a file crashes the inspector, so the
    node with the problem cannot be edited or deleted there."""
    model = {"input": {"shape": [2]}, "nodes": [{"id": "h", "type": "Linear", "params": {"out_features": 0}}]}
    app = start(inspector_page, model, "h")
    assert app.error  # the problem is shown on the node
    app.number_input(key="inspect_v_h_out_features").set_value(3).run()
    assert app.session_state["edited"]["nodes"][0]["params"]["out_features"] == 3


# -- quick_mlp -------------------------------------------------------------------------------


def quick_page(model):
    import streamlit as st

    from components import quick_mlp

    st.session_state.edited = quick_mlp.show(model, "v")


def widths(model: dict) -> tuple[int, ...]:
    return read_stack(model).widths


def test_plus_and_minus_change_one_layers_width():
    model = PLAYGROUND
    assert widths(model) == (4, 2)
    app = start(quick_page, model)
    assert app.session_state["edited"] is None
    app.button(key="mlp_v_plus_1").click().run()
    assert widths(app.session_state["edited"]) == (4, 3)
    app = start(quick_page, model)
    app.button(key="mlp_v_minus_0").click().run()
    edited = app.session_state["edited"]
    assert widths(edited) == (3, 2) and analyze(edited).ok


def test_plus_and_minus_add_and_remove_hidden_layers():
    app = start(quick_page, PLAYGROUND)
    app.button(key="mlp_v_add").click().run()
    assert len(widths(app.session_state["edited"])) == 3
    app = start(quick_page, PLAYGROUND)
    app.button(key="mlp_v_remove").click().run()
    edited = app.session_state["edited"]
    assert widths(edited) == (4,) and analyze(edited).ok


def test_limits_disable_the_buttons():
    from engine.mlp import Stack, write_stack

    narrow = write_stack(PLAYGROUND, Stack((1,) * MAX_LAYERS, ("Tanh",) * MAX_LAYERS, 1))
    app = start(quick_page, narrow)
    assert app.button(key="mlp_v_add").disabled and not app.button(key="mlp_v_remove").disabled
    assert app.button(key="mlp_v_minus_0").disabled and not app.button(key="mlp_v_plus_0").disabled


def test_one_activation_for_all_layers_or_one_per_layer():
    app = start(quick_page, PLAYGROUND)
    app.selectbox(key="mlp_v_activation").set_value("ReLU").run()
    assert read_stack(app.session_state["edited"]).activations == ("ReLU", "ReLU")
    app = start(quick_page, PLAYGROUND)
    app.toggle(key="mlp_per_layer").set_value(True).run()
    app.selectbox(key="mlp_v_act_1").set_value("Sigmoid").run()
    assert read_stack(app.session_state["edited"]).activations == ("Tanh", "Sigmoid")


def test_a_model_that_is_not_a_plain_stack_gets_no_quick_controls():
    app = start(quick_page, CNN)
    assert not app.button and app.session_state["edited"] is None
    assert "plain stacks" in app.caption[0].value


# -- builder ---------------------------------------------------------------------------------


def builder_page(model):
    import streamlit as st

    from components import builder
    from engine import analyze

    st.session_state.edited = builder.show(model, analyze(model), "v")


def with_editor(app):
    """Unfold the layer editor, as a click on its header does."""
    app.session_state["builder_edit_open"] = True
    return app.run()


def test_the_layer_forms_stay_folded_until_asked_for_the_canvas_is_the_editor():
    for model in (MLP["model"], CNN):
        app = start(builder_page, model)
        assert not [w for w in app.selectbox if (w.key or "").startswith(("palette_", "builder_pick"))]
    app = start(builder_page, MLP["model"])
    assert app.button(key="mlp_v_plus_0")  # Quick MLP edits a plain stack
    with_editor(app)
    assert app.selectbox(key="palette_type_v").value and app.selectbox(key="builder_pick_v").value == "out"


def test_the_builder_selects_the_output_first_then_what_the_user_picks():
    model = MLP["model"]
    app = with_editor(start(builder_page, model))
    assert app.session_state["builder_selected"] == "out"
    assert app.selectbox(key="builder_pick_v").value == "out"
    app.selectbox(key="builder_pick_v").set_value("h2").run()
    assert app.session_state["builder_selected"] == "h2"
    assert app.number_input(key="inspect_v_h2_out_features").value == 8  # the inspector follows
    assert app.button(key="palette_add_v").label.endswith("after h2")


def test_the_builder_returns_palette_inspector_and_quick_mlp_edits():
    model = PLAYGROUND
    app = with_editor(start(builder_page, model))
    app.selectbox(key="builder_pick_v").set_value("h1").run()
    app.selectbox(key="palette_type_v").set_value("Dropout").run()
    app.button(key="palette_add_v").click().run()
    edited, new_id = insert_node(model, "h1", "Dropout")
    assert app.session_state["edited"] == edited
    assert app.session_state["builder_selected"] == new_id  # the new node is selected

    app = with_editor(start(builder_page, model))
    app.number_input(key="inspect_v_out_out_features").set_value(2).run()
    assert app.session_state["edited"] == set_params(model, "out", {"out_features": 2})

    app = start(builder_page, model)
    app.button(key="mlp_v_plus_0").click().run()
    assert widths(app.session_state["edited"]) == (5, 2)
