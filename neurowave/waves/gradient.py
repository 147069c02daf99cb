"""Phase gradients by wrapped differences (regular grids) or local least squares."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ._xr import carry_attrs, check_measure_input, geometry, grid_units, over_space

__all__ = ["compute_phase_gradient"]


def compute_phase_gradient(phase, *, step=1):
    """Spatial gradient of phase, in radians per space unit.

    On a regular grid (``("time", "y", "x")``) each site averages the wrapped
    (complex-multiplication, ``angle(exp(1j * (phi_j - phi_i)))``) differences to its
    two neighbours along x and along y, divided by their distance; a dead neighbour
    removes only its own difference, an edge site uses its one neighbour, and an axis
    with a single row or column has gradient 0 along it (a strip measures the
    projection of the wave on its axis). On an irregular layout
    (``("time", "channel")``) each site fits ``grad phi`` by least squares to the wrapped
    differences to its valid neighbours (within 1.75 times the median nearest-neighbour
    distance, at least three). Dead sites are NaN.

    Parameters
    ----------
    phase : xarray.DataArray
        Phase in radians, as returned by :func:`~neurowave.waves.compute_phase`.
    step : int
        Stencil: differences between sites ``step`` apart (on an irregular layout, a
        neighbourhood ``step`` times wider). Pixel-dense grids (imaging) whose waves are
        many sites long measure the gradient with less noise at ``step > 1``; a wave
        must stay longer than ``2 * step`` sites.

    Returns
    -------
    gradient : xarray.Dataset
        ``dx`` and ``dy`` (float32, rad per space unit), same dims and coords as
        ``phase``. The attrs keep the grid's sampling rate, units and band.

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> from neurowave.waves import compute_phase
    >>> grid, truth = simulate_wave("planar", speed=0.2, direction=0, frequency=10,
    ...                             duration=2.0, seed=0)
    >>> g = compute_phase_gradient(compute_phase(grid, band=(8, 12)))
    >>> k = 2 * 3.14159 * 10 / 200.0  # rad/mm for 0.2 m/s at 10 Hz
    >>> round(float(-g.dx.isel(time=slice(500, 1500)).median()) / k, 1)
    1.0
    """
    if hasattr(phase, "dtype") and np.issubdtype(phase.dtype, np.complexfloating):
        raise TypeError("`phase` must be real phase in radians, not a complex signal; "
                        "pass compute_phase(...) or numpy.angle of it.")
    check_measure_input(phase, "phase")
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1:
        raise ValueError(f"`step` must be a positive integer, got {step!r}.")
    sr, tu, su = grid_units(phase)
    kernel, geom = geometry(phase, step)
    if "channel" in phase.dims and not hasattr(phase.data, "dask"):
        from . import _kernels as K

        valid = np.isfinite(phase.values.reshape(phase.sizes["time"], -1)).any(axis=0)
        geom = dict(geom, ops=K.ls_neighbours(geom["pos"], valid, radius_factor=1.75 * step))
    dx, dy = over_space(kernel, phase, n_out=2, kwargs=geom)
    units = f"rad/{su}"
    attrs = carry_attrs(phase, units=units, sampling_rate=sr, time_units=tu, space_units=su)
    attrs.pop("phase_method", None)
    ds = xr.Dataset({"dx": dx, "dy": dy})
    for v in ("dx", "dy"):
        ds[v].attrs = {"units": units, "long_name": f"phase gradient along {v[1]}"}
    ds.attrs = dict(attrs, phase_method=phase.attrs.get("phase_method"))
    if ds.attrs["phase_method"] is None:
        ds.attrs.pop("phase_method")
    ds.attrs.pop("units", None)
    ds.attrs["gradient_units"] = units
    ds.attrs["gradient_step"] = int(step)
    return ds
