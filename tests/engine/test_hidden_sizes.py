"""Sizes a link sets that no parameter count saw: a positional table's max_len, a vocabulary of
10**19, a confusion matrix with a row and a column per class of a table, attention weights of
steps x steps. Each hostile value is the node's problem, or the picture is bounded; small ones
show exactly what they showed before."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from components import insight_figures
from engine import modules
from engine.compile import build_model
from engine.experiment import check_experiment
from engine.training import insights, metrics
from engine.training.session import Session
from engine.training.visuals import confusion_matrix
from engine.web import WEB_LIMITS
from tests.conftest import experiment


def one_problem(raw: dict) -> str:
    valid, problems = check_experiment(raw, WEB_LIMITS)
    assert valid is None and len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# -- (a) sizes of tables --------------------------------------------------------------------------


def positional(params: dict, width: int = 64) -> dict:
    """The link that grew the server by 1.5 GB at max_len 3,000,000: sine -> Linear -> a one-step
    sequence -> PositionalEncoding -> SequencePool -> Linear(1)."""
    return experiment([{"id": "flat", "type": "Flatten"},
                       {"id": "wide", "type": "Linear", "params": {"out_features": width}},
                       {"id": "seq", "type": "Reshape", "params": {"shape": [1, width]}},
                       {"id": "pos", "type": "PositionalEncoding", "params": params},
                       {"id": "pool", "type": "SequencePool"},
                       {"id": "out", "type": "Linear", "params": {"out_features": 1}}],
                      shape=(20, 1), data={"dataset": "sine", "n_samples": 10}, training={"loss": "mse"})


@pytest.mark.parametrize("params", [{"max_len": 3_000_000}, {"max_len": 10**8}, {"max_len": 10**19},
                                    {"kind": "learned", "max_len": 10**19}], ids=str)
def test_a_huge_max_len_is_the_nodes_problem(params):
    problem = one_problem(positional(params))
    assert (problem.node, problem.field) == ("pos", "max_len")
    assert str(problem) == f"node 'pos': max_len must be an integer from 1 to 100000, got {params['max_len']}"


def test_a_huge_vocabulary_is_the_nodes_problem():
    raw = experiment([{"id": "emb", "type": "Embedding", "params": {"num_embeddings": 10**19, "embedding_dim": 8}},
                      {"id": "flat", "type": "Flatten"}, {"id": "out", "type": "Linear", "params": {"out_features": 1}}],
                     shape=(4,), dtype="long")
    problem = one_problem(raw)
    assert (problem.node, problem.field) == ("emb", "num_embeddings")
    assert str(problem) == f"node 'emb': num_embeddings must be an integer from 1 to 1000000, got {10**19}"


def test_the_largest_max_len_and_vocabulary_are_still_valid():
    assert check_experiment(positional({"max_len": 100_000}), WEB_LIMITS)[1] == []
    assert check_experiment(positional({"kind": "learned", "max_len": 100_000}, width=8), WEB_LIMITS)[1] == []


def test_a_fixed_table_is_as_long_as_the_sequence_and_holds_the_same_sinusoids():
    # built max_len (512) rows long, a wide sequence's table was a buffer nobody counted (1 GB at width 500,000)
    model = build_model(experiment([{"id": "pos", "type": "PositionalEncoding"}], shape=(3, 1000))["model"])
    assert tuple(model.pos.table.shape) == (3, 1000)
    assert torch.equal(model.pos.table, modules.PositionalEncoding(1000, max_len=512).table[:3])
    x = torch.randn(2, 3, 1000)
    assert torch.equal(model(x), x + modules.PositionalEncoding(1000, max_len=512).table[:3])


def test_a_learned_table_keeps_its_max_len_rows():
    model = build_model(experiment([{"id": "pos", "type": "PositionalEncoding",
                                     "params": {"kind": "learned", "max_len": 7}}], shape=(5, 4))["model"])
    assert tuple(model.pos.table.shape) == (7, 4) and "pos.table" in model.state_dict()


# -- (b) the confusion matrix ---------------------------------------------------------------------


def test_the_confusion_matrix_of_a_few_classes_counts_true_against_predicted():
    truth, predicted = torch.tensor([0, 1, 1, 2, 0, 2]), torch.tensor([0, 1, 2, 2, 1, 2])
    assert metrics.confusion(predicted, truth, 3) == [[1, 1, 0], [0, 1, 1], [0, 0, 2]]
    most = metrics.MAX_CONFUSION_CLASSES  # still made: each class once, each right
    assert metrics.confusion(torch.arange(most), torch.arange(most), most) == np.eye(most, dtype=int).tolist()


def test_no_confusion_matrix_is_made_for_more_classes_than_can_be_read():
    labels = torch.arange(metrics.MAX_CONFUSION_CLASSES + 1)
    assert metrics.confusion(labels, labels, metrics.MAX_CONFUSION_CLASSES + 1) is None
    assert metrics.confusion(labels, labels, 18_000) is None  # not 18,000 x 18,000 counts (a 61,723-character link)


def table_of(classes: int) -> dict:
    """A CSV whose target has `classes` values, each a class, and a Linear with one output each."""
    rows = "\n".join(f"{i % 7},{i % classes}" for i in range(max(2 * classes, 40)))
    return experiment([{"id": "out", "type": "Linear", "params": {"out_features": classes}}], shape=(1,),
                      data={"dataset": "csv", "text": "x,y\n" + rows, "target": "y", "task": "classification"},
                      training={"loss": "cross_entropy"})


def test_a_table_with_many_classes_draws_no_matrix_and_one_with_few_draws_its_own():
    valid, problems = check_experiment(table_of(metrics.MAX_CONFUSION_CLASSES + 10), WEB_LIMITS)
    assert problems == []
    assert confusion_matrix(Session(valid, "cpu")) is None
    valid, _ = check_experiment(table_of(3), WEB_LIMITS)
    session = Session(valid, "cpu")
    predicted = session.objective.predict(session.model.eval()(session.x_test))
    expected = np.zeros((3, 3), dtype=int)
    np.add.at(expected, (session.data.y_test.numpy(), predicted.numpy()), 1)
    assert confusion_matrix(session) == expected.tolist()


# -- (c) attention weights ------------------------------------------------------------------------


def attending(steps: int, width: int = 1, heads: int = 1) -> Session:
    """The 311-character link: sine -> Linear(steps x width) -> [steps, width] -> self-attention."""
    raw = experiment([{"id": "flat", "type": "Flatten"},
                      {"id": "wide", "type": "Linear", "params": {"out_features": steps * width}},
                      {"id": "seq", "type": "Reshape", "params": {"shape": [steps, width]}},
                      {"id": "att", "type": "MultiheadSelfAttention", "params": {"num_heads": heads}},
                      {"id": "pool", "type": "SequencePool"},
                      {"id": "out", "type": "Linear", "params": {"out_features": 1}}],
                     shape=(20, 1), data={"dataset": "sine", "n_samples": 10}, training={"loss": "mse"})
    valid, problems = check_experiment(raw, WEB_LIMITS)
    assert problems == []
    return Session(valid, "cpu")


def torchs_weights(session: Session, sample: int) -> np.ndarray:
    """What torch's own attention gives for the whole sequence: (heads, steps, steps)."""
    model = session.model.eval()
    with torch.no_grad():
        h = model.seq(model.wide(model.flat(session.x_test[sample: sample + 1])))
        _, weights = model.att.attn(h, h, h, need_weights=True, average_attn_weights=False)
    return weights[0].numpy()


