"""Circular statistics of angles: wrapping, mean direction and resultant length.

The one home of the circular helpers that the measures (and the comparison of a model
with a recording) use for directions of travel and phase differences:

* :func:`wrap` brings angles (radians) to the principal interval around 0;
* :func:`circular_mean` and :func:`resultant_length` are the mean direction and the
  length of the mean unit vector (1: all angles equal, 0: no preferred direction);
* :func:`mean_resultant` gives both from one pass over the data.

Angles are radians unless ``deg=True``. Non-finite angles (dead sites, frames without a
wave) are left out; an empty sample has mean and length NaN. The mean lies in
``[0, 2 pi)`` (``[0, 360)`` degrees), as :func:`scipy.stats.circmean` returns it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["wrap", "circular_mean", "resultant_length", "mean_resultant"]

TWO_PI = 2.0 * np.pi


def wrap(angles, *, out=None):
    """Wrap angles (radians) to ``[-pi, pi]``: subtract the nearest whole turn.

    Parameters
    ----------
    angles : array_like
        Angles in radians.
    out : numpy.ndarray | None
        A float array to write the result to; pass ``out=angles`` to wrap a float array
        in place (its dtype is kept: float32 kernels stay float32). None: a new
        float64 array.

    Returns
    -------
    numpy.ndarray
        ``angles - 2 pi * round(angles / 2 pi)``: an angle already in ``(-pi, pi)``
        comes back unchanged, bit for bit; an odd multiple of pi goes to ``+-pi``.
        The same as ``numpy.angle(numpy.exp(1j * angles))`` without complex numbers.

    Examples
    --------
    >>> import numpy as np
    >>> from neurowave.waves.circular import wrap
    >>> wrap(np.array([0.5, 3 * np.pi / 2, -7.0])).round(4)
    array([ 0.5   , -1.5708, -0.7168])
    """
    if out is None:
        out = np.array(angles, dtype=float)
    elif out is not angles:
        out[...] = angles
    out -= out.dtype.type(TWO_PI) * np.rint(out * out.dtype.type(1.0 / TWO_PI))
    return out


def _unit_vectors(angles, deg, axis):
    """Mean unit vector of the finite angles (complex), over ``axis`` (None: all)."""
    a = np.asarray(angles, float)
    if deg:
        a = np.deg2rad(a)
    if axis is None:
        a = a[np.isfinite(a)]
        return np.exp(1j * a).mean() if a.size else complex(np.nan, np.nan)
    ok = np.isfinite(a)
    z = np.where(ok, np.exp(1j * np.where(ok, a, 0.0)), 0.0).sum(axis=axis)
    n = ok.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, z / np.maximum(n, 1), complex(np.nan, np.nan))


def _as_result(x):
    return float(x) if np.ndim(x) == 0 else x


def mean_resultant(angles, *, deg=False, axis=None):
    """Mean direction and resultant length of a sample of angles.

    Parameters
    ----------
    angles : array_like
        Angles in radians (degrees if ``deg``); non-finite values are left out.
    deg : bool
        Angles, and the mean returned, in degrees.
    axis : int | None
        Axis to average over; None: all angles.

    Returns
    -------
    mean : float | numpy.ndarray
        Direction of the mean unit vector in ``[0, 2 pi)`` (``[0, 360)`` if ``deg``);
        NaN for an empty sample.
    length : float | numpy.ndarray
        Length of the mean unit vector, in ``[0, 1]``; NaN for an empty sample.

    Examples
    --------
    >>> from neurowave.waves.circular import mean_resultant
    >>> m, r = mean_resultant([350.0, 10.0, float("nan")], deg=True)
    >>> round(m, 6) % 360, round(r, 4)
    (0.0, 0.9848)
    """
    z = _unit_vectors(angles, deg, axis)
    if deg:
        mean = np.mod(np.rad2deg(np.angle(z)), 360.0)
    else:
        mean = np.mod(np.angle(z), TWO_PI)
    return _as_result(mean), _as_result(np.abs(z))


def circular_mean(angles, *, deg=False, axis=None):
    """Mean direction of a sample of angles (see :func:`mean_resultant`).

    Equals :func:`scipy.stats.circmean` (``nan_policy="omit"``) to rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from neurowave.waves.circular import circular_mean
    >>> round(circular_mean(np.array([0.1, 2 * np.pi - 0.1, 0.3])), 4)
    0.1
    """
    return mean_resultant(angles, deg=deg, axis=axis)[0]


def resultant_length(angles, *, deg=False, axis=None):
    """Length of the mean unit vector of a sample of angles (see :func:`mean_resultant`).

    ``1 - resultant_length`` is the circular variance of :func:`scipy.stats.circvar`.

    Examples
    --------
    >>> from neurowave.waves.circular import resultant_length
    >>> resultant_length([0.0, 180.0], deg=True) < 1e-12
    True
    """
    return mean_resultant(angles, deg=deg, axis=axis)[1]
