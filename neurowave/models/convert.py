"""Weights of the published CoRNN implementation as a neurowave state dict.

The published implementation (Jacobs et al. 2025, ``cornn_model2.py``) stores its
CoRNN as ``classifier.{omega,alpha,hy}_encoder``, ``classifier.cell.Wy``,
``classifier.fc_time`` and ``classifier.fc_readout``. :func:`cornn_state_dict_from_published`
maps such a state dict (e.g. a published ``cp.pt``) onto :class:`~neurowave.models.CoRNN`
with the same function:

* the first MLP layer's input columns are permuted: the published features are ordered
  time-bin-major (column ``k * C + c``), neurowave's channel-major (``c * F + k``);
* for the ``fft`` readout that layer is also scaled by ``sqrt(T)``: neurowave's rfft is
  orthonormal (``norm="ortho"``), the published one unnormalised, ``sqrt(T)`` times larger;
* the published model always holds ``fc_time`` (the linear readout's ``T -> F``
  projection, no bias); it is used only by the ``linear`` readout.
"""

from __future__ import annotations

import math

from neurowave._validate import NeurowaveError

from .readouts import readout_features

__all__ = ["cornn_state_dict_from_published", "PUBLISHED_READOUTS"]

#: neurowave readout name -> the published implementation's ``readout_type``.
PUBLISHED_READOUTS = {
    "linear": "linear",
    "fft": "fft",
    "last": "last",
    "mean": "mean_time",
    "max": "max_time",
}

_ENCODERS = {"omega_encoder": "enc_omega", "alpha_encoder": "enc_alpha", "hy_encoder": "enc_y0"}


def cornn_state_dict_from_published(state_dict, *, readout, n_steps, hidden_channels=2):
    """A :class:`~neurowave.models.CoRNN` state dict from a published ``cornn_model2`` one.

    Parameters
    ----------
    state_dict : mapping of str to torch.Tensor
        The published model's ``state_dict()`` (keys ``classifier.*``, or without that prefix).
    readout : {"linear", "fft", "last", "mean", "max"}
        neurowave's name of the readout the model was built with.
    n_steps : int
        The number of steps ``T`` (the published ``max_iters``).
    hidden_channels : int
        Oscillator channels ``C`` (published ``hidden_channels``).

    Returns
    -------
    dict
        Load with ``get_model("cornn", readout=readout, n_steps=n_steps,
        hidden_channels=hidden_channels).load_state_dict(...)``; the published setting has
        no readout bias (``readout_bias=False``, the default).
    """
    sd = {k.removeprefix("classifier."): v for k, v in state_dict.items()}
    n_feat = readout_features(readout, n_steps)
    c = int(hidden_channels)
    out = {}
    layers = sorted({int(k.split(".")[1]) for k in sd if k.startswith("fc_readout.")})
    for key, value in sd.items():
        head, _, rest = key.partition(".")
        if head in _ENCODERS:
            out[f"{_ENCODERS[head]}.{rest}"] = value.clone()
        elif key == "cell.Wy.weight":
            out["W_y.weight"] = value.clone()
        elif key == "fc_time.weight":
            if readout == "linear":
                out["readout.proj.weight"] = value.clone()
        elif head == "fc_readout":
            idx, _, name = rest.partition(".")
            w = value.clone()
            if int(idx) == layers[0] and name == "weight":
                if w.shape[1] != n_feat * c:
                    raise NeurowaveError(
                        f"The first MLP layer takes {w.shape[1]} features, not {n_feat} x {c} "
                        f"for readout {readout!r} over {n_steps} steps and {c} channels; pass "
                        "the settings the published model was trained with."
                    )
                w = w.view(w.shape[0], n_feat, c).transpose(1, 2).reshape(w.shape[0], c * n_feat)
                if readout == "fft":
                    w = w * math.sqrt(n_steps)
            out[f"mlp.net.{idx}.{name}"] = w.contiguous()
        else:
            raise NeurowaveError(f"{key!r} is not a weight of the published CoRNN (cornn_model2).")
    return out