def test_a_long_sequences_attention_is_drawn_for_its_first_positions_only():
    session = attending(1000)
    view = insights.compute(session, "attention", "att", sample=1)
    shown = insights.ATTENTION_POSITIONS
    assert view["weights"].shape == (1, shown, shown) and len(view["tokens"]) == shown and view["steps"] == 1000
    # the same weights as torch's (each row's softmax over all 1,000 keys), the top-left corner of them
    assert np.allclose(view["weights"], torchs_weights(session, 1)[:, :shown, :shown], atol=1e-6)
    figure = insight_figures.figures(view)["attention"]
    assert [np.shape(trace.z) for trace in figure.data] == [(shown, shown)]
    assert "the first 64 of 1,000 positions" in figure.layout.title.text
    assert len(figure.to_json()) < 100_000  # 1,000 x 1,000 weights were a 5 MB figure, re-sent every second


def test_a_many_headed_attention_is_drawn_for_its_first_heads_only():
    session = attending(10, width=16, heads=16)
    view = insights.compute(session, "attention", "att", sample=0)
    assert view["weights"].shape == (insights.ATTENTION_HEADS, 10, 10) and view["heads"] == 16
    assert np.allclose(view["weights"], torchs_weights(session, 0)[: insights.ATTENTION_HEADS], atol=1e-6)
    assert "the first 8 of 16 heads" in insight_figures.figures(view)["attention"].layout.title.text


def test_a_short_sequences_attention_is_all_of_torchs_weights_and_says_nothing_more():
    session = attending(12, width=4, heads=2)
    view = insights.compute(session, "attention", "att", sample=1)
    assert view["weights"].shape == (2, 12, 12) and np.allclose(view["weights"].sum(-1), 1.0, atol=1e-5)
    assert np.allclose(view["weights"], torchs_weights(session, 1), atol=1e-6)
    assert view["tokens"] == [f"t{i}" for i in range(12)]
    assert insight_figures.figures(view)["attention"].layout.title.text is None
