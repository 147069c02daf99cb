"""Private xarray plumbing shared by the wave measures.

The layout and units of a wave grid (:func:`spatial_dims`, :func:`units`,
:func:`grid_units`, :func:`speed_factor`), the validation of a measure's input, and the
``apply_ufunc`` wrappers that run the NumPy kernels of :mod:`._kernels` along time or
over the sites of each frame, lazily on dask arrays.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._validate import NeurowaveError
from ..grid import validate_grid

#: the fewest valid sites a frame needs for a phase gradient
MIN_SITES = 3


def is_dask(da):
    return hasattr(da.data, "dask")


def spatial_dims(da):
    """The spatial dims of a wave grid: ``("y", "x")`` or ``("channel",)``."""
    if "channel" in da.dims:
        return ("channel",)
    if "y" in da.dims and "x" in da.dims:
        return ("y", "x")
    raise NeurowaveError(
        f"`phase` has dims {tuple(da.dims)}, but a wave grid has dims ('time', 'y', 'x') or "
        "('time', 'channel'). Pass the output of neurowave.waves.compute_phase."
    )


def units(da):
    """(time_units, space_units) of a grid, defaulting to ("s", "mm")."""
    if "time" in da.coords:
        tu = da["time"].attrs.get("units", da.attrs.get("time_units", "s"))
    else:
        tu = da.attrs.get("time_units", "s")
    if "x" in da.coords:
        su = da["x"].attrs.get("units", da.attrs.get("space_units", "mm"))
    else:
        su = da.attrs.get("space_units", "mm")
    return str(tu), str(su)


def grid_units(da):
    """(sampling_rate, time_units, space_units) of a grid, phase or gradient."""
    sr = da.attrs.get("sampling_rate")
    if sr is None:
        t = np.asarray(da["time"].values, float)
        sr = 1.0 / np.median(np.diff(t)) if t.size > 1 else 1.0
    return (float(sr),) + units(da)


def speed_factor(time_units, space_units):
    """Factor turning (space unit / time unit) into the reported speed unit, and its name.

    Recordings (mm, s) are reported in m/s (= mm/ms): mm/s / 1000. Models (cell, step) in
    cells/step.
    """
    if space_units == "mm" and time_units == "s":
        return 1e-3, "m/s"
    if space_units == "cell" and time_units == "step":
        return 1.0, "cells/step"
    return 1.0, f"{space_units}/{time_units}"


def check_measure_input(da, name, *, min_sites=MIN_SITES, real=True):
    """Validate a grid-like input of a measure (a grid or a phase) and return GridInfo.

    Dask-backed inputs are not scanned for dead sites here, so that they stay lazy.
    """
    # a recording ("grid") must be sampled as its coordinate says; a phase may be a
    # selection of frames (issue 36)
    check_time = name == "grid"
    if isinstance(da, xr.DataArray) and is_dask(da):
        return validate_grid(
            da, name=name, min_sites=min_sites, check_valid=False, check_time=check_time
        )
    return validate_grid(da, name=name, min_sites=min_sites, check_time=check_time)


def geometry(da, step=1):
    """(kernel, geom kwargs) of the gradient for the layout of ``da``."""
    from . import _kernels as K

    if "channel" in da.dims:
        pos = np.column_stack(
            [np.asarray(da["x"].values, float), np.asarray(da["y"].values, float)]
        )
        return K.grad_ls_kernel, {"pos": pos, "step": int(step)}
    return K.grad_grid_kernel, {
        "x": np.asarray(da["x"].values, float),
        "y": np.asarray(da["y"].values, float),
        "step": int(step),
    }


def along_time(func, da, *, depth, dtype, **kwargs):
    """Apply ``func(arr, axis=0, **kwargs)`` along time, lazily for dask arrays.

    A dask array with several time chunks is processed chunk by chunk with ``depth``
    samples of overlap on each side (``map_overlap``), so that memory is set by the chunk
    size; with one time chunk each block is processed whole.
    """
    dims = list(da.dims)

    def run(arr):
        if hasattr(arr, "dask"):
            if arr.numblocks[0] == 1:
                return arr.map_blocks(func, dtype=dtype, axis=0, **kwargs)
            d = int(max(1, min(depth, min(arr.chunks[0]))))
            dep = {i: 0 for i in range(arr.ndim)}
            dep[0] = d
            return arr.map_overlap(func, depth=dep, boundary="none", dtype=dtype, axis=0, **kwargs)
        return func(arr, axis=0, **kwargs)

    return xr.apply_ufunc(run, da, input_core_dims=[dims], output_core_dims=[dims], dask="allowed")


def over_space(func, *das, n_out=1, out_core=None, dtype=np.float32, kwargs=None, extra_core=None):
    """``xr.apply_ufunc`` of a spatial kernel over frames (``dask="parallelized"``)."""
    core = list(spatial_dims(das[0]))
    in_core = [
        core if (extra_core is None or extra_core[i] is None) else extra_core[i]
        for i in range(len(das))
    ]
    if out_core is None:
        out_core = [core] * n_out
    return xr.apply_ufunc(
        func,
        *das,
        input_core_dims=in_core,
        output_core_dims=out_core,
        dask="parallelized",
        output_dtypes=[dtype] * n_out,
        dask_gufunc_kwargs={"allow_rechunk": True},
        kwargs=kwargs or {},
    )


def carry_attrs(src, **extra):
    """Attributes of a derived array: the grid's provenance plus ``extra``."""
    keep = {k: v for k, v in src.attrs.items() if k not in ("units", "long_name")}
    keep.update(extra)
    return keep


def time_depth(sampling_rate, band):
    """Overlap (samples) for chunked time filtering: five periods of the band width."""
    if band is None:
        return 1
    lo, hi = band
    width = max(hi - lo, 1e-12)
    return int(np.ceil(5.0 * sampling_rate / min(width, max(lo, width))))
