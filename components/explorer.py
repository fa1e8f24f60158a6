"""The concept explorer page: activation functions and their slopes, losses side by side, and
an optimizer race over 2-D surfaces. Each view links to a preset that shows the idea on a real
network. Owns the session keys `explore_*`."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from components import race_panel, workspace
from components.charts import NEGATIVE, POSITIVE
from components.gallery import PRESETS
from components.guard import guard
from engine import concepts

REAL_RACE = ["sgd", "rmsprop", "adam", "adamw"]  # the toy race's optimizers, on the spiral preset
RACE_COLOURS = {"GD": "#555555", "SGD + momentum": "#D62728", "RMSprop": "#2CA02C", "Adam": POSITIVE, "AdamW": NEGATIVE}


def _open_preset(stem: str, label: str, key: str) -> None:
    """A button that loads a preset into the playground (undoable) and goes there."""
    if st.button(label, key=key, icon="🧪"):
        workspace.start()
        workspace.commit(json.loads((PRESETS / f"{stem}.json").read_text()))
        st.switch_page(st.session_state.explore_playground)


def activations_view() -> None:
    low, high = st.slider("input range (x)", -10.0, 10.0, (-6.0, 6.0), step=0.5, key="explore_act_range")
    if high - low < 0.5:
        st.warning("Widen the range to at least 0.5.")
        return
    names = concepts.activations()
    columns = 4
    rows = -(-len(names) // columns)
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=names, vertical_spacing=0.12, horizontal_spacing=0.05)
    notes = []
    for i, name in enumerate(names):
        x, y, slope = concepts.activation_curve(name, low, high)
        row, col = i // columns + 1, i % columns + 1
        for start, end in concepts.saturation(x, slope):
            fig.add_vrect(x0=start, x1=end, fillcolor="#999999", opacity=0.15, line_width=0, row=row, col=col)
        fig.add_trace(go.Scatter(x=x, y=y, name="f(x)", line={"color": POSITIVE}, showlegend=i == 0,
                                 legendgroup="f"), row=row, col=col)
        fig.add_trace(go.Scatter(x=x, y=slope, name="f′(x), the slope", line={"color": NEGATIVE, "dash": "dot"},
                                 showlegend=i == 0, legendgroup="df"), row=row, col=col)
        spans = concepts.saturation(x, slope)
        if not slope.any():
            notes.append(f"**{name}**: slope 0 everywhere, so no gradient passes back through it (the "
                         "perceptron was trained by its own rule, not by backpropagation)")
            continue
        notes.append(f"**{name}**: " + (", ".join(f"flat for x in [{a:.1f}, {b:.1f}]" for a, b in spans)
                                         if spans else "never flat in this range"))
    # the legend at the figure's top edge, above the first row's titles (over them at y 1.06)
    fig.update_layout(height=230 * rows + 24, margin={"l": 10, "r": 10, "t": 64, "b": 10},
                      legend={"orientation": "h", "yref": "container", "y": 1, "yanchor": "top", "x": 0})
    st.plotly_chart(fig, key="explore_act_chart")
    st.caption("Shaded: where the slope is under 5 % of its peak. There the function saturates and "
               "passes almost no gradient back, which is how deep sigmoid stacks stop learning.")
    st.markdown(" · ".join(notes))
    _open_preset("vanishing_sigmoid", "See vanishing gradients in a deep sigmoid network", "explore_act_preset")


def losses_view() -> None:
    left, right = st.columns(2)
    target = left.slider("regression target", -2.0, 2.0, 0.0, step=0.1, key="explore_loss_target")
    label = right.radio("classification label", [1, 0], horizontal=True, key="explore_loss_label")
    regression = concepts.regression_losses(target)
    classification = concepts.classification_losses(label)
    titles = ["MSE", "L1", "Huber (δ = 1)", f"BCE, label {label}", "Cross-entropy"]
    fig = make_subplots(rows=1, cols=5, subplot_titles=titles, horizontal_spacing=0.04)
    for col, key in enumerate(("mse", "l1", "huber"), start=1):
        x, y = regression[key]
        fig.add_trace(go.Scatter(x=x, y=y, line={"color": POSITIVE}), row=1, col=col)
        fig.add_vline(x=target, line={"dash": "dot", "color": "#888888"}, row=1, col=col)
        fig.update_xaxes(title_text="prediction", row=1, col=col)
    x, y = classification["bce"]
    fig.add_trace(go.Scatter(x=x, y=y, line={"color": NEGATIVE}), row=1, col=4)
    fig.update_xaxes(title_text="predicted P(class 1)", row=1, col=4)
    x, y = classification["cross_entropy"]
    fig.add_trace(go.Scatter(x=x, y=y, line={"color": NEGATIVE}), row=1, col=5)
    fig.update_xaxes(title_text="P(true class)", row=1, col=5)
    fig.update_yaxes(title_text="loss", row=1, col=1)
    fig.update_layout(height=320, showlegend=False, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    st.plotly_chart(fig, key="explore_loss_chart")
    st.caption("MSE punishes big misses most (it grows with the square); L1 grows evenly; Huber is MSE near "
               "the target and L1 far away. BCE and cross-entropy explode as the model grows confident and wrong.")
    left, right = st.columns(2)
    with left:
        _open_preset("regression_plane", "Train with MSE on a regression task", "explore_loss_mse")
    with right:
        _open_preset("multiclass_spiral", "Train with cross-entropy on three classes", "explore_loss_ce")


def optimizers_view() -> None:
    name = st.selectbox("surface", list(concepts.SURFACES), key="explore_race_surface",
                        format_func=lambda n: f"{n}: {concepts.SURFACES[n].explain}")
    steps = st.slider("steps", 10, 500, 200, step=10, key="explore_race_steps")
    rates = {}
    columns = st.columns(len(concepts.OPTIMIZERS))
    for column, optimizer in zip(columns, concepts.OPTIMIZERS, strict=True):
        rates[optimizer] = column.number_input(f"{optimizer} lr", min_value=1e-5, max_value=1.0,
                                               value=concepts.DEFAULT_LR[optimizer], format="%g",
                                               key=f"explore_race_lr_{optimizer}")
    paths = concepts.race(name, rates, steps)
    st.plotly_chart(race_figure(name, paths, steps), key="explore_race_chart")
    st.caption("Each path is a real torch.optim optimizer minimising the surface from the same start. "
               "Press ▶ to watch them step; drag the slider to go to any step. A path that ends early diverged.")
    # the spiral is hard enough that the optimizer shows: the same race, on a real network
    if st.button("Race these optimizers on a real network (spiral)", key="explore_race_preset", icon="🏁",
                 help="the spiral preset trained with SGD, RMSprop, Adam and AdamW at once, curves overlaid live"):
        workspace.start()
        workspace.commit(json.loads((PRESETS / "spiral.json").read_text()))
        race_panel.request("optimizer", REAL_RACE)
        st.switch_page(st.session_state.explore_playground)


def race_figure(name: str, paths: dict[str, np.ndarray], steps: int) -> go.Figure:
    """Contours of the surface with each optimizer's path, animated step by step in the browser."""
    surface = concepts.SURFACES[name]
    xs, ys, z = concepts.surface_grid(name)
    contour = go.Contour(x=xs, y=ys, z=np.log1p(z - z.min()), colorscale="Greys", showscale=False,
                         contours={"coloring": "heatmap"}, opacity=0.6, hoverinfo="skip")
    frames_at = sorted({int(s) for s in np.linspace(0, steps, min(steps, 60) + 1)})

    def traces(upto: int) -> list[go.Scatter]:
        return [go.Scatter(x=p[: upto + 1, 0], y=p[: upto + 1, 1], mode="lines+markers", name=o,
                           line={"color": RACE_COLOURS[o], "width": 2}, marker={"size": 3}) for o, p in paths.items()]

    fig = go.Figure([contour, *traces(steps)])
    fig.frames = [go.Frame(data=traces(s), traces=list(range(1, len(paths) + 1)), name=str(s)) for s in frames_at]
    if surface.minimum:
        fig.add_trace(go.Scatter(x=[surface.minimum[0]], y=[surface.minimum[1]], mode="markers", name="minimum",
                                 marker={"symbol": "star", "size": 14, "color": "#FFD700"}))
    play = {"type": "buttons", "showactive": False, "x": 0, "y": -0.08, "buttons": [
        {"label": "▶ play", "method": "animate", "args": [None, {"frame": {"duration": 60}, "fromcurrent": False}]},
        {"label": "⏸", "method": "animate", "args": [[None], {"mode": "immediate", "frame": {"duration": 0}}]}]}
    slider = {"active": len(frames_at) - 1, "currentvalue": {"prefix": "step "}, "pad": {"t": 40},
              "steps": [{"label": str(s), "method": "animate",
                         "args": [[str(s)], {"mode": "immediate", "frame": {"duration": 0}}]} for s in frames_at]}
    return fig.update_layout(height=560, margin={"l": 10, "r": 10, "t": 10, "b": 10}, updatemenus=[play],
                             sliders=[slider], xaxis={"range": list(surface.x_range), "title": "x"},
                             yaxis={"range": list(surface.y_range), "title": "y"})


def show(playground) -> None:
    """The page; `playground` is the page its preset links switch to."""
    st.session_state.explore_playground = playground
    st.title("Concept explorer")
    st.caption("The ideas behind every network, one at a time. Each view links to a preset that shows it live.")
    tabs = st.tabs(["Activation functions", "Loss functions", "Optimizer race"])
    for tab, (panel, view) in zip(tabs, (("activations", activations_view), ("losses", losses_view),
                                         ("optimizer race", optimizers_view)), strict=True):
        with tab, guard(panel):
            view()
