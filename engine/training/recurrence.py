"""The recurrent layers written out step by step in plain tensor operations, for compiled training.

torch.compile cannot take nn.RNN, nn.LSTM or nn.GRU through a training step under torch.func:
dynamo does not trace them by default, and where told to, the layer's call re-sets its flat
weights (a side effect a compiled loop refuses) and its backward fails under the grad transform.
The same recurrence in torch's own operations traces, and is what inductor fuses anyway.
`unroll` puts it on turbo's private copy of a model; the run's model keeps PyTorch's layers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.modules import Recurrent


def unroll(model: nn.Module) -> None:
    """Have each recurrent layer of `model` run as `Unrolled`: the same parameters and names."""
    for module in model.modules():
        if type(module) is Recurrent:
            module.__class__ = Unrolled


class Unrolled(Recurrent):
    """`Recurrent` with its layer's recurrence in tensor operations: the same outputs and
    gradients as PyTorch's RNN, LSTM and GRU (gate order and formulas as their documentation
    gives them), batch first, zero initial state."""

    def forward(self, x):
        rnn, finals = self.rnn, []
        for layer in range(rnn.num_layers):
            sequences = []
            for reverse in (False, True)[: self.directions]:
                sequence, final = self._direction(x, f"_l{layer}{'_reverse' if reverse else ''}", reverse)
                sequences.append(sequence)
                finals.append(final)
            x = torch.cat(sequences, dim=2)  # each step's states, forward then backward
        if self.return_sequences:
            return x
        if self.directions == 1:
            return finals[-1]
        return torch.cat((finals[-2], finals[-1]), dim=1)

    def _direction(self, x, suffix: str, reverse: bool):
        """One layer read one way: every step's hidden state (batch, time, H) and the last one."""
        rnn = self.rnn
        # the input's share of every step at once, then the steps one after another
        inputs = F.linear(x, getattr(rnn, f"weight_ih{suffix}"), getattr(rnn, f"bias_ih{suffix}", None))
        recurrent = getattr(rnn, f"weight_hh{suffix}"), getattr(rnn, f"bias_hh{suffix}", None)
        h = c = x.new_zeros(x.shape[0], rnn.hidden_size)
        steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
        states = [None] * x.shape[1]
        for t in steps:
            h, c = CELLS[rnn.mode](inputs[:, t], h, c, *recurrent)
            states[t] = h
        return torch.stack(states, dim=1), h


def _tanh_cell(given, h, c, weight, bias):
    return torch.tanh(given + F.linear(h, weight, bias)), c


def _relu_cell(given, h, c, weight, bias):
    return torch.relu(given + F.linear(h, weight, bias)), c


def _lstm_cell(given, h, c, weight, bias):
    i, f, g, o = (given + F.linear(h, weight, bias)).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def _gru_cell(given, h, c, weight, bias):
    given_r, given_z, given_n = given.chunk(3, dim=1)
    own_r, own_z, own_n = F.linear(h, weight, bias).chunk(3, dim=1)
    r, z = torch.sigmoid(given_r + own_r), torch.sigmoid(given_z + own_z)
    n = torch.tanh(given_n + r * own_n)  # the reset gate scales the state's share with its bias
    return (1 - z) * n + z * h, c


CELLS = {"RNN_TANH": _tanh_cell, "RNN_RELU": _relu_cell, "LSTM": _lstm_cell, "GRU": _gru_cell}
