"""Readouts over per-pixel time series, and the per-pixel MLP that follows them.

A recurrent model produces hidden states ``h`` of shape ``(batch, time, channel, y, x)``.
A readout turns the time axis of every pixel and channel into features:

* ``"fft"``: magnitude of the real FFT over time (``T // 2 + 1`` bins, orthonormal scaling:
  the published implementation's unnormalised rfft is ``sqrt(T)`` times larger),
* ``"linear"``: a learned projection ``T -> T // 2 + 1`` shared over pixels and channels,
* ``"last"``, ``"mean"``, ``"max"``: one feature per channel.

Features are ordered channel-major: feature ``c * F + k`` is bin ``k`` of channel ``c``
(the published implementation orders them time-bin-major, ``k * C + c``).

The per-pixel MLP is a stack of linear layers applied to every pixel's feature vector
(the pixels are the rows of one matrix product, channels-last), with ReLU between them,
so every pixel is classified from its own features only: any spatial integration must
have happened in the recurrent dynamics (or, for the CNN baseline, in its local layers).
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
    """Features from the per-pixel time series ``(B, T, C, H, W) -> (B, C * F, H, W)``.

    :meth:`features_last` gives the same features channels-last, ``(B, H, W, C * F)``,
    which is what the per-pixel MLP consumes without a copy.
    """

    def __init__(self, kind, n_steps, *, bias=True):
        super().__init__()
        self.kind = check_option("readout", kind, READOUTS)
        self.n_steps = int(n_steps)
        self.n_features = readout_features(kind, n_steps)
        self.proj = (
            nn.Linear(self.n_steps, self.n_features, bias=bool(bias)) if kind == "linear" else None
        )

    def _per_step(self, h):
        """Features ``(B, F, C, H, W)``."""
        b, t, c, hh, ww = h.shape
        if t != self.n_steps:
            raise ValueError(f"The readout expects {self.n_steps} steps, got {t}.")  # internal
        if self.kind == "last":
            return h[:, -1:]
        if self.kind == "mean":
            return h.mean(dim=1, keepdim=True)
        if self.kind == "max":
            return h.amax(dim=1, keepdim=True)
        if self.kind == "fft":
            return torch.fft.rfft(h, dim=1, norm="ortho").abs()
        # linear: one (F x T) @ (T x C*H*W) product per image
        f = torch.matmul(self.proj.weight, h.reshape(b, t, c * hh * ww))
        if self.proj.bias is not None:
            f = f + self.proj.bias.view(1, -1, 1)
        return f.view(b, self.n_features, c, hh, ww)

    def features_last(self, h):
        """Features channels-last, ``(B, H, W, C * F)``, channel-major (``c * F + k``)."""
        f = self._per_step(h)
        b, nf, c, hh, ww = f.shape
        return f.permute(0, 3, 4, 2, 1).reshape(b, hh, ww, c * nf)

    def forward(self, h):
        return self.features_last(h).permute(0, 3, 1, 2)


class PixelMLP(nn.Module):
    """Per-pixel MLP ``in -> hidden... -> n_classes`` of linear layers with ReLU between.

    :meth:`forward` takes and returns ``(B, C, H, W)`` maps; :meth:`forward_last` works on
    channels-last ``(..., C)`` arrays. Weights of older checkpoints, stored as 1x1
    convolutions ``(out, in, 1, 1)``, load unchanged.
    """

    def __init__(self, in_channels, hidden, n_classes):
        super().__init__()
        layers = []
        c = int(in_channels)
        for h in hidden:
            layers += [nn.Linear(c, int(h)), nn.ReLU(inplace=True)]
            c = int(h)
        layers.append(nn.Linear(c, int(n_classes)))
        self.net = nn.Sequential(*layers)
        self._register_load_state_dict_pre_hook(_squeeze_conv_weights)

    def forward_last(self, x):
        """Logits ``(..., n_classes)`` from channels-last features ``(..., in)``."""
        # one 2-D matrix: a linear layer over an N-D input returns a view, and the in-place
        # ReLU on a view makes autograd copy and zero-fill every activation in backward
        lead = x.shape[:-1]
        return self.net(x.reshape(-1, x.shape[-1])).view(*lead, -1)

    def forward(self, x):
        return self.net(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def _squeeze_conv_weights(state_dict, prefix, *args, **kwargs):
    """Load ``(out, in, 1, 1)`` weights of the former 1x1-convolution MLP as ``(out, in)``."""
    for key in list(state_dict):
        if key.startswith(prefix + "net.") and key.endswith(".weight"):
            w = state_dict[key]
            if w.dim() == 4 and w.shape[-2:] == (1, 1):
                state_dict[key] = w.reshape(w.shape[0], w.shape[1])
