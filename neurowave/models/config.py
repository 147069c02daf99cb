"""Configuration dataclasses, one per model.

A configuration holds everything needed to rebuild a model (its shapes and
hyper-parameters); it is stored with every checkpoint and export as a plain dict
(:func:`dataclasses.asdict`). Unknown keys are an error that names the known ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from .._validate import NeurowaveError, NeurowaveTypeError, check_option

__all__ = [
    "READOUTS",
    "OMEGA_INITS",
    "CoRNNConfig",
    "ConvLSTMConfig",
    "CNNConfig",
    "UNetConfig",
    "config_to_dict",
]

#: Readouts over the per-pixel time series of a recurrent model.
READOUTS = ("fft", "linear", "last", "mean", "max")

#: Initialisations of the CoRNN's natural-frequency (omega) encoder.
OMEGA_INITS = ("default", "bias", "dirac")


def _check_mlp(mlp_hidden):
    mlp_hidden = tuple(int(h) for h in mlp_hidden)
    if any(h <= 0 for h in mlp_hidden):
        raise NeurowaveError(f"`mlp_hidden` must be positive layer widths, got {mlp_hidden}.")
    return mlp_hidden


def _check_int(name, value, low=1):
    if isinstance(value, bool) or int(value) != value or value < low:
        raise NeurowaveError(f"`{name}` must be an integer >= {low}, got {value!r}.")
    return int(value)


@dataclass
class _Base:
    in_channels: int = 3
    n_classes: int = 6
    mlp_hidden: tuple = (256, 256, 256)

    def __post_init__(self):
        self.in_channels = _check_int("in_channels", self.in_channels)
        self.n_classes = _check_int("n_classes", self.n_classes, 2)
        self.mlp_hidden = _check_mlp(self.mlp_hidden)

    @classmethod
    def from_dict(cls, d):
        """Build from a dict, rejecting unknown keys with a sentence naming the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise NeurowaveError(
                f"{cls.__name__} has no option(s) {', '.join(unknown)}; known options are "
                f"{', '.join(sorted(known))}."
            )
        return cls(**d)


@dataclass
class CoRNNConfig(_Base):
    """Convolutional coupled-oscillator RNN (Jacobs et al. 2025) for segmentation.

    ``hidden_channels`` oscillator channels per pixel; ``c_mid`` channels inside each
    of the three 3x3 encoders (omega, alpha, y0), which have ``encoder_layers``
    convolutions each (published: 3, 3 and 4); ``n_steps`` integration steps of size
    ``dt``; ``readout`` over the per-pixel time series of the position ``y``, whose
    ``linear`` projection has a bias only if ``readout_bias`` (published: none).

    ``omega_init`` initialises the omega encoder: ``"bias"`` (the default: PyTorch's,
    then the final layer's bias set to ``omega_bias``, so that omega starts near
    ``omega_bias`` at every pixel and the final ReLU starts open), ``"default"``
    (PyTorch's alone, as the published training runs and as every CoRNN shipped before
    issue 33 was trained; under it a unit's final ReLU can close at every pixel within
    the first 50 optimizer steps, leaving omega = 0, ``benchmarks/omega_init.py``) or
    ``"dirac"`` (the published ``_init_encoders``, which the published scripts define
    but never call: identity kernels, zero biases). The equations are the same under
    each; only the starting point differs. Checkpoints whose config predates the option
    load as ``"default"``, the initialisation they were trained from.

    The defaults are the paper's Tetrominoes setting: with the linear readout the
    model has 176,124 parameters, as published.
    """

    hidden_channels: int = 2
    c_mid: int = 16
    n_steps: int = 100
    dt: float = 0.1
    readout: str = "linear"
    encoder_layers: tuple = (3, 3, 4)
    readout_bias: bool = False
    omega_init: str = "bias"
    omega_bias: float = 1.0

    def __post_init__(self):
        super().__post_init__()
        self.hidden_channels = _check_int("hidden_channels", self.hidden_channels)
        self.c_mid = _check_int("c_mid", self.c_mid)
        self.n_steps = _check_int("n_steps", self.n_steps, 2)
        self.dt = float(self.dt)
        if not self.dt > 0:
            raise NeurowaveError(f"`dt` must be a positive step size, got {self.dt!r}.")
        check_option("readout", self.readout, READOUTS)
        layers = (
            tuple(self.encoder_layers) if isinstance(self.encoder_layers, (list, tuple)) else ()
        )
        if len(layers) != 3 or any(isinstance(n, bool) or int(n) != n or n < 1 for n in layers):
            raise NeurowaveError(
                "`encoder_layers` must be three positive integers (convolutions of the "
                f"omega, alpha and y0 encoders), got {self.encoder_layers!r}."
            )
        self.encoder_layers = tuple(int(n) for n in layers)
        if not isinstance(self.readout_bias, bool):
            raise NeurowaveTypeError(
                f"`readout_bias` must be True or False, got {self.readout_bias!r}."
            )
        check_option("omega_init", self.omega_init, OMEGA_INITS)
        self.omega_bias = float(self.omega_bias)
        if not self.omega_bias == self.omega_bias:  # NaN
            raise NeurowaveError(f"`omega_bias` must be a number, got {self.omega_bias!r}.")


