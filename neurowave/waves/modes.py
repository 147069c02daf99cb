"""Spatial modes of phase fields by complex singular value decomposition.

The unit phasors ``exp(i phi)`` of all valid sites over time form a complex matrix
``Z`` (time x sites); its SVD ``Z = U S V^H`` gives spatial modes (rows of ``V^H``),
their time courses (``U S``; ``Z = sum_m temporal_m x spatial_m``) and the share of variance each carries (``S^2 / sum S^2``).
A plane wave ``exp(i (omega t - k . p))`` is a single mode whose spatial phase
is a plane with gradient ``-k``; a standing or rotating pattern
occupies its own modes (cf. complex principal components of traveling waves,
Feeny 2008; Horel 1984). Each mode's spatial phase is fitted by a plane
(circular-linear regression) for its wavelength and direction of travel, and its time
course gives its frequency.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._validate import NeurowaveError, validate_type
from ._est_common import check_phase
from ._xr import speed_factor, units
from .circular import wrap
from .fits import _fit_all, _Geometry

__all__ = ["compute_phase_modes"]


def compute_phase_modes(phase, *, n_modes=3, center=False):
    """Complex SVD of a phase field: spatial modes, time courses, explained variance.

    Parameters
    ----------
    phase : xarray.DataArray
        Phase in radians, dims ``("time", "y", "x")`` or ``("time", "channel")``. Dead
        sites are left out (NaN in the modes); frames with NaN at a valid site count
        that site as 0.
    n_modes : int
        Modes returned.
    center : bool
        Subtract each site's temporal mean phasor first (removes a standing offset).

    Returns
    -------
    modes : xarray.Dataset
        ``spatial`` (complex, ``("mode", *spatial dims)``, unit-norm rows of V^H),
        ``temporal`` (complex, ``("time", "mode")``, U S), ``singular_value``,
        ``explained`` (share of the total squared singular values), and per mode from
        the plane fit of ``angle(spatial)``: ``plane_r`` (resultant length of the
        residuals, 1 = a perfect plane), ``wavelength`` (space units), ``direction``
        (degrees of travel, for the time course's sense of rotation), ``frequency`` (of
        the time course, Hz or cycles/step) and ``speed`` (wavelength x frequency;
        m/s for recordings, cells/step for models).

    Examples
    --------
    >>> import numpy as np, neurowave as nw
    >>> t = np.arange(500) / 500.0
    >>> yy, xx = np.mgrid[0:8, 0:8] * 0.4
    >>> ph = 2 * np.pi * 8 * t[:, None, None] - 2 * np.pi * 8 / 200.0 * yy[None]
    >>> m = compute_phase_modes(nw.make_grid(np.angle(np.exp(1j * ph)), sampling_rate=500.0,
    ...                                      spacing=0.4))
    >>> round(float(m.explained[0]), 3), round(float(m.direction[0])), round(float(m.speed[0]), 2)
    (1.0, 90, 0.2)
    """
    validate_type(n_modes, "int", "n_modes")
    if n_modes < 1:
        raise NeurowaveError(f"`n_modes` must be at least 1, got {n_modes}.")
    sdims, pos, sr = check_phase(phase)
    tu, su = units(phase)
    factor, sunit = speed_factor(tu, su)
    nt = phase.sizes["time"]
    v = np.asarray(phase.values, float).reshape(nt, -1)
    valid = np.isfinite(v).any(0)
    z = np.exp(1j * np.nan_to_num(v[:, valid])) * np.isfinite(v[:, valid])
    if center:
        z = z - z.mean(0, keepdims=True)
    u, s, vh = np.linalg.svd(z, full_matrices=False)
    k = min(n_modes, len(s))
    total = float((s**2).sum()) or 1.0
    spatial = np.full((k, v.shape[1]), np.nan + 0j)
    spatial[:, valid] = vh[:k]  # Z = sum_m temporal[:, m] x spatial[m]
    temporal = u[:, :k] * s[:k]
    # per-mode plane fit of the spatial phase, frequency of the time course
    geo = _Geometry(pos, valid)
    sphi = np.angle(vh[:k])
    fit = _fit_all(sphi, geo, ("plane",))["plane"]
    kvec = fit["k"]
    dth = wrap(np.diff(np.angle(temporal), axis=0))
    omega = np.median(dth, axis=0) * sr  # rad per time unit
    sgn = np.where(omega < 0, -1.0, 1.0)
    kn = np.hypot(kvec[:, 0], kvec[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        wavelength = 2 * np.pi / kn
        freq = np.abs(omega) / (2 * np.pi)
        # spatial mode ~ exp(-i k.p) for a wave exp(i(omega t - k.p)): travel is
        # -grad(angle spatial) for positive omega
        direction = np.degrees(np.arctan2(-sgn * kvec[:, 1], -sgn * kvec[:, 0])) % 360.0
        speed = wavelength * freq * factor
    shape = phase.shape[1:]
    coords = {c: phase.coords[c] for c in phase.coords if set(phase.coords[c].dims) <= set(sdims)}
    coords["time"] = phase["time"]
    coords["mode"] = np.arange(k)
    ds = xr.Dataset(
        {
            "spatial": (("mode",) + sdims, spatial.reshape((k,) + shape)),
            "temporal": (("time", "mode"), temporal),
            "singular_value": ("mode", s[:k]),
            "explained": ("mode", (s[:k] ** 2) / total),
            "plane_r": ("mode", fit["r"]),
            "wavelength": ("mode", wavelength, {"units": su}),
            "direction": ("mode", direction, {"units": "deg"}),
            "frequency": ("mode", freq, {"units": "Hz" if tu == "s" else f"cycles/{tu}"}),
            "speed": ("mode", speed, {"units": sunit}),
        },
        coords=coords,
    )
    ds.attrs.update(n_modes=int(k), center=bool(center))
    return ds
