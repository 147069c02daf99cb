"""Controls for a wave RNN's waves: the same model with its coupling cut, and the
untrained model of the same architecture.

Cutting the coupling asks which of a model's waves travel *through* its recurrent
coupling: each 3x3 kernel of the CoRNN's ``W_y`` is replaced by its sum on the
centre tap, so every pixel keeps its own oscillator (omega, alpha, y0) and a
spatially uniform state evolves exactly as before, but no pixel feels how it differs
from its neighbours. Waves the coupling carries vanish; phase patterns set by the
encoders' spatial maps (e.g. natural frequencies that vary across an object) survive.
The untrained model (fresh weights, same architecture and config) shows what the
architecture does before learning: the CoRNN's Laplacian coupling carries waves at
one cell per unit time, ``dt`` cells/step.
"""

from __future__ import annotations

import copy

from .._validate import NeurowaveError

__all__ = ["cut_coupling", "untrained_like", "CONTROLS"]

#: Control name -> one-line description (export variables ``hidden_<name>``).
CONTROLS = {
    "cut_coupling": "the same model with each W_y kernel summed onto its centre tap "
                    "(no pixel feels its neighbours)",
    "untrained": "the untrained model of the same architecture (fresh weights)",
}


def cut_coupling(model):
    """A copy of ``model`` whose recurrent coupling no longer couples neighbours.

    Each 3x3 kernel of ``W_y`` (output channel x input channel) is replaced by its sum
    on the centre tap: a spatially uniform state evolves exactly as before (same
    natural frequencies, same channel mixing), but nothing is carried from place to
    place.

    Parameters
    ----------
    model : CoRNN
        Any model with a convolutional coupling ``W_y``.

    Returns
    -------
    model : CoRNN
        A deep copy; ``model`` itself is left unchanged.

    Examples
    --------
    >>> import torch
    >>> from neurowave.models import get_model
    >>> m = cut_coupling(get_model("cornn", n_steps=4, mlp_hidden=(4,)))
    >>> w = m.W_y.weight.detach()
    >>> float(w[..., 0, 0].abs().sum()), float(w.sum()) == float(w[..., 1, 1].sum())
    (0.0, True)
    """
    import torch

    if not hasattr(model, "W_y"):
        raise NeurowaveError(
            f"A {type(model).__name__} has no convolutional coupling W_y to cut; the "
            "coupling-cut control exists for the CoRNN only."
        )
    m = copy.deepcopy(model)
    with torch.no_grad():
        total = m.W_y.weight.sum(dim=(-2, -1))
        m.W_y.weight.zero_()
        m.W_y.weight[:, :, m.W_y.weight.shape[-2] // 2, m.W_y.weight.shape[-1] // 2] = total
    return m.eval()


def untrained_like(model, *, seed=0):
    """A freshly initialised model of the same architecture and config as ``model``.

    The global torch random state is left as it was.

    Parameters
    ----------
    model : torch.nn.Module
        A model of :func:`neurowave.models.get_model`.
    seed : int
        Seed of the fresh weights.

    Examples
    --------
    >>> from neurowave.models import get_model
    >>> a = get_model("cornn", n_steps=4, mlp_hidden=(4,))
    >>> b = untrained_like(a, seed=1)
    >>> type(b).__name__, b.config == a.config
    ('CoRNN', True)
    """
    import torch

    from .config import config_to_dict
    from .registry import get_model, model_name

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        fresh = get_model(model_name(model), **config_to_dict(model.config))
    dev = next(model.parameters()).device
    return fresh.to(dev).eval()
