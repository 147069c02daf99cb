"""Readouts over per-pixel time series, and the per-pixel MLP that follows them.

A recurrent model produces hidden states ``h`` of shape ``(batch, time, channel, y, x)``.
A readout turns the time axis of every pixel and channel into features:

* ``"fft"``: magnitude of the real FFT over time (``T // 2 + 1`` bins, orthonormal scaling),
* ``"linear"``: a learned projection ``T -> T // 2 + 1`` shared over pixels and channels,
* ``"last"``, ``"mean"``, ``"max"``: one feature per channel.

The per-pixel MLP is a stack of 1x1 convolutions with ReLU between them, so every
pixel is classified from its own features only: any spatial integration must have
happened in the recurrent dynamics (or, for the CNN baseline, in its local layers).
"""

from __future__ import annotations

import torch
from torch import nn

from .._validate import check_option
from .config import READOUTS

__all__ = ["TimeReadout", "PixelMLP", "readout_features"]


def readout_features(kind, n_steps):
    """Number of features per channel that readout ``kind`` makes from ``n_steps`` steps."""
    check_option("readout", kind, READOUTS)
    return n_steps // 2 + 1 if kind in ("fft", "linear") else 1


class TimeReadout(nn.Module):
    """Features from the per-pixel time series ``(B, T, C, H, W) -> (B, C * F, H, W)``."""

    def __init__(self, kind, n_steps, *, bias=True):
        super().__init__()
        self.kind = check_option("readout", kind, READOUTS)
        self.n_steps = int(n_steps)
        self.n_features = readout_features(kind, n_steps)
        self.proj = nn.Linear(self.n_steps, self.n_features, bias=bool(bias)) if kind == "linear" else None

    def forward(self, h):
        b, t, c, hh, ww = h.shape
        if t != self.n_steps:
            raise ValueError(f"The readout expects {self.n_steps} steps, got {t}.")  # internal
        if self.kind == "last":
            f = h[:, -1:]
        elif self.kind == "mean":
            f = h.mean(dim=1, keepdim=True)
        elif self.kind == "max":
            f = h.amax(dim=1, keepdim=True)
        elif self.kind == "fft":
            f = torch.fft.rfft(h, dim=1, norm="ortho").abs()
        else:  # linear: project the time axis (moved last) and move it back
            f = self.proj(h.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)
        # (B, F, C, H, W) -> (B, C * F, H, W), channel-major
        return f.transpose(1, 2).reshape(b, c * f.shape[1], hh, ww)


class PixelMLP(nn.Module):
    """Per-pixel MLP of 1x1 convolutions: ``in -> hidden... -> n_classes``."""

    def __init__(self, in_channels, hidden, n_classes):
        super().__init__()
        layers = []
        c = int(in_channels)
        for h in hidden:
            layers += [nn.Conv2d(c, int(h), 1), nn.ReLU()]
            c = int(h)
        layers.append(nn.Conv2d(c, int(n_classes), 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)
