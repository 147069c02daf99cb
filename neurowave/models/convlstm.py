"""Convolutional LSTM baseline with the same time-series readouts as the CoRNN.

Unlike the CoRNN, the image is fed at every step (the usual ConvLSTM), and the
readout acts on the per-pixel time series of the hidden state ``h``.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import ConvLSTMConfig
from .readouts import PixelMLP, TimeReadout

__all__ = ["ConvLSTM"]


class ConvLSTM(nn.Module):
    """ConvLSTM segmentation model.

    Examples
    --------
    >>> import torch
    >>> from neurowave.models import get_model
    >>> m = get_model("convlstm", n_steps=4, hidden_channels=3, mlp_hidden=(8,))
    >>> tuple(m(torch.zeros(2, 3, 8, 8)).shape)
    (2, 6, 8, 8)
    """

    recurrent = True

    def __init__(self, config=None):
        super().__init__()
        self.config = config if config is not None else ConvLSTMConfig()
        c = self.config
        k = c.kernel_size
        self.gates = nn.Conv2d(
            c.in_channels + c.hidden_channels, 4 * c.hidden_channels, k, padding=k // 2
        )
        self.readout = TimeReadout(c.readout, c.n_steps)
        self.mlp = PixelMLP(c.hidden_channels * self.readout.n_features, c.mlp_hidden, c.n_classes)

    def dynamics(self, x, *, n_steps=None):
        """Run the ConvLSTM; returns ``h`` over time ``(B, T, C, H, W)``."""
        c = self.config
        b, _, hh, ww = x.shape
        h = x.new_zeros(b, c.hidden_channels, hh, ww)
        cell = torch.zeros_like(h)
        hs = []
        for _ in range(c.n_steps if n_steps is None else int(n_steps)):
            i, f, o, g = self.gates(torch.cat([x, h], dim=1)).chunk(4, dim=1)
            cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(cell)
            hs.append(h)
        return torch.stack(hs, dim=1)

    def forward(self, x, return_hidden=False):
        hidden = self.dynamics(x)
        logits = self.mlp(self.readout(hidden))
        return (logits, hidden) if return_hidden else logits
