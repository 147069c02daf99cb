"""Local CNN baseline: L 3x3 conv layers (receptive field 2L + 1) and a per-pixel MLP."""

from __future__ import annotations

from torch import nn

from .._validate import NeurowaveError
from .config import CNNConfig
from .readouts import PixelMLP

__all__ = ["LocalCNN"]


class LocalCNN(nn.Module):
    """A stack of ``n_layers`` 3x3 convolutions with ReLU, then the per-pixel MLP.

    Each pixel sees a ``(2L + 1) x (2L + 1)`` neighbourhood of the image and nothing more.
    With ``bottleneck`` and ``expansion`` (:class:`CNNConfig`) it is the published
    baseline's architecture: the last 3x3 layer narrows to ``bottleneck`` channels and a
    1x1 convolution expands them before the MLP.

    Examples
    --------
    >>> import torch
    >>> from neurowave.models import get_model
    >>> m = get_model("cnn", n_layers=2, channels=4, mlp_hidden=(8,))
    >>> tuple(m(torch.zeros(1, 3, 10, 10)).shape)
    (1, 6, 10, 10)
    """

    recurrent = False

    def __init__(self, config=None):
        super().__init__()
        self.config = config if config is not None else CNNConfig()
        c = self.config
        layers = []
        cin = c.in_channels
        for i in range(c.n_layers):
            cout = c.bottleneck if c.bottleneck and i == c.n_layers - 1 else c.channels
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]
            cin = cout
        if c.expansion:  # the published 1x1 expansion, no activation after it
            layers.append(nn.Conv2d(cin, c.expansion, 1))
            cin = c.expansion
        self.features = nn.Sequential(*layers)
        self.mlp = PixelMLP(cin, c.mlp_hidden, c.n_classes)

    @property
    def receptive_field(self):
        return 2 * self.config.n_layers + 1

    def forward(self, x, return_hidden=False):
        if return_hidden:
            raise NeurowaveError(
                "The local CNN has no hidden-state time series; export a recurrent model "
                "(cornn or convlstm)."
            )
        return self.mlp(self.features(x))
