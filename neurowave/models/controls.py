"""Controls for a wave RNN's waves: the same model with its coupling cut, and the
untrained model of the same architecture.

Cutting the coupling asks which of a model's waves travel *through* its recurrent
coupling: every neighbour tap of the CoRNN's 3x3 ``W_y`` kernels is set to zero and
the centre taps are kept as trained. Each pixel keeps its own oscillator (omega,
alpha, y0) and exactly the intact model's self-term (``W_y``'s centre taps, channel
mixing at the pixel included); the only thing removed is what its neighbours feed it.
Waves the coupling carries vanish; phase patterns set by the encoders' spatial maps
(natural frequency, damping, start) survive. (An earlier version summed each kernel
onto its centre tap, which is the intact model's response to a spatially uniform
state but creates a self-feedback the intact model does not have at any pixel -- with
the shipped paper-geometry kernels 0.23, -0.15, -0.25 and 0.13 -- and its states
diverged; a control that blows up does not isolate the coupling.)
The untrained model (fresh weights, same architecture and config, including the
omega encoder's initialisation ``omega_init``) shows what the architecture does before
learning: the CoRNN's Laplacian coupling carries waves at one cell per unit time,
``dt`` cells/step, where omega is near 0 (``omega_init="default"``, the shipped
models); with omega near ``omega_bias`` everywhere (``"bias"``) the pixels also ring
at their own frequency, and the coupling's waves become dispersive.
"""

from __future__ import annotations

import copy

from .._validate import NeurowaveError

__all__ = ["cut_coupling", "untrained_like", "CONTROLS"]

#: Control name -> one-line description (export variables ``hidden_<name>``).
CONTROLS = {
    "cut_coupling": "the same model with the neighbour taps of W_y set to zero and its "
    "centre taps kept (no pixel feels its neighbours; each keeps its "
    "own self-term)",
    "untrained": "the untrained model of the same architecture (fresh weights)",
}


def cut_coupling(model):
    """A copy of ``model`` whose recurrent coupling no longer couples neighbours.

    Every tap of ``W_y`` but the centre one of each 3x3 kernel (output channel x input
    channel) is set to zero; the centre taps stay as trained. At every pixel the cut
    model has the intact model's own oscillator and self-term; it lacks only the input
    from the pixel's neighbours. No self-feedback is added (summing the kernel onto its
    centre would add ``sum(W) - W_centre`` at every pixel).

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
    >>> m = get_model("cornn", n_steps=4, mlp_hidden=(4,))
    >>> w = cut_coupling(m).W_y.weight.detach()
    >>> float(w[..., 0, 0].abs().sum()), bool((w[..., 1, 1] == m.W_y.weight[..., 1, 1]).all())
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
        w = m.W_y.weight
        centre = w[:, :, w.shape[-2] // 2, w.shape[-1] // 2].clone()
        w.zero_()
        w[:, :, w.shape[-2] // 2, w.shape[-1] // 2] = centre
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
