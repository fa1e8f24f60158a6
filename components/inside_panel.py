"""The Inside tab: views inside the model while it trains (each layer's outputs, a convolution's
filters and feature maps, attention weights, a recurrent layer's state, a 2-D latent space), for
whichever of them this model has. The training process computes only the view that is open, with
its other pictures; closing the tab closes the view there. Owns the session keys `inside_*`."""

from __future__ import annotations

import streamlit as st

from components import fragments, insight_figures
from engine.training import insights
from engine.training.trainer import RUNNING, WAITING

POLL_S = 1.0  # how often an open view is redrawn while training (it is computed as often as asked)
PART = "inside"
SENT = "inside_sent"  # (trainer id, view, node, sample) last asked of the trainer
SAMPLED = ("convolution", "attention", "recurrent")  # views of one test sample
PICK, PICKABLE = "inside_pick", 12  # the strip of test images to click
HINTS = {
    "activations": "Each layer's outputs on 256 test samples. A squashing activation with most outputs near its "
                   "ends is saturated (its slope there is almost zero, so little gradient passes back); a ReLU "
                   "layer with most outputs at zero has dead units.",
    "convolution": "Each filter is a small learned pattern (blue weights add, orange subtract); its feature map "
                   "shows where in the picked test image that pattern is found. Pooling keeps the strongest "
                   "responses at a quarter of the size.",
    "attention": "For each position (row), how much it reads every position (column) in each head; each row sums "
                 "to 1. A model that reverses a sequence learns to look at the mirrored position.",
    "recurrent": "The hidden state carries the sequence: each row is a unit, each column a time step. An LSTM's "
                 "forget gate near 1 keeps its memory; its input gate lets the new step in.",
    "latent": "Where each test sample lands in the 2-D layer. Classes that gather apart are what the rest of the "
              "network separates; for an autoencoder, the grid shows what the decoder draws from each point.",
    "generated": "The generator's samples, from the same noise each time, so they change only as it learns: on 2-D "
                 "data beside real points, over the discriminator's belief that a point is real. Samples piled on a "
                 "few clusters while others stay empty (or digits all alike) is mode collapse.",
}


def show(trainer) -> None:
    """The tab, for this tab's trainer of the current experiment (None: the experiment is invalid)."""
    if trainer is None:
        st.caption("Inside views need a valid experiment: see the message above.")
        return
    views = insights.available(trainer.experiment)
    cells = st.columns([2.2, 1.4, 1.2, 3.0], vertical_alignment="bottom")
    view = cells[0].selectbox("View", list(views), format_func=insights.VIEWS.get, key="inside_view")
    nodes = views[view]
    # the histograms show every layer at once; the other views one layer of their kind
    node = cells[1].selectbox("Layer", nodes, key=f"inside_node_{view}") if len(nodes) > 1 and view != "activations" \
        else nodes[0]
    sample = 0
    images = view in SAMPLED and trainer.dataset.info.kind == "image"
    if images:
        _take_pick()
    if view in SAMPLED:
        sample = int(cells[2].number_input("Test sample", 0, len(trainer.dataset.x_test) - 1, 0,
                                           key="inside_sample", help="which test sample the view follows"))
    if images:
        st.caption("Click a digit to follow it:")
        st.plotly_chart(insight_figures.picker(trainer.dataset.x_test[:PICKABLE, 0].numpy()), key=PICK,
                        on_select="rerun", selection_mode="points", config={"displayModeBar": False})
    cells[3].caption(HINTS[view])
    wanted = (id(trainer), view, node, sample)
    if st.session_state.get(SENT) != wanted:
        trainer.set_insight(view, node, sample)
        st.session_state[SENT] = wanted
    _figures(trainer, view)


def _take_pick() -> None:
    """A digit clicked in the strip becomes the test sample (before its input is drawn)."""
    points = ((st.session_state.get(PICK) or {}).get("selection") or {}).get("points") or []
    index = points[0].get("point_index") if points else None
    if isinstance(index, int) and 0 <= index < PICKABLE and index != st.session_state.get("inside_picked"):
        st.session_state.inside_sample = st.session_state.inside_picked = index


def close(trainer) -> None:
    """The tab is not open: the training process stops computing the view."""
    if st.session_state.pop(SENT, None) is not None and trainer is not None:
        trainer.set_insight(None)


def _figures(trainer, view: str) -> None:
    training = trainer.last_snapshot().state in (RUNNING, WAITING)

    @fragments.part(PART, run_every=POLL_S if training else None)
    def drawn() -> None:
        insight = (trainer.snapshot(visuals=True).visuals or {}).get("insight")
        if insight is None or insight.get("view") != view:
            st.caption("Drawing the view…")
            return
        if "error" in insight:
            st.warning(f"This view could not be drawn: {insight['error']}")
            return
        try:
            drawn = insight_figures.figures(insight)
        except Exception as err:  # a view that cannot be drawn leaves the page and the run as they are
            st.warning(f"This view could not be drawn: {type(err).__name__}: {err}")
            return
        # the latent plane and its decoded grid side by side; the other views' figures one under another
        places = st.columns(len(drawn)) if view == "latent" else [st.container()] * len(drawn)
        for place, (name, figure) in zip(places, drawn.items(), strict=True):
            place.plotly_chart(figure, key=f"inside_{name}", config={"displayModeBar": False})

    drawn()
