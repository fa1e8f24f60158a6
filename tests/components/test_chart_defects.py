"""Chart defects seen on the page, checked on the plotly figures of briefly trained real runs:
clipped tick labels and titles, stretched images, dots that looked hollow, doubled ranges and a
log axis without labels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from components import charts
from components.live import figures, gradients
from engine import load_experiment
from engine.data import check_data, make_dataset
from engine.training.session import Session
from engine.training.trainer import Snapshot
from engine.training.visuals import all_visuals
from tests.conftest import ROOT

PX = 7  # about a character of a 12 px tick label
TITLE_PX = 20  # an axis title's line beside its tick labels


def trained(preset: str) -> tuple[Snapshot, Session]:
    experiment = load_experiment(ROOT / "presets" / f"{preset}.json")
    session = Session(experiment, "cpu")
    session.run_epoch()
    snapshot = Snapshot(state="paused", epoch=1, epochs=1, step=session.step, lr=session.lr, device="CPU",
                        visuals=all_visuals(session))
    return snapshot, session


@pytest.fixture(scope="module")
def playground():
    return trained("playground")


@pytest.fixture(scope="module")
def digits():
    return trained("cnn_digits")


@pytest.fixture(scope="module")
def sine():
    return trained("rnn_sine")


def dataset(data: dict):
    config, _, problems = check_data(data)
    assert not problems
    return make_dataset(config)


def both(fig):
    """The figure as built, and as the live view sends it (`figures.fixed`: automargin off)."""
    return [fig, figures.fixed(type(fig)(fig))]


def margin(fig, side: str) -> int:
    return fig.layout.margin[side] or 0


# -- 1. forecast -------------------------------------------------------------------------------

def test_the_forecast_has_room_for_signed_tick_labels_and_its_axis_titles(sine):
    snapshot, _ = sine
    series = snapshot.visuals["forecast"]
    for fig in both(figures.forecast(snapshot)):
        assert fig.layout.yaxis.title.text == "value" and fig.layout.xaxis.title.text == "time (rad)"
        tickformat = fig.layout.yaxis.tickformat
        lowest = min(min(series["truth"]), min(series["predicted"]))
        assert lowest < 0 and format(lowest, tickformat.replace("~", "")).startswith("-")  # the sign stays
        label = len(format(lowest, tickformat.replace("~", "")))
        assert margin(fig, "l") >= PX * label + TITLE_PX  # was 10: "-0.5" lost its minus
        assert margin(fig, "b") >= 12 + TITLE_PX  # tick labels, then the title under them


# -- 2. confusion matrix -----------------------------------------------------------------------

@pytest.mark.parametrize("long_names", [False, True])
def test_the_confusion_matrix_has_a_tick_and_room_for_every_class(digits, long_names):
    snapshot, _ = digits
    matrix = snapshot.visuals["confusion"]
    names = tuple(f"class with a long name {i}" for i in range(len(matrix))) if long_names else ()
    labels = list(names) or [str(i) for i in range(len(matrix))]
    for fig in both(figures.confusion(snapshot, names)):
        x, y = fig.layout.xaxis, fig.layout.yaxis
        assert (x.title.text, y.title.text) == ("predicted", "true (test set)")
        for axis in (x, y):  # categories, each one a tick (digits' names once made a numeric axis)
            assert axis.type == "category" and list(axis.tickvals) == labels
            assert all(label.startswith(text.rstrip("…")) for text, label in zip(axis.ticktext, labels, strict=True))
        longest = max(len(text) for text in x.ticktext)
        assert margin(fig, "l") >= PX * longest + TITLE_PX  # was 10: labels and title clipped
        assert x.tickangle in (0, -45)  # set, not left to plotly.js (a turned label needs other margins)
        slant = math.sin(math.radians(abs(x.tickangle)))
        assert margin(fig, "b") >= PX * longest * slant + TITLE_PX + 12


# -- 3. square images --------------------------------------------------------------------------

def assert_square_subplots(fig):
    ys = [name for name in fig.layout if name.startswith("yaxis")]
    assert len(ys) == len([t for t in fig.data if t.type == "heatmap"])
    for name in ys:
        y = fig.layout[name]
        x = fig.layout["xaxis" + y.anchor[1:]]  # make_subplots: yaxisN sits on xN, xN on yN
        assert x.anchor == "y" + name[5:]
        assert (y.scaleanchor, y.scaleratio, y.constrain, x.constrain) == (y.anchor, 1, "domain", "domain")


def test_test_images_and_reconstructions_are_square(digits):
    snapshot, _ = digits
    assert_square_subplots(figures.samples(snapshot))
    autoencoder, _ = trained("autoencoder_digits")
    assert_square_subplots(figures.samples(autoencoder))


def test_the_preview_draws_digits_square():
    assert_square_subplots(charts.preview(dataset({"dataset": "digits"})))


# -- 4. filled points --------------------------------------------------------------------------

def luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """WCAG's contrast ratio: 1 (none) to 21."""
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_points_are_filled_dots_with_an_outline_that_reads_on_both_classes(playground):
    _, session = playground
    data = session.data
    train = charts.points_trace(data.points_train, data.y_train.numpy(), data, "train").marker
    test = charts.points_trace(data.points_test, data.y_test.numpy(), data, "test", test=True).marker
    for marker in (train, test):
        assert marker.symbol == "circle" and marker.opacity == 1 and marker.line.width >= 1
        assert min(contrast(marker.line.color, c) for c in (charts.NEGATIVE, charts.POSITIVE)) >= 2
    assert test.line.width > train.line.width and contrast(test.line.color, train.line.color) >= 7  # told apart


