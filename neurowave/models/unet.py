"""U-Net baseline: ``levels`` resolution levels of base width ``width``."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

from .._validate import NeurowaveError
from .config import UNetConfig
from .readouts import PixelMLP

__all__ = ["UNet"]


def _block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.ReLU(),
    )


class UNet(nn.Module):
    """U-Net with ``levels`` levels (channels ``width * 2**level``), max-pool down,
    transposed-conv up, skip connections; inputs whose size is not a multiple of
    ``2**(levels-1)`` are zero-padded and the output cropped back.

    Examples
    --------
    >>> import torch
    >>> from neurowave.models import get_model
    >>> m = get_model("unet", width=2)
    >>> tuple(m(torch.zeros(1, 3, 20, 20)).shape)
    (1, 6, 20, 20)
    """

    recurrent = False

    def __init__(self, config=None):
        super().__init__()
        self.config = config if config is not None else UNetConfig()
        c = self.config
        widths = [c.width * 2**i for i in range(c.levels)]
        self.down = nn.ModuleList()
        cin = c.in_channels
        for w in widths:
            self.down.append(_block(cin, w))
            cin = w
        self.up = nn.ModuleList()
        self.merge = nn.ModuleList()
        for w_hi, w_lo in itertools.pairwise(widths[::-1]):
            self.up.append(nn.ConvTranspose2d(w_hi, w_lo, 2, stride=2))
            self.merge.append(_block(2 * w_lo, w_lo))
        self.head = PixelMLP(widths[0], c.mlp_hidden, c.n_classes)

    def forward(self, x, return_hidden=False):
        if return_hidden:
            raise NeurowaveError(
                "The U-Net has no hidden-state time series; export a recurrent model "
                "(cornn or convlstm)."
            )
        m = 2 ** (self.config.levels - 1)
        h, w = x.shape[-2:]
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph))
        skips = []
        for i, blk in enumerate(self.down):
            if i:
                x = F.max_pool2d(x, 2)
            x = blk(x)
            skips.append(x)
        for up, merge, skip in zip(self.up, self.merge, skips[::-1][1:], strict=True):
            x = merge(torch.cat([up(x), skip], dim=1))
        return self.head(x)[..., :h, :w]
