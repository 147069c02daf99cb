"""The convolutional coupled-oscillator RNN (CoRNN) for image segmentation.

Written from the equations of Jacobs, Budzinski, Muller, Ba & Keller, *Traveling
Waves Integrate Spatial Information Through Time* (CCN 2025, arXiv:2502.06034).

From the image, three small 3x3 convolutional encoders give, for every pixel and
hidden channel, a natural frequency ``omega >= 0`` and a damping ``alpha >= 0``
(ReLU outputs) and the initial position ``y0`` (tanh); the initial velocity is zero.
Then ``n_steps`` explicit steps of

    z <- z + dt * (tanh(W_y * y) - omega * y - alpha * z)
    y <- y + dt * z

where ``W_y`` is a 3x3 circularly padded convolution across hidden channels,
initialised to the discrete Laplacian on each channel's diagonal, so that the
untrained network is a damped wave equation whose local speed and damping are set by
the image. The image is not fed again: whatever reaches a pixel from elsewhere in the
image travels there as a wave. A readout over each pixel's time series of ``y`` and a
per-pixel MLP classify the pixel.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import CoRNNConfig
from .readouts import PixelMLP, TimeReadout

__all__ = ["CoRNN", "laplacian_kernel"]


def laplacian_kernel(channels):
    """A ``(C, C, 3, 3)`` weight with the 5-point discrete Laplacian on the diagonal."""
    w = torch.zeros(channels, channels, 3, 3)
    lap = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    for c in range(channels):
        w[c, c] = lap
    return w


def _encoder(cin, cmid, cout, n_layers):
    """``n_layers`` 3x3 convolutions ``cin -> cmid -> ... -> cout`` with ReLUs between;
    the output activation (ReLU or tanh) is applied by :meth:`CoRNN.encode`."""
    if n_layers == 1:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1))
    layers = [nn.Conv2d(cin, cmid, 3, padding=1), nn.ReLU()]
    for _ in range(n_layers - 2):
        layers += [nn.Conv2d(cmid, cmid, 3, padding=1), nn.ReLU()]
    layers.append(nn.Conv2d(cmid, cout, 3, padding=1))
    return nn.Sequential(*layers)


class CoRNN(nn.Module):
    """Convolutional coupled-oscillator RNN with a time-series readout.

    Parameters
    ----------
    config : CoRNNConfig

    Examples
    --------
    >>> import torch
    >>> from neurowave.models import get_model
    >>> m = get_model("cornn", n_steps=10, mlp_hidden=(8,))
    >>> logits, hidden = m(torch.zeros(1, 3, 12, 12), return_hidden=True)
    >>> tuple(logits.shape), tuple(hidden.shape)
    ((1, 6, 12, 12), (1, 10, 2, 12, 12))
    """

    recurrent = True

    def __init__(self, config=None):
        super().__init__()
        self.config = config if config is not None else CoRNNConfig()
        c = self.config
        n_om, n_al, n_y0 = c.encoder_layers
        self.enc_omega = _encoder(c.in_channels, c.c_mid, c.hidden_channels, n_om)
        self.enc_alpha = _encoder(c.in_channels, c.c_mid, c.hidden_channels, n_al)
        self.enc_y0 = _encoder(c.in_channels, c.c_mid, c.hidden_channels, n_y0)
        self.W_y = nn.Conv2d(
            c.hidden_channels, c.hidden_channels, 3, padding=1, padding_mode="circular", bias=False
        )
        with torch.no_grad():
            self.W_y.weight.copy_(laplacian_kernel(c.hidden_channels))
        self.readout = TimeReadout(c.readout, c.n_steps, bias=c.readout_bias)
        self.mlp = PixelMLP(c.hidden_channels * self.readout.n_features, c.mlp_hidden, c.n_classes)

    def encode(self, x):
        """``(omega, alpha, y0)`` from images ``x``, each ``(B, C_hidden, H, W)``."""
        omega = torch.relu(self.enc_omega(x))
        alpha = torch.relu(self.enc_alpha(x))
        y0 = torch.tanh(self.enc_y0(x))
        return omega, alpha, y0

    def integrate(self, omega, alpha, y0, *, n_steps=None):
        """Run the oscillators from ``y0`` (velocity 0); returns ``y`` at steps 1..T.

        Parameters
        ----------
        omega, alpha, y0 : torch.Tensor, ``(B, C_hidden, H, W)``
        n_steps : int | None
            Default: the configured ``n_steps``.

        Returns
        -------
        torch.Tensor, ``(B, T, C_hidden, H, W)``
        """
        dt = self.config.dt
        y = y0
        z = torch.zeros_like(y)
        ys = []
        for _ in range(self.config.n_steps if n_steps is None else int(n_steps)):
            z = z + dt * (torch.tanh(self.W_y(y)) - omega * y - alpha * z)
            y = y + dt * z
            ys.append(y)
        return torch.stack(ys, dim=1)

    def dynamics(self, x, *, n_steps=None):
        """Encode images and integrate; returns ``y`` over time ``(B, T, C, H, W)``.

        ``n_steps`` overrides the configured number of steps (e.g. to watch the waves
        for longer than the readout does).
        """
        return self.integrate(*self.encode(x), n_steps=n_steps)

    def forward(self, x, return_hidden=False):
        hidden = self.dynamics(x)
        logits = self.mlp(self.readout(hidden))
        return (logits, hidden) if return_hidden else logits
