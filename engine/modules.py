"""The few modules PyTorch lacks as layers. Self-contained (torch only), so exports can copy them."""

import math

import torch
from torch import nn


class Reshape(nn.Module):
    """Reshape each sample to `shape` (one -1 allowed); the batch dimension is kept."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


class Step(nn.Module):
    """The perceptron's activation: 1 where x > 0, else 0. Its slope is zero wherever it is
    defined, so no gradient passes back through it: layers before it do not learn by backprop."""

    def forward(self, x):
        return (x > 0).to(x.dtype)


class Sample(nn.Module):
    """A variational autoencoder's sampling step. From a mean and a log-variance it draws
    z = mean + exp(log_var / 2) * noise while training (the reparameterisation trick: the noise is
    an input of its own, so gradients reach the mean and the variance), and gives the mean itself
    otherwise. While training it keeps `kl`, the batch's mean KL divergence from N(0, 1), which
    the loss adds with the weight `training.kl_weight`."""

    def forward(self, mean, log_var):
        log_var = log_var.clamp(-30.0, 20.0)  # exp() of a wild log-variance must not overflow
        if not self.training:
            return mean
        dims = tuple(range(1, mean.dim()))
        self.kl = (-0.5 * (1 + log_var - mean.pow(2) - log_var.exp()).sum(dim=dims)).mean()
        return mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)


def kl_terms(model):
    """The KL divergences the Sample layers of `model` kept in its last training forward pass."""
    return sum(m.kl for m in model.modules() if isinstance(m, Sample) and hasattr(m, "kl"))


class GlobalAvgPool(nn.Module):
    """Average over every dimension after the channels: (batch, C, ...) -> (batch, C)."""

    def forward(self, x):
        return x.flatten(2).mean(dim=2)


class Recurrent(nn.Module):
    """An RNN, LSTM or GRU over (batch, time, features), batch first.

    Returns the whole output sequence (batch, time, H * directions), or the last layer's final
    hidden state of each direction concatenated (batch, H * directions).
    """

    def __init__(
        self, kind, input_size, hidden_size, num_layers=1, bidirectional=False, return_sequences=False, **extra
    ):
        super().__init__()
        layer = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}[kind]
        self.rnn = layer(
            input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional, batch_first=True, **extra
        )
        self.directions = 2 if bidirectional else 1
        self.return_sequences = return_sequences

    def forward(self, x):
        out, hidden = self.rnn(x)
        if self.return_sequences:
            return out
        if isinstance(hidden, tuple):  # LSTM: (h_n, c_n)
            hidden = hidden[0]
        if self.directions == 1:
            return hidden[-1]  # (batch, H)
        return torch.cat((hidden[-2], hidden[-1]), dim=1)  # forward then backward: (batch, 2 * H)


class SelfAttention(nn.Module):
    """Multi-head self-attention over (batch, time, width): queries, keys and values are x."""

    def __init__(self, embed_dim, num_heads, dropout=0.0):
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, num_heads, dropout=dropout, batch_first=True)

    def forward(self, x):
        out, _ = self.attn(x, x, x, need_weights=False)
        return out


class PositionalEncoding(nn.Module):
    """Add position information to (batch, time, width): fixed sinusoids or a learned table."""

    def __init__(self, embed_dim, max_len=512, kind="sinusoidal"):
        super().__init__()
        if kind == "learned":
            self.table = nn.Parameter(torch.randn(max_len, embed_dim) * 0.02)
        else:
            position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
            rate = torch.exp(torch.arange(0, embed_dim, 2).float() * (-math.log(10000.0) / embed_dim))
            table = torch.zeros(max_len, embed_dim)
            table[:, 0::2] = torch.sin(position * rate)
            table[:, 1::2] = torch.cos(position * rate)[:, : embed_dim // 2]
            # A fixed table is rebuilt from its formula, so it stays out of the state dict. Being a
            # buffer, no parameter count sees its max_len x embed_dim floats: the engine asks for
            # only as many rows as the model's sequence has (engine/layers/attention.py).
            self.register_buffer("table", table, persistent=False)

    def forward(self, x):
        return x + self.table[: x.shape[1]]


class SequencePool(nn.Module):
    """Reduce (batch, time, width) to (batch, width) by mean, max, last or first step."""

    def __init__(self, mode="mean"):
        super().__init__()
        self.mode = mode

    def forward(self, x):
        if self.mode == "mean":
            return x.mean(dim=1)
        if self.mode == "max":
            return x.amax(dim=1)
        return x[:, -1] if self.mode == "last" else x[:, 0]


class Add(nn.Module):
    """Sum of two or more tensors of equal shape (residual connections)."""

    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Multiply(nn.Module):
    """Elementwise product of two or more tensors of equal shape (gating)."""

    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Concat(nn.Module):
    """Join tensors along `dim` of the batched tensor."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, *xs):
        return torch.cat(xs, dim=self.dim)
