"""The model registry: ``get_model(name, **config)``, ``list_models()``, parameter counts."""

from __future__ import annotations

from .._validate import NeurowaveTypeError, check_option
from .cnn import LocalCNN
from .config import CNNConfig, ConvLSTMConfig, CoRNNConfig, UNetConfig
from .convlstm import ConvLSTM
from .cornn import CoRNN
from .unet import UNet

__all__ = ["MODELS", "get_model", "list_models", "count_parameters", "model_name"]

#: name -> (model class, config class)
MODELS = {
    "cornn": (CoRNN, CoRNNConfig),
    "convlstm": (ConvLSTM, ConvLSTMConfig),
    "cnn": (LocalCNN, CNNConfig),
    "unet": (UNet, UNetConfig),
}


def list_models():
    """Names accepted by :func:`get_model`.

    Examples
    --------
    >>> list_models()
    ('cornn', 'convlstm', 'cnn', 'unet')
    """
    return tuple(MODELS)


def get_model(name, **config):
    """Build model ``name`` from keyword options of its configuration dataclass.

    Parameters
    ----------
    name : {"cornn", "convlstm", "cnn", "unet"}
    **config
        Fields of the model's config (e.g. :class:`~neurowave.models.CoRNNConfig`).

    Returns
    -------
    model : torch.nn.Module
        With ``model.config`` (the dataclass) and ``model.recurrent``.

    Examples
    --------
    >>> m = get_model("cornn", readout="linear")
    >>> count_parameters(m)
    176124
    """
    check_option("model", name, tuple(MODELS), extra=" See neurowave.models.list_models().")
    cls, cfg_cls = MODELS[name]
    model = cls(cfg_cls.from_dict(config))
    model.model_name = name
    return model


def model_name(model):
    """Registry name of ``model``."""
    for name, (cls, _) in MODELS.items():
        if type(model) is cls:
            return name
    raise NeurowaveTypeError(
        f"{type(model).__name__} is not a neurowave model; build one with get_model."
    )


def count_parameters(model, *, trainable=True):
    """Number of (trainable) parameters of ``model``."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable))