def test_the_boundary_lies_pale_under_the_points_over_exactly_the_domain(playground):
    snapshot, session = playground
    fig = figures.fixed(figures.boundary(snapshot, session.data))
    heat, *points = fig.data
    assert heat.type == "heatmap" and [p.type for p in points] == ["scatter", "scatter"]  # drawn first: under
    assert heat.opacity < 1  # paler than the dots: a dot on its own class's region still shows
    assert_exact_domain(fig, session.data.info.domain)


# -- 5. data preview ranges --------------------------------------------------------------------

def assert_exact_domain(fig, domain):
    x, y = fig.layout.xaxis, fig.layout.yaxis
    assert tuple(x.range) == tuple(y.range) == tuple(domain)
    # "domain" on both: plotly shrinks the plot to a square instead of widening y's range
    assert (x.constrain, y.constrain, y.scaleanchor) == ("domain", "domain", "x")


def test_the_planar_preview_shows_exactly_the_datasets_domain(playground):
    _, session = playground
    assert_exact_domain(charts.preview(session.data), session.data.info.domain)


def assert_fits(axis, values):
    low, high = float(np.min(values)), float(np.max(values))
    span = high - low
    assert axis.scaleanchor is None
    assert low - 0.1 * span <= axis.range[0] <= low and high <= axis.range[1] <= high + 0.1 * span


def test_series_and_table_previews_fit_their_data(sine):
    _, session = sine
    data = session.data
    fig = charts.preview(data)
    assert_fits(fig.layout.yaxis, np.concatenate([data.y_train.numpy(), data.y_test.numpy()]))
    rows = "\n".join(f"{np.sin(i) * 3:.3f},{np.cos(i * 1.3) * 50 + 100:.3f},{'ab'[i % 2]}" for i in range(60))
    table = dataset({"dataset": "csv", "text": "a,b,label\n" + rows, "target": "label"})
    fig = charts.preview(table)
    x = table.x_train.numpy()
    assert_fits(fig.layout.xaxis, x[:, 0])
    assert_fits(fig.layout.yaxis, x[:, 1])


# -- 6. gradient sizes -------------------------------------------------------------------------

def labelled_ticks(axis) -> list[float]:
    """The exponents of the ticks plotly.js labels: tick0 + k * dtick inside the range."""
    low, high = axis.range
    first = math.ceil((low - axis.tick0) / axis.dtick)
    return [axis.tick0 + k * axis.dtick for k in range(first, math.floor((high - axis.tick0) / axis.dtick) + 1)]


def assert_labelled_log_axis(axis, values):
    assert axis.type == "log" and axis.tickmode == "linear" and axis.exponentformat == "power"
    assert len(labelled_ticks(axis)) >= 2
    low, high = math.log10(min(values)), math.log10(max(values))
    assert axis.range[0] < low and high < axis.range[1]  # the shortest bar shows


def test_the_gradient_chart_labels_its_log_axis_and_keeps_room_for_the_labels(playground):
    snapshot, _ = playground
    values = [s["grad_norm"] for s in snapshot.visuals["layers"].values() if s.get("grad_norm")]
    assert max(values) / min(values) < 10  # under a decade: plotly.js's own ticks had no label
    fig = figures.fixed(gradients.figure(snapshot.visuals))
    assert_labelled_log_axis(fig.layout.yaxis, values)
    assert fig.layout.yaxis.automargin is False
    assert margin(fig, "l") >= PX * len("10-12") + TITLE_PX  # figures.fixed keeps the wider margin


@pytest.mark.parametrize("values", [[0.01, 0.01], [0.03, 0.05], [2.0, 70.0], [3e-11, 0.2], [1e-3, 1e4]])
def test_the_log_axis_has_two_labels_for_any_spread(values):
    axis = gradients.figure({"layers": {f"h{i}": {"grad_norm": v} for i, v in enumerate(values)}}).layout.yaxis
    assert_labelled_log_axis(axis, values)
    assert len(labelled_ticks(axis)) <= 7  # not one per decade over many decades


def test_long_layer_names_slant_with_room_below(playground):
    names = [f"block{i}.linear" for i in range(8)]
    fig = figures.fixed(gradients.figure({"layers": {n: {"grad_norm": 0.1 + i} for i, n in enumerate(names)}}))
    assert fig.layout.xaxis.tickangle == -45
    assert margin(fig, "b") >= PX * len(names[0]) * math.sin(math.radians(45)) + TITLE_PX


def test_the_neuron_mosaic_has_room_for_its_layer_names(playground):
    snapshot, session = playground
    types = {n.id: n.type for n in session.experiment.model.nodes}
    fig = figures.neurons(snapshot, types)
    longest = max(len(text) for text in fig.layout.yaxis.ticktext)
    assert margin(fig, "l") >= PX * longest
