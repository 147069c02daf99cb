"""Per-frame and per-site wave measures: PGD, speed, direction, wavelength."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._validate import NeurowaveTypeError, check_option
from . import _kernels as K
from ._xr import MIN_SITES, over_space, speed_factor
from .phase import compute_frequency

__all__ = [
    "compute_pgd",
    "compute_speed",
    "compute_direction",
    "compute_wavelength",
    "compute_frame_measures",
]


def _check_gradient(gradient):
    if not isinstance(gradient, xr.Dataset) or not {"dx", "dy"} <= set(gradient.data_vars):
        raise NeurowaveTypeError(
            "`gradient` must be the xarray.Dataset with `dx` and `dy` returned by "
            f"compute_phase_gradient, got {type(gradient).__name__}."
        )
    return gradient["dx"], gradient["dy"]


def _units(obj):
    tu = obj.attrs.get("time_units", "s")
    su = obj.attrs.get("space_units", "mm")
    return tu, su


def compute_pgd(gradient, *, min_sites=MIN_SITES):
    """Phase gradient directionality of each frame.

    ``PGD = |mean grad phi| / mean |grad phi|`` over the valid sites of the frame: 1 for
    a plane wave, near 0 for spatially unstructured phase (and for radial and rotating
    waves). Frames with fewer than ``min_sites`` valid sites are NaN.

    Parameters
    ----------
    gradient : xarray.Dataset
        From :func:`~neurowave.waves.compute_phase_gradient`.
    min_sites : int

    Returns
    -------
    pgd : xarray.DataArray
        dims ``("time",)``, float32 in [0, 1].

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> from neurowave.waves import compute_phase, compute_phase_gradient
    >>> grid, _ = simulate_wave("planar", frequency=10, duration=1.0, seed=0)
    >>> g = compute_phase_gradient(compute_phase(grid, band=(8, 12)))
    >>> round(float(compute_pgd(g).isel(time=500)), 3)
    1.0
    """
    dx, dy = _check_gradient(gradient)
    out = over_space(K.pgd_kernel, dx, dy, out_core=[[]], kwargs={"min_sites": min_sites})
    out.name = "pgd"
    out.attrs = {"long_name": "phase gradient directionality", "units": "1"}
    return out


def compute_direction(gradient, *, min_sites=MIN_SITES):
    """Direction of travel of each frame: the angle of ``-mean grad phi``.

    Returns
    -------
    direction : xarray.DataArray
        dims ``("time",)``, degrees in [0, 360), counter-clockwise from +x toward +y.

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> from neurowave.waves import compute_phase, compute_phase_gradient
    >>> grid, _ = simulate_wave("planar", direction=135, frequency=10, duration=1.0, seed=0)
    >>> g = compute_phase_gradient(compute_phase(grid, band=(8, 12)))
    >>> round(float(compute_direction(g).isel(time=500)))
    135
    """
    dx, dy = _check_gradient(gradient)
    out = over_space(K.direction_kernel, dx, dy, out_core=[[]], kwargs={"min_sites": min_sites})
    out.name = "direction"
    out.attrs = {"long_name": "direction of travel", "units": "deg"}
    return out


def compute_speed(phase, gradient, *, per="site", min_sites=MIN_SITES):
    """Phase speed ``|dphi/dt| / |grad phi|``.

    Parameters
    ----------
    phase : xarray.DataArray
        From :func:`~neurowave.waves.compute_phase`.
    gradient : xarray.Dataset
        From :func:`~neurowave.waves.compute_phase_gradient` of ``phase``.
    per : {"site", "frame"}
        ``"site"``: the speed at every site and time. ``"frame"``: one robust speed per
        frame, ``|mean dphi/dt| / |mean grad phi|`` over the valid sites (averaging before
        dividing keeps noise from biasing |grad phi| upward, which would bias per-site
        speeds downward); meaningful for plane waves (high PGD).
    min_sites : int
        Frames with fewer valid sites are NaN (``per="frame"``).

    Returns
    -------
    speed : xarray.DataArray
        In m/s for recordings (time in s, space in mm), in cells/step for models (in
        general space unit per time unit); ``attrs["units"]`` says which.

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> from neurowave.waves import compute_phase, compute_phase_gradient
    >>> grid, _ = simulate_wave("planar", speed=0.25, frequency=10, duration=2.0, seed=0)
    >>> phase = compute_phase(grid, band=(8, 12))
    >>> s = compute_speed(phase, compute_phase_gradient(phase), per="frame")
    >>> round(float(s.isel(time=slice(500, 1500)).median()), 2), s.attrs["units"]
    (0.25, 'm/s')
    """
    check_option("per", per, ("site", "frame"))
    dx, dy = _check_gradient(gradient)
    tu, su = _units(gradient)
    scale, unit = speed_factor(tu, su)
    freq = compute_frequency(phase)
    if per == "site":
        out = (2 * np.pi * abs(freq)) / np.hypot(dx, dy) * np.float32(scale)
        out = out.astype(np.float32)
    else:
        out = over_space(
            K.frame_speed_kernel,
            freq,
            dx,
            dy,
            out_core=[[]],
            kwargs={"min_sites": min_sites, "scale": scale},
        )
    out.name = "speed"
    out.attrs = {"long_name": "phase speed", "units": unit}
    return out


def compute_wavelength(gradient, *, per="site", min_sites=MIN_SITES):
    """Wavelength ``2 pi / |grad phi|`` in space units (mm or cells).

    ``per="frame"`` uses ``2 pi / |mean grad phi|`` over the valid sites of each frame.

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> from neurowave.waves import compute_phase, compute_phase_gradient
    >>> grid, truth = simulate_wave("planar", speed=0.1, frequency=10, duration=2.0, seed=0)
    >>> g = compute_phase_gradient(compute_phase(grid, band=(8, 12)))
    >>> wl = compute_wavelength(g, per="frame").isel(time=slice(500, 1500)).median()
    >>> round(float(wl)), truth.wavelength
    (10, 10.0)
    """
    check_option("per", per, ("site", "frame"))
    dx, dy = _check_gradient(gradient)
    _, su = _units(gradient)
    if per == "site":
        out = (2 * np.pi / np.hypot(dx, dy)).astype(np.float32)
    else:
        out = over_space(
            K.frame_wavelength_kernel, dx, dy, out_core=[[]], kwargs={"min_sites": min_sites}
        )
    out.name = "wavelength"
    out.attrs = {"long_name": "wavelength", "units": su}
    return out


def compute_frame_measures(phase, gradient, *, min_sites=MIN_SITES):
    """PGD, direction, speed, wavelength and frequency of every frame in one pass.

    The same numbers as :func:`compute_pgd`, :func:`compute_direction`,
    ``compute_speed(per="frame")``, ``compute_wavelength(per="frame")`` and the mean
    instantaneous frequency over the valid sites, computed together (one reading of the
    gradient).

    Returns
    -------
    frames : xarray.Dataset
        Over ``"time"``: ``pgd``, ``direction`` (deg), ``speed`` (m/s or cells/step),
        ``wavelength`` (space units), ``frequency`` (Hz or cycles/step).

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> from neurowave.waves import compute_phase, compute_phase_gradient
    >>> grid, _ = simulate_wave("planar", speed=0.2, direction=30, frequency=10,
    ...                         duration=2.0, seed=0)
    >>> phase = compute_phase(grid, band=(8, 12))
    >>> fm = compute_frame_measures(phase, compute_phase_gradient(phase)).isel(time=1000)
    >>> round(float(fm.speed), 2), round(float(fm.direction)), round(float(fm.pgd), 2)
    (0.2, 30, 1.0)
    """
    dx, dy = _check_gradient(gradient)
    tu, su = _units(gradient)
    scale, unit = speed_factor(tu, su)
    freq = compute_frequency(phase)
    outs = over_space(
        K.frame_measures_kernel,
        freq,
        dx,
        dy,
        n_out=5,
        out_core=[[]] * 5,
        kwargs={"min_sites": min_sites, "scale": scale},
    )
    names = ("pgd", "direction", "speed", "wavelength", "frequency")
    attrs = (
        {"long_name": "phase gradient directionality", "units": "1"},
        {"long_name": "direction of travel", "units": "deg"},
        {"long_name": "phase speed", "units": unit},
        {"long_name": "wavelength", "units": su},
        {
            "long_name": "mean instantaneous frequency",
            "units": "Hz" if tu == "s" else f"cycles/{tu}",
        },
    )
    ds = xr.Dataset({n: o for n, o in zip(names, outs, strict=True)})
    for n, a in zip(names, attrs, strict=True):
        ds[n].attrs = a
    return ds
