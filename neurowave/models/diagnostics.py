"""Oscillator diagnostics of a CoRNN: are its oscillators on, and do its states stay bounded?

A CoRNN is described as "every pixel is an oscillator": each pixel and unit has a
natural frequency ``omega >= 0`` (a ReLU output of the omega encoder), a damping
``alpha >= 0`` and a start ``y0``. Nothing in training keeps ``omega`` positive: the
final ReLU of the encoder can switch a unit's oscillators off at every pixel (then the
dynamics are the learned coupling and damping alone), and without a restoring force a
state can drift and grow past the horizon ``T`` the model was trained for. These
diagnostics say which is the case, per unit:

* the fraction of pixels whose ``omega`` is live (``> 0``), over the objects
  (foreground, from the labels) and over the background;
* quantiles of ``omega`` and ``alpha`` over foreground and background, and the largest
  value of ``omega`` before its ReLU (how far a dead unit is from switching on);
* the growth of the states: ``max |y|`` over the first ``T/2``, ``T`` and ``2T``
  steps, and the mean of ``y`` over the objects' pixels (the piece mean) at step 0 and
  at ``T/2``, ``T`` and ``2T`` (its drift);
* warnings, one sentence each, when a unit's oscillators are off over the objects
  or its states grow.

The boundedness criterion used throughout (:func:`bounded_ratio`,
:func:`states_bounded`): over an analysis window, ``max |y|`` must stay within
``2x`` its maximum over the first ``T/2`` steps.
"""

from __future__ import annotations

import numpy as np

from .._validate import NeurowaveError

__all__ = [
    "BOUND_FACTOR",
    "LIVE_FRACTION_MIN",
    "bounded_ratio",
    "compute_oscillator_diagnostics",
    "diagnostic_rows",
    "has_oscillators",
    "states_bounded",
    "summarize_diagnostics",
]

#: A window is bounded when ``max |y|`` over it is at most this many times its
#: maximum over the first ``T/2`` steps.
BOUND_FACTOR = 2.0

#: A unit's oscillators count as on over the objects when ``omega > 0`` at at least this
#: fraction of the foreground pixels.
LIVE_FRACTION_MIN = 0.5

_QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)


def has_oscillators(model):
    """Whether ``model`` has per-pixel oscillators (a natural-frequency encoder and ``W_y``)."""
    return hasattr(model, "enc_omega") and hasattr(model, "W_y") and hasattr(model, "encode")


def _max_abs_per_unit(hidden, time_axis, unit_axis):
    a = np.abs(np.asarray(hidden))
    a = np.moveaxis(a, (time_axis, unit_axis), (0, 1))
    return a.reshape(a.shape[0], a.shape[1], -1).max(axis=2)  # (time, unit)


