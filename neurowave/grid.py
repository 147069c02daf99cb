"""Wave grids: the one data model of neurowave.

A wave grid is an :class:`xarray.DataArray` in one of two layouts:

* regular grid, dims ``("time", "y", "x")`` with float coords ``y`` and ``x``;
* irregular layout, dims ``("time", "channel")`` with coords ``x(channel)`` and
  ``y(channel)``.

A dead or missing site is a site whose values are NaN for all time. It is never
dropped and never filled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from ._validate import NeurowaveError, NeurowaveTypeError, check_option, check_positive

__all__ = [
    "make_grid",
    "make_channel_grid",
    "validate_grid",
    "GridInfo",
    "site_positions",
    "grid_spacing",
    "TIME_UNITS",
    "SPACE_UNITS",
]

TIME_UNITS = ("s", "step")
SPACE_UNITS = ("mm", "cell")
GRID_DIMS = ("time", "y", "x")
CHANNEL_DIMS = ("time", "channel")


def _time_coord(n_times, sampling_rate, t0, time_units):
    t = t0 + np.arange(n_times, dtype=float) / sampling_rate
    return xr.Variable("time", t, attrs={"units": time_units, "long_name": "time"})


def _base_attrs(sampling_rate, kind, source, time_units, space_units, attrs):
    out = {
        "sampling_rate": float(sampling_rate),
        "source": str(source),
        "kind": kind,
        "time_units": time_units,
        "space_units": space_units,
    }
    if attrs:
        out.update(attrs)
    return out


def make_grid(
    data,
    *,
    sampling_rate,
    x=None,
    y=None,
    spacing=1.0,
    t0=0.0,
    time_units="s",
    space_units="mm",
    kind="recording",
    source="",
    name="signal",
    attrs=None,
):
    """Build a regular wave grid with dims ``("time", "y", "x")``.

    Parameters
    ----------
    data : array-like, shape (n_times, n_y, n_x)
        Samples; NaN for all time marks a dead or missing site. A dask array stays lazy.
    sampling_rate : float
        Samples per time unit (Hz for recordings, 1/dt per step for models).
    x, y : array-like | None
        Site positions along each axis; default ``arange(n) * spacing``.
    spacing : float
        Pitch used when ``x``/``y`` are not given.
    t0 : float
        Time of the first sample.
    time_units : {"s", "step"}
    space_units : {"mm", "cell"}
    kind : {"recording", "model"}
    source : str
        File path or model id.
    name : str
        Name of the DataArray.
    attrs : dict | None
        Further provenance (subject, array id, band, ...).

    Returns
    -------
    grid : xarray.DataArray

    Examples
    --------
    >>> import numpy as np
    >>> g = make_grid(np.zeros((100, 4, 5)), sampling_rate=1000.0, spacing=0.4)
    >>> g.dims, float(g.x[1])
    (('time', 'y', 'x'), 0.4)
    """
    check_option("time_units", time_units, TIME_UNITS)
    check_option("space_units", space_units, SPACE_UNITS)
    check_option("kind", kind, ("recording", "model"))
    sampling_rate = check_positive(sampling_rate, "sampling_rate")
    if not hasattr(data, "ndim"):
        data = np.asarray(data, dtype=float)
    if data.ndim != 3:
        raise NeurowaveError(
            f"`data` must have shape (n_times, n_y, n_x), got {data.ndim} dimension(s) "
            f"{tuple(data.shape)}. Use make_channel_grid for (n_times, n_channels)."
        )
    nt, ny, nx = data.shape
    x = np.arange(nx, dtype=float) * spacing if x is None else np.asarray(x, dtype=float)
    y = np.arange(ny, dtype=float) * spacing if y is None else np.asarray(y, dtype=float)
    if x.shape != (nx,) or y.shape != (ny,):
        raise NeurowaveError(
            f"`x` and `y` must have {nx} and {ny} positions to match `data` {tuple(data.shape)}, "
            f"got {x.shape[0] if x.ndim else 0} and {y.shape[0] if y.ndim else 0}."
        )
    coords = {
        "time": _time_coord(nt, sampling_rate, t0, time_units),
        "y": xr.Variable("y", y, attrs={"units": space_units}),
        "x": xr.Variable("x", x, attrs={"units": space_units}),
    }
    return xr.DataArray(
        data,
        dims=GRID_DIMS,
        coords=coords,
        name=name,
        attrs=_base_attrs(sampling_rate, kind, source, time_units, space_units, attrs),
    )


def make_channel_grid(
    data,
    *,
    sampling_rate,
    x,
    y,
    channels=None,
    t0=0.0,
    time_units="s",
    space_units="mm",
    kind="recording",
    source="",
    name="signal",
    attrs=None,
):
    """Build an irregular-layout wave grid with dims ``("time", "channel")``.

    Parameters
    ----------
    data : array-like, shape (n_times, n_channels)
    sampling_rate : float
    x, y : array-like, shape (n_channels,)
        Positions of each channel on a 2-D sheet.
    channels : list of str | None
        Channel names; default ``"ch0", "ch1", ...``.
    t0, time_units, space_units, kind, source, name, attrs
        As in :func:`make_grid`.

    Returns
    -------
    grid : xarray.DataArray

    Examples
    --------
    >>> import numpy as np
    >>> g = make_channel_grid(np.zeros((10, 3)), sampling_rate=100.0,
    ...                       x=[0, 1, 2], y=[0, 0, 1])
    >>> g.dims, list(g.channel.values)
    (('time', 'channel'), ['ch0', 'ch1', 'ch2'])
    """
    check_option("time_units", time_units, TIME_UNITS)
    check_option("space_units", space_units, SPACE_UNITS)
    check_option("kind", kind, ("recording", "model"))
    sampling_rate = check_positive(sampling_rate, "sampling_rate")
    if not hasattr(data, "ndim"):
        data = np.asarray(data, dtype=float)
    if data.ndim != 2:
        raise NeurowaveError(
            f"`data` must have shape (n_times, n_channels), got {tuple(data.shape)}. "
            "Use make_grid for (n_times, n_y, n_x)."
        )
    nt, nc = data.shape
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != (nc,) or y.shape != (nc,):
        raise NeurowaveError(
            f"`x` and `y` must hold one position per channel ({nc}), got {x.size} and {y.size}."
        )
    if channels is None:
        channels = [f"ch{i}" for i in range(nc)]
    channels = [str(c) for c in channels]
    if len(channels) != nc or len(set(channels)) != nc:
        raise NeurowaveError(f"`channels` must be {nc} unique names, got {len(channels)}.")
    coords = {
        "time": _time_coord(nt, sampling_rate, t0, time_units),
        "channel": xr.Variable("channel", np.array(channels, dtype=object)),
        "x": xr.Variable("channel", x, attrs={"units": space_units}),
        "y": xr.Variable("channel", y, attrs={"units": space_units}),
    }
    return xr.DataArray(
        data,
        dims=CHANNEL_DIMS,
        coords=coords,
        name=name,
        attrs=_base_attrs(sampling_rate, kind, source, time_units, space_units, attrs),
    )


@dataclass(frozen=True)
class GridInfo:
    """What :func:`validate_grid` learned about a wave grid."""

    layout: str  # "grid" or "channel"
    n_times: int
    n_sites: int
    n_valid_sites: int
    grid_shape: tuple  # (n_y, n_x) or (n_channels,)
    sampling_rate: float
    time_units: str
    space_units: str
    spacing: float  # median nearest-neighbour distance between sites

    @property
    def duration(self):
        return self.n_times / self.sampling_rate


#: relative disagreement allowed between ``sampling_rate`` and the time coordinate, and
#: between one time step and the median step (float stamps, acquisition jitter)
TIME_TOLERANCE = 0.01


def _time_values(da):
    return np.asarray(da["time"].values, dtype=float)


def check_time_axis(da, *, label="the grid"):
    """One sentence unless the time coordinate of ``da`` is finite, increasing and even
    (within :data:`TIME_TOLERANCE`); returns the median step (NaN with < 2 stamps)."""
    t = _time_values(da)
    if t.size and not np.all(np.isfinite(t)):
        i = int(np.flatnonzero(~np.isfinite(t))[0])
        raise NeurowaveError(
            f"{label} has a non-finite time stamp ({t[i]} at index {i}); every sample "
            "needs a finite time. Check the file or drop those samples."
        )
    if t.size < 2:
        return float("nan")
    d = np.diff(t)
    if np.all(d < 0):
        raise NeurowaveError(
            f"{label} has a time axis that runs backwards ({t[0]:g} to {t[-1]:g}); reverse "
            "it with the data: grid.isel(time=slice(None, None, -1))."
        )
    if np.any(d == 0):
        i = int(np.flatnonzero(d == 0)[0])
        raise NeurowaveError(
            f"{label} repeats the time stamp {t[i]:g} (samples {i} and {i + 1}); each "
            "sample needs its own time. Check the file or drop the repeated samples."
        )
    if np.any(d < 0):
        i = int(np.flatnonzero(d < 0)[0])
        raise NeurowaveError(
            f"{label} has time stamps out of order ({t[i]:g} before {t[i + 1]:g}, samples "
            f"{i} and {i + 1}); sort the grid by time: grid.sortby('time')."
        )
    step = float(np.median(d))
    off = np.abs(d - step) > TIME_TOLERANCE * step
    if np.any(off):
        i = int(np.flatnonzero(off)[0])
        raise NeurowaveError(
            f"{label} is not sampled evenly: the step from sample {i} to {i + 1} is "
            f"{d[i]:g}, the usual step {step:g}; wave measures need an even rate. "
            "Resample the recording, or analyse its even stretches one by one."
        )
    return step


def _sampling_rate(da):
    """The rate of ``da``: its ``sampling_rate`` attribute, else from its time coordinate
    (a measure's input or output, possibly a selection of frames: the attribute is the
    rate of the recording the frames come from)."""
    sr = da.attrs.get("sampling_rate")
    if sr is not None:
        try:
            sr = float(sr)
        except (TypeError, ValueError):
            sr = None
    if sr is None or not np.isfinite(sr) or sr <= 0:
        t = _time_values(da)
        if t.size < 2:
            raise NeurowaveError(
                "The grid has no `sampling_rate` attribute and too few time points to infer "
                "one. Set grid.attrs['sampling_rate']."
            )
        dt = np.median(np.diff(t))
        if not dt > 0:
            raise NeurowaveError("The `time` coordinate must increase. Sort the grid by time.")
        sr = 1.0 / dt
    return float(sr)


def check_sampling_rate(da, *, label="the grid"):
    """The rate of a recording whose time coordinate is checked first
    (:func:`check_time_axis`); a ``sampling_rate`` attribute that disagrees with the
    coordinate beyond :data:`TIME_TOLERANCE` is one sentence naming both."""
    step = check_time_axis(da, label=label)
    sr = _sampling_rate(da)
    if "sampling_rate" in da.attrs and np.isfinite(step) and abs(sr * step - 1.0) > TIME_TOLERANCE:
        raise NeurowaveError(
            f"{label} says sampling_rate={sr:g}, but its time coordinate steps by {step:g} "
            f"({1.0 / step:g} per unit); the two must agree. Fix the attribute "
            "(grid.attrs['sampling_rate']) or the time coordinate."
        )
    return sr


def site_positions(grid):
    """Positions of every site, flattened in the order of the grid's spatial dims.

    Returns
    -------
    pos : ndarray, shape (n_sites, 2)
        Columns ``(x, y)``. For a regular grid, sites run over ``y`` then ``x`` (C order).

    Examples
    --------
    >>> import numpy as np
    >>> g = make_grid(np.zeros((5, 2, 3)), sampling_rate=10.0)
    >>> site_positions(g)[:4].tolist()
    [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [0.0, 1.0]]
    """
    if "channel" in grid.dims:
        return np.column_stack(
            [np.asarray(grid["x"].values, float), np.asarray(grid["y"].values, float)]
        )
    yy, xx = np.meshgrid(
        np.asarray(grid["y"].values, float), np.asarray(grid["x"].values, float), indexing="ij"
    )
    return np.column_stack([xx.ravel(), yy.ravel()])


def grid_spacing(pos):
    """Median nearest-neighbour distance of ``pos`` (n_sites, 2); NaN when < 2 sites."""
    pos = np.asarray(pos, float)
    pos = pos[np.all(np.isfinite(pos), axis=1)]
    if len(pos) < 2:
        return float("nan")
    from scipy.spatial import cKDTree  # O(n log n): an imaging stack has 10^4+ sites

    d, _ = cKDTree(pos).query(pos, k=2)
    return float(np.median(d[:, 1]))


def _valid_sites(grid):
    """Boolean mask over sites (flattened) that are not all-NaN; computes only a reduction."""
    data = grid.data
    spatial = data.reshape(data.shape[0], -1)
    if hasattr(spatial, "dask"):
        import dask.array as dsa

        return np.asarray(dsa.any(~dsa.isnan(spatial), axis=0).compute())
    return np.any(~np.isnan(spatial), axis=0)


def _check_positions(pos, grid, label, layout):
    """Non-finite grid coordinates, repeated grid coordinates and sites that all share
    one position are refused in one sentence (channels without a position are named
    by the caller)."""
    if layout == "grid":
        for c in ("x", "y"):
            v = np.asarray(grid[c].values, dtype=float)
            if not np.all(np.isfinite(v)):
                raise NeurowaveError(
                    f"{label} has a non-finite `{c}` coordinate ({v[~np.isfinite(v)][0]}); "
                    "every row and column of a grid needs a finite position."
                )
            if v.size > 1 and np.unique(v).size < v.size:
                raise NeurowaveError(
                    f"{label} repeats a value of its `{c}` coordinate; two rows or columns "
                    "of a grid cannot share a position. Check the coordinates."
                )
        return
    ok = np.all(np.isfinite(pos), axis=1)
    finite = pos[ok]
    if len(finite) > 1 and np.all(np.ptp(finite, axis=0) == 0):
        raise NeurowaveError(
            f"{label} places all its {len(finite)} sites at one position "
            f"({finite[0, 0]:g}, {finite[0, 1]:g}); waves need sites spread in space. "
            "Supply the real positions (e.g. --positions MAP)."
        )
    _, first, counts = np.unique(finite, axis=0, return_index=True, return_counts=True)
    if np.any(counts > 1):
        where = finite[first[np.argmax(counts > 1)]]
        names = np.asarray(grid["channel"].values)[ok][np.all(finite == where, axis=1)]
        raise NeurowaveError(
            f"{label} places channels {names[0]} and {names[1]} at the same position "
            f"({where[0]:g}, {where[1]:g}); each site needs its own. Check the electrode "
            "map, or drop one of them."
        )


def validate_grid(
    grid, *, name="grid", min_sites=2, min_times=3, check_valid=True, check_time=True
):
    """Check that ``grid`` is a wave grid as defined in this module and describe it.

    Raises a TypeError or ValueError that says how to fix the input.

    Parameters
    ----------
    grid : xarray.DataArray
    name : str
        Name used in error messages.
    min_sites : int
        Minimum number of valid (not all-NaN) sites.
    min_times : int
        Minimum number of time samples.
    check_valid : bool
        Count valid sites (a cheap reduction, computed even for dask-backed grids).
    check_time : bool
        Check that the time coordinate is finite, increasing and even, and agrees with
        the ``sampling_rate`` attribute (a recording). Off for a selection of frames of
        a measure (``phase.isel(time=slice(0, None, 4))``), whose attribute keeps the
        recording's rate.

    Returns
    -------
    info : GridInfo

    Examples
    --------
    >>> import numpy as np
    >>> g = make_grid(np.random.rand(50, 3, 3), sampling_rate=100.0, spacing=0.4)
    >>> validate_grid(g).n_valid_sites
    9
    """
    if isinstance(grid, xr.Dataset):
        raise NeurowaveTypeError(
            f"`{name}` must be an xarray.DataArray (a wave grid), got a Dataset. "
            "Select a variable, e.g. ds['hidden'].isel(sample=0, unit=0) for a model export."
        )
    if not isinstance(grid, xr.DataArray):
        raise NeurowaveTypeError(
            f"`{name}` must be an xarray.DataArray (a wave grid), got {type(grid).__name__}. "
            "Build one with neurowave.make_grid or read a file with neurowave.io.read."
        )
    src = grid.attrs.get("source")
    label = f"`{name}` ({src})" if src else f"`{name}`"  # messages name the file
    dims = tuple(grid.dims)
    if "time" not in dims:
        raise NeurowaveError(
            f"{label} has no time axis (dims {dims}). A wave grid has dims "
            "('time', 'y', 'x') or ('time', 'channel'); rename the time dimension to 'time'."
        )
    if set(dims) == set(GRID_DIMS):
        layout = "grid"
        if dims != GRID_DIMS:
            raise NeurowaveError(f"{label} has dims {dims}; use grid.transpose('time', 'y', 'x').")
    elif set(dims) == set(CHANNEL_DIMS):
        layout = "channel"
        if dims != CHANNEL_DIMS:
            raise NeurowaveError(f"{label} has dims {dims}; use grid.transpose('time', 'channel').")
    else:
        raise NeurowaveError(
            f"{label} has dims {dims}, but a wave grid has dims ('time', 'y', 'x') or "
            "('time', 'channel'). Select or rename dimensions to match."
        )
    for c in ("x", "y"):
        if c not in grid.coords:
            raise NeurowaveError(
                f"{label} has no `{c}` coordinate: sites need positions. Supply positions "
                "(e.g. --positions MAP) or build the grid with make_grid/make_channel_grid."
            )
    if "time" not in grid.coords:
        raise NeurowaveError(
            f"{label} has no `time` coordinate. Assign one with grid.assign_coords(time=...)."
        )
    if not np.issubdtype(grid.dtype, np.number) or np.issubdtype(grid.dtype, np.complexfloating):
        raise NeurowaveTypeError(f"{label} must hold real numbers, got dtype {grid.dtype}.")
    n_times = grid.sizes["time"]
    if n_times < min_times:
        raise NeurowaveError(
            f"{label} has {n_times} time sample(s); at least {min_times} are needed."
        )
    sr = check_sampling_rate(grid, label=label) if check_time else _sampling_rate(grid)
    pos = site_positions(grid)
    _check_positions(pos, grid, label, layout)
    if layout == "channel" and not np.all(np.isfinite(pos)):
        bad = list(np.asarray(grid["channel"].values)[~np.all(np.isfinite(pos), axis=1)][:5])
        raise NeurowaveError(
            f"{label} has channels without positions ({', '.join(map(str, bad))}). "
            "Drop them or supply their positions."
        )
    n_sites = pos.shape[0]
    if check_valid:
        valid = _valid_sites(grid)
        n_valid = int(valid.sum())
    else:
        valid = np.ones(n_sites, bool)
        n_valid = n_sites
    if n_valid == 0:
        raise NeurowaveError(
            f"{label} is all NaN: every site is dead. Check the file or the channel selection."
        )
    if n_valid < min_sites:
        raise NeurowaveError(
            f"{label} has {n_valid} valid site(s); wave measures need at least {min_sites}. "
            "A wave needs several sites in space."
        )
    time_units = grid["time"].attrs.get("units", grid.attrs.get("time_units", "s"))
    space_units = grid["x"].attrs.get("units", grid.attrs.get("space_units", "mm"))
    shape = (grid.sizes["y"], grid.sizes["x"]) if layout == "grid" else (grid.sizes["channel"],)
    return GridInfo(
        layout=layout,
        n_times=int(n_times),
        n_sites=int(n_sites),
        n_valid_sites=n_valid,
        grid_shape=tuple(int(s) for s in shape),
        sampling_rate=sr,
        time_units=str(time_units),
        space_units=str(space_units),
        spacing=grid_spacing(pos[valid]) if n_valid >= 2 else float("nan"),
    )


from . import accessor as _accessor  # noqa: E402,F401  (registers the ``da.wave`` accessor)
