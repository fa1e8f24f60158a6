"""The recurrence turbo compiles gives PyTorch's RNN, LSTM and GRU outputs and gradients."""

import copy

import pytest
import torch

from engine.modules import Recurrent
from engine.training.recurrence import Unrolled, unroll

KINDS = [("RNN", {"nonlinearity": "tanh"}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]
SHAPES = [  # num_layers, bidirectional, return_sequences
    (1, False, False), (1, False, True), (2, False, False), (1, True, False), (2, True, True),
]


@pytest.mark.parametrize(("kind", "extra"), KINDS, ids=["RNN tanh", "RNN relu", "LSTM", "GRU"])
@pytest.mark.parametrize(("layers", "bidirectional", "sequences"), SHAPES,
                         ids=["one layer", "sequences", "two layers", "bidirectional", "two ways, two layers, sequences"])
def test_an_unrolled_layer_gives_pytorchs_outputs_and_gradients(kind, extra, layers, bidirectional, sequences):
    torch.manual_seed(0)
    layer = Recurrent(kind, input_size=3, hidden_size=5, num_layers=layers, bidirectional=bidirectional,
                      return_sequences=sequences, **extra)
    written = copy.deepcopy(layer)
    unroll(written)
    assert type(written) is Unrolled
    x = torch.randn(4, 7, 3)
    theirs, mine = layer(x), written(x)
    torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-6)
    # a weighting that differs per element, so every output's gradient counts
    weights = torch.randn_like(theirs)
    (theirs * weights).sum().backward()
    (mine * weights).sum().backward()
    theirs_grads = dict(layer.named_parameters())
    for name, p in written.named_parameters():
        torch.testing.assert_close(p.grad, theirs_grads[name].grad, rtol=1e-4, atol=1e-6, msg=name)


def test_unroll_leaves_other_modules_and_the_parameters_as_they_are():
    model = torch.nn.Sequential(Recurrent("GRU", input_size=2, hidden_size=4), torch.nn.Linear(4, 1))
    before = dict(model.named_parameters())
    unroll(model)
    assert [type(m) for m in model] == [Unrolled, torch.nn.Linear]
    after = dict(model.named_parameters())
    assert list(after) == list(before) and all(after[name] is before[name] for name in before)