@dataclass
class ConvLSTMConfig(_Base):
    """Convolutional LSTM baseline: the image is fed at every one of ``n_steps`` steps."""

    hidden_channels: int = 16
    n_steps: int = 20
    kernel_size: int = 3
    readout: str = "linear"

    def __post_init__(self):
        super().__post_init__()
        self.hidden_channels = _check_int("hidden_channels", self.hidden_channels)
        self.n_steps = _check_int("n_steps", self.n_steps, 2)
        self.kernel_size = _check_int("kernel_size", self.kernel_size)
        if self.kernel_size % 2 == 0:
            raise NeurowaveError(f"`kernel_size` must be odd, got {self.kernel_size}.")
        check_option("readout", self.readout, READOUTS)


@dataclass
class CNNConfig(_Base):
    """Local CNN baseline: ``n_layers`` 3x3 conv layers (receptive field 2L+1) + per-pixel MLP.

    ``bottleneck`` > 0 makes the last 3x3 layer output that many channels, and
    ``expansion`` > 0 adds a 1x1 convolution (no activation after it) from them to
    ``expansion`` channels before the MLP: the published baseline
    (``baseline1_flexible.py``) has ``bottleneck=2`` (its ``hidden_channels``) and
    ``expansion=98`` (``K * hidden_channels`` with ``K = T / 2 - 1 = 49``). The default,
    0 and 0, is ``n_layers`` layers of ``channels`` channels straight into the MLP.
    """

    n_layers: int = 8
    channels: int = 16
    bottleneck: int = 0
    expansion: int = 0

    def __post_init__(self):
        super().__post_init__()
        self.n_layers = _check_int("n_layers", self.n_layers)
        self.channels = _check_int("channels", self.channels)
        self.bottleneck = _check_int("bottleneck", self.bottleneck, 0)
        self.expansion = _check_int("expansion", self.expansion, 0)
        if self.expansion and not self.bottleneck:
            raise NeurowaveError(
                "`expansion` (the 1x1 layer) needs a `bottleneck` > 0 before "
                "it, as in the published baseline (bottleneck=2, expansion=98)."
            )


@dataclass
class UNetConfig(_Base):
    """4-level U-Net baseline of base width ``width`` (channels double per level)."""

    width: int = 4
    levels: int = 4
    mlp_hidden: tuple = field(default=())

    def __post_init__(self):
        self.in_channels = _check_int("in_channels", self.in_channels)
        self.n_classes = _check_int("n_classes", self.n_classes, 2)
        self.mlp_hidden = tuple(int(h) for h in self.mlp_hidden)
        self.width = _check_int("width", self.width)
        self.levels = _check_int("levels", self.levels)


def config_to_dict(config):
    """A JSON-able dict of a configuration (tuples become lists)."""
    d = asdict(config)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}