def bounded_ratio(hidden, n_steps_trained, *, time_axis=1, unit_axis=2):
    """Per unit: ``max |y|`` over the whole window / ``max |y|`` over its first ``T/2`` steps.

    Parameters
    ----------
    hidden : array-like or xarray.DataArray
        Hidden states whose first time step is step 1, e.g. ``(sample, time, unit, y,
        x)`` of a model export or of :meth:`CoRNN.dynamics`. A DataArray is taken by its
        ``time`` and ``unit`` dims (loaded if lazy).
    n_steps_trained : int
        The horizon ``T`` the model was trained for.
    time_axis, unit_axis : int
        Axes of a plain array.

    Returns
    -------
    ratio : numpy.ndarray, ``(unit,)``
        ``inf`` where the states are all zero over the first ``T/2`` steps but not later.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(1, 41)
    >>> h = np.stack([np.sin(0.3 * t), 0.1 * t], axis=1)[None, :, :, None, None]
    >>> bounded_ratio(h, 20).round(2)   # an oscillation, and a ramp to 4x
    array([1., 4.])
    """
    if hasattr(hidden, "dims") and "time" in hidden.dims:
        time_axis, unit_axis = hidden.dims.index("time"), hidden.dims.index("unit")
        hidden = hidden.values
    half = max(1, int(n_steps_trained) // 2)
    m = _max_abs_per_unit(hidden, time_axis, unit_axis)
    if m.shape[0] < half:
        raise NeurowaveError(
            f"The window holds {m.shape[0]} steps, fewer than T/2 = {half}; record at "
            "least T/2 steps to test whether the states stay bounded."
        )
    first, whole = m[:half].max(axis=0), m.max(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(
            first > 0, whole / np.where(first > 0, first, 1.0), np.where(whole > 0, np.inf, 1.0)
        )
    return r


def states_bounded(hidden, n_steps_trained, *, factor=BOUND_FACTOR, time_axis=1, unit_axis=2):
    """Whether every unit's ``max |y|`` over the window is ``<= factor x`` its max over
    the first ``T/2`` steps (see :func:`bounded_ratio`).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(1, 41)
    >>> states_bounded(np.sin(0.3 * t)[None, :, None], 20)
    True
    >>> states_bounded((0.1 * t)[None, :, None], 20)
    False
    """
    r = bounded_ratio(hidden, n_steps_trained, time_axis=time_axis, unit_axis=unit_axis)
    return bool(np.all(r <= factor))


def _quantiles(values):
    if values.size == 0:
        return None
    q = np.quantile(values, _QUANTILES)
    return {f"q{round(100 * p):02d}": float(v) for p, v in zip(_QUANTILES, q, strict=True)}


def _run(model, images, n_long, batch_size, device):
    """Encoder outputs (before and after the ReLU) and states for 2T steps, batch-wise."""
    import torch

    from .train import resolve_device

    dev = resolve_device(device)
    pre, om, al, ys = [], [], [], []
    with torch.no_grad():
        for i in range(0, len(images), batch_size):
            x = torch.as_tensor(np.asarray(images[i : i + batch_size]), device=dev)
            omega, alpha, y0 = model.encode(x)
            pre.append(model.enc_omega(x).cpu().numpy())
            y = model.integrate(omega, alpha, y0, n_steps=n_long)
            om.append(omega.cpu().numpy())
            al.append(alpha.cpu().numpy())
            ys.append(torch.cat([y0.unsqueeze(1), y], dim=1).cpu().numpy())  # steps 0..2T
    return (np.concatenate(pre), np.concatenate(om), np.concatenate(al), np.concatenate(ys))


def _unit_growth(y, fg, t):
    """Growth of one unit's states ``y`` ``(B, 2T + 1, H, W)`` (step 0 first)."""
    half = max(1, t // 2)
    steps = {"T/2": half, "T": t, "2T": 2 * t}
    amax = np.abs(y[:, 1:]).reshape(y.shape[0], y.shape[1] - 1, -1).max(axis=(0, 2))
    max_abs = {k: float(amax[:s].max()) for k, s in steps.items()}
    if fg is not None and fg.any():
        piece = {k: float(y[:, s][fg].mean()) for k, s in {"0": 0, **steps}.items()}
    else:
        piece = None
    first = max_abs["T/2"]
    ratio = {k: (float(max_abs[k] / first) if first > 0 else float("inf")) for k in ("T", "2T")}
    return {
        "max_abs_y": max_abs,
        "piece_mean_y": piece,
        "growth_ratio": ratio,
        "bounded_within_T": ratio["T"] <= BOUND_FACTOR,
        "bounded_within_2T": ratio["2T"] <= BOUND_FACTOR,
    }


def _unit_warnings(u, d):
    out = []
    live = d["live_omega_fraction"]["foreground"]
    if live is None:
        live = d["live_omega_fraction"]["all"]
    where = "foreground pixel" if d["live_omega_fraction"]["foreground"] is not None else "pixel"
    if live == 0.0:
        out.append(
            f"unit {u}: omega = 0 at every {where} (largest value before its ReLU "
            f"{d['omega_preactivation_max']:.3g}); its oscillators are off, and its "
            "dynamics are the coupling and damping alone."
        )
    elif live < LIVE_FRACTION_MIN:
        out.append(
            f"unit {u}: omega is live at only {100 * live:.0f} % of the {where}s "
            f"(< {100 * LIVE_FRACTION_MIN:.0f} %); most of its oscillators are off."
        )
    g = d["growth_ratio"]
    if g["T"] > BOUND_FACTOR:
        out.append(
            f"unit {u}: its states grow within the trained horizon: max |y| over T "
            f"steps is {g['T']:.3g}x its max over the first T/2."
        )
    elif g["2T"] > BOUND_FACTOR:
        out.append(
            f"unit {u}: its states grow past the trained horizon: max |y| over 2T "
            f"steps is {g['2T']:.3g}x its max over the first T/2; analyse within T."
        )
    return out


def compute_oscillator_diagnostics(
    model, images, labels=None, *, n_steps=None, batch_size=16, device="cpu"
):
    """Per-unit oscillator diagnostics of a CoRNN on ``images``.

    Parameters
    ----------
    model : CoRNN
        A model with per-pixel oscillators (:func:`has_oscillators`).
    images : array-like, ``(N, C, H, W)``
    labels : array-like, ``(N, H, W)`` | None
        Class maps; pixels with a label ``> 0`` are the foreground (the objects). Without
        labels the foreground entries are ``None``.
    n_steps : int | None
        The horizon ``T`` (default: the model's trained ``n_steps``); the states are
        run for ``2 T`` steps.
    batch_size : int
    device : {"cpu", "cuda"}

    Returns
    -------
    diagnostics : dict
        ``n_images``, ``n_steps_trained`` (``T``), ``bound_factor``,
        ``live_fraction_min``, ``units`` (one dict per unit: ``unit``,
        ``live_omega_fraction`` {foreground, background, all}, ``omega`` and ``alpha``
        quantiles {foreground, background}, ``omega_preactivation_max``, ``max_abs_y``
        and ``piece_mean_y`` at {T/2, T, 2T} (piece mean also at step 0),
        ``growth_ratio`` {T, 2T}, ``bounded_within_T``, ``bounded_within_2T``,
        ``live``), ``all_live`` (every unit live over the objects), ``bounded_within_T``,
        ``bounded_within_2T`` (every unit) and ``warnings`` (sentences).

    Examples
    --------
    >>> from neurowave.models import get_model, get_task
    >>> task = get_task("tetrominoes-tiny")
    >>> x, y = task.generate(2, seed=0)
    >>> d = compute_oscillator_diagnostics(get_model("cornn", n_steps=8, mlp_hidden=(4,)), x, y)
    >>> len(d["units"]), sorted(d["units"][0]["max_abs_y"])
    (2, ['2T', 'T', 'T/2'])
    """
    if not has_oscillators(model):
        raise NeurowaveError(
            f"A {type(model).__name__} has no per-pixel oscillators (natural-frequency "
            "encoder and coupling W_y); oscillator diagnostics exist for the CoRNN only."
        )
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or len(images) == 0:
        raise NeurowaveError(
            f"`images` must be a non-empty (N, C, H, W) array, got shape {images.shape}."
        )
    t = int(model.config.n_steps if n_steps is None else n_steps)
    if t < 2:
        raise NeurowaveError(f"`n_steps` must be at least 2, got {t}.")
    fg_all = None
    if labels is not None:
        fg_all = np.asarray(labels) > 0
        if fg_all.shape != (images.shape[0],) + images.shape[2:]:
            raise NeurowaveError(
                f"`labels` must be (N, H, W) = {(images.shape[0],) + images.shape[2:]} "
                f"like the images, got {fg_all.shape}."
            )
    was_training = model.training
    model.eval()
    try:
        pre, om, al, ys = _run(model, images, 2 * t, batch_size, device)
    finally:
        model.train(was_training)
    units, warnings = [], []
    for u in range(om.shape[1]):
        o, a = om[:, u], al[:, u]
        d = {"unit": u}
        if fg_all is not None:
            fgv, bgv = o[fg_all], o[~fg_all]
            d["live_omega_fraction"] = {
                "foreground": float((fgv > 0).mean()) if fgv.size else None,
                "background": float((bgv > 0).mean()) if bgv.size else None,
                "all": float((o > 0).mean()),
            }
            d["omega"] = {"foreground": _quantiles(fgv), "background": _quantiles(bgv)}
            d["alpha"] = {"foreground": _quantiles(a[fg_all]), "background": _quantiles(a[~fg_all])}
        else:
            d["live_omega_fraction"] = {
                "foreground": None,
                "background": None,
                "all": float((o > 0).mean()),
            }
            d["omega"] = {"all": _quantiles(o.ravel())}
            d["alpha"] = {"all": _quantiles(a.ravel())}
        d["omega_preactivation_max"] = float(pre[:, u].max())
        d.update(_unit_growth(ys[:, :, u], fg_all, t))
        live = d["live_omega_fraction"]["foreground"]
        d["live"] = (
            live if live is not None else d["live_omega_fraction"]["all"]
        ) >= LIVE_FRACTION_MIN
        warnings += _unit_warnings(u, d)
        units.append(d)
    return {
        "n_images": len(images),
        "n_steps_trained": t,
        "bound_factor": BOUND_FACTOR,
        "live_fraction_min": LIVE_FRACTION_MIN,
        "units": units,
        "all_live": all(d["live"] for d in units),
        "bounded_within_T": all(d["bounded_within_T"] for d in units),
        "bounded_within_2T": all(d["bounded_within_2T"] for d in units),
        "warnings": warnings,
    }


def summarize_diagnostics(diagnostics):
    """The short form of :func:`compute_oscillator_diagnostics`'s result: per unit the live
    fraction of omega over foreground and background and the growth ratios, plus the
    verdicts and warnings (what ``neurowave list`` and the pretrained metadata show).

    Examples
    --------
    >>> from neurowave.models import get_model, get_task
    >>> x, y = get_task("tetrominoes-tiny").generate(2, seed=0)
    >>> d = compute_oscillator_diagnostics(get_model("cornn", n_steps=8, mlp_hidden=(4,)), x, y)
    >>> sorted(summarize_diagnostics(d))  # doctest: +NORMALIZE_WHITESPACE
    ['all_live', 'bounded_within_2T', 'bounded_within_T', 'growth_ratio_2T',
     'growth_ratio_T', 'live_omega_background', 'live_omega_foreground', 'n_images',
     'n_steps_trained', 'warnings']
    """
    units = diagnostics["units"]
    return {
        "n_images": diagnostics["n_images"],
        "n_steps_trained": diagnostics["n_steps_trained"],
        "live_omega_foreground": [u["live_omega_fraction"]["foreground"] for u in units],
        "live_omega_background": [u["live_omega_fraction"]["background"] for u in units],
        "growth_ratio_T": [u["growth_ratio"]["T"] for u in units],
        "growth_ratio_2T": [u["growth_ratio"]["2T"] for u in units],
        "all_live": diagnostics["all_live"],
        "bounded_within_T": diagnostics["bounded_within_T"],
        "bounded_within_2T": diagnostics["bounded_within_2T"],
        "warnings": list(diagnostics["warnings"]),
    }


def _pct(v):
    return "-" if v is None else f"{100 * v:.0f} %"


def diagnostic_rows(diagnostics, *, prefix=""):
    """``(label, text)`` table rows of a diagnostics dict (full or summarized), one per unit
    and verdict, for the command-line tables."""
    s = (
        diagnostics
        if "live_omega_foreground" in diagnostics
        else summarize_diagnostics(diagnostics)
    )
    rows = []
    for u, (fg, bg, gt, g2) in enumerate(
        zip(
            s["live_omega_foreground"],
            s["live_omega_background"],
            s["growth_ratio_T"],
            s["growth_ratio_2T"],
            strict=True,
        )
    ):
        live = f"{_pct(fg)} of object pixels, {_pct(bg)} of background"
        growth = f"{gt:.2f}x over T, {g2:.2f}x over 2T (vs first T/2; bounded if <= 2)"
        rows.append((f"{prefix}unit {u}: live omega", live))
        rows.append((f"{prefix}unit {u}: max |y| growth", growth))
    return rows
