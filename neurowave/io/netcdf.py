"""netCDF reader and writer for wave grids and model exports.

netCDF attributes hold only strings, numbers and arrays of numbers. Richer attrs
(dicts, lists of strings, booleans, None), such as a model's config, are stored as
JSON strings prefixed with ``"json:"`` and decoded on reading, so that a round trip
preserves values, coords, attrs and NaN sites exactly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import xarray as xr

from .._json import json_default as _json_default
from .._outputs import atomic_file
from .._validate import (
    NeurowaveError,
    NeurowaveFileExistsError,
    NeurowaveTypeError,
    check_path,
    describe_cause,
)

__all__ = ["read_netcdf", "write_netcdf", "encode_attrs", "decode_attrs"]

_PREFIX = "json:"


def _encode_value(v):
    if isinstance(v, (bool, np.bool_)) or v is None or isinstance(v, (dict, list, tuple)):
        if (
            isinstance(v, (list, tuple))
            and v
            and all(
                isinstance(e, (int, float, np.number)) and not isinstance(e, (bool, np.bool_))
                for e in v
            )
        ):
            return np.asarray(v)
        return _PREFIX + json.dumps(v, default=_json_default)
    if isinstance(v, np.ndarray) and v.dtype == object:
        return _PREFIX + json.dumps(v.tolist(), default=_json_default)
    if isinstance(v, Path):
        return str(v)
    return v


def encode_attrs(attrs):
    """Return a copy of ``attrs`` that netCDF can store (rich values as JSON strings)."""
    return {str(k): _encode_value(v) for k, v in attrs.items()}


def decode_attrs(attrs):
    """Invert :func:`encode_attrs`."""
    out = {}
    for k, v in attrs.items():
        if isinstance(v, str) and v.startswith(_PREFIX):
            v = json.loads(v[len(_PREFIX) :])
        out[k] = v
    return out


def _encoded(obj):
    obj = obj.copy(deep=False)
    obj.attrs = encode_attrs(obj.attrs)
    variables = obj.variables if isinstance(obj, xr.Dataset) else obj.coords
    for name in variables:
        var = variables[name]
        var.attrs = encode_attrs(var.attrs)
        if var.dtype == object:
            var.encoding["dtype"] = str
    if isinstance(obj, xr.Dataset):
        for name in obj.data_vars:
            obj[name].encoding.pop("_FillValue", None)
    return obj


def write_netcdf(obj, path, *, overwrite=True):
    """Write a wave grid (DataArray) or a model export (Dataset) to netCDF atomically.

    The file appears only when it is complete: data go to a temporary file in the
    same folder that is renamed at the end, so an error never leaves half a file.

    Parameters
    ----------
    obj : xarray.DataArray | xarray.Dataset
    path : path-like
    overwrite : bool
        Replace an existing file.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from neurowave import make_grid
    >>> g = make_grid(np.ones((4, 2, 2)), sampling_rate=10.0, attrs={"band": [1.0, 3.0]})
    >>> p = os.path.join(tempfile.mkdtemp(), "g.nc")
    >>> write_netcdf(g, p)
    >>> read_netcdf(p).identical(g)
    True
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise NeurowaveFileExistsError(
            f"{path} exists. Pass overwrite=True or choose another name."
        )
    if not isinstance(obj, (xr.DataArray, xr.Dataset)):
        raise NeurowaveTypeError(
            f"Only xarray objects can be written to netCDF, got {type(obj).__name__}."
        )
    if isinstance(obj, xr.DataArray):
        name = obj.name if obj.name is not None else "signal"
        ds = obj.to_dataset(name=name)
        ds.attrs = dict(obj.attrs)
        ds[name].attrs = {}
        ds.attrs["_neurowave_dataarray"] = name
    else:
        ds = obj
    ds = _encoded(ds)
    with atomic_file(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4")


def _memory_budget():
    """Bytes a reader may allocate at once: half the available memory, at most 8 GiB."""
    avail = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):  # pragma: no cover
            avail = 16 << 30
    return min(8 << 30, avail // 2)


def _gib(n):
    return f"{n / (1 << 30):.1f} GiB"


def _check_declared_size(path, *, lazy):
    """Refuse, before anything is allocated, a file whose declared sizes cannot be read:
    read eagerly, everything it declares; read lazily (chunk by chunk), its index
    coordinates (the time axis), which xarray always loads whole."""
    try:
        import netCDF4

        with netCDF4.Dataset(str(path)) as nc:
            sizes = {
                name: (
                    tuple(v.shape),
                    int(np.prod(v.shape, dtype=np.float64)) * v.dtype.itemsize
                    if hasattr(v.dtype, "itemsize")
                    else 0,
                    v.dimensions,
                )
                for name, v in nc.variables.items()
            }
    except Exception:
        return
    budget = _memory_budget()
    index = {n: s for n, s in sizes.items() if len(s[2]) == 1 and s[2][0] == n}
    big = max(index.items(), key=lambda kv: kv[1][1], default=None)
    if big is not None and big[1][1] > budget:
        name, (shape, nbytes, _) = big
        raise NeurowaveError(
            f"{path} declares a {name} axis of {shape[0]:,} values ({_gib(nbytes)}), more than "
            f"can be read at once here ({_gib(budget)}); the file is damaged or not a "
            "recording neurowave can stream. Check how it was written."
        )
    total = sum(s[1] for s in sizes.values())
    if not lazy and total > budget:
        dims = max(sizes.items(), key=lambda kv: kv[1][1])
        raise NeurowaveError(
            f"{path} declares {_gib(total)} of data ({dims[0]} {dims[1][0]}), more than can "
            f"be read at once here ({_gib(budget)}); `neurowave analyze` reads netCDF "
            "chunk by chunk, or open it with read_netcdf(path, chunks={'time': 100_000})."
        )


def _forward_in_time(da):
    """A grid whose time coordinate runs strictly backwards, reversed together with its
    data (the same physical recording, in time order); anything else as it is (the
    grid's validation names shuffled or repeated stamps)."""
    if "time" not in da.coords or da.sizes.get("time", 0) < 2:
        return da
    t = np.asarray(da["time"].values, dtype=float)
    if np.all(np.diff(t) < 0):
        return da.isel(time=slice(None, None, -1))
    return da


def read_netcdf(path, *, chunks=None):
    """Read a wave grid or a model export written by :func:`write_netcdf` (or any
    netCDF file holding a ``("time", "y", "x")`` or ``("time", "channel")`` variable).

    Parameters
    ----------
    path : path-like
    chunks : dict | None
        Open lazily with dask chunks (e.g. ``{"time": 100_000}``).

    Returns
    -------
    xarray.DataArray | xarray.Dataset
        A DataArray for a wave grid, a Dataset for a model export (variable ``hidden``).
    """
    path = check_path(path)
    if path.is_dir():
        raise NeurowaveError(f"{path} is a directory, not a netCDF file. Pass the .nc file.")
    if path.stat().st_size == 0:
        raise NeurowaveError(f"{path} is empty (0 bytes), not a netCDF file. Check the file.")
    _check_declared_size(path, lazy=chunks is not None)
    try:
        ds = xr.open_dataset(
            path, engine="netcdf4", chunks=chunks, decode_times=False, decode_timedelta=False
        )
        if chunks is None:
            ds = ds.load()
            ds.close()
    except (OSError, ValueError, RuntimeError) as err:
        raise NeurowaveError(
            f"{path} is not a readable netCDF file ({describe_cause(err)}). "
            "Pass a netCDF file written by neurowave or xarray."
        ) from None
    ds.attrs = decode_attrs(ds.attrs)
    for name in ds.variables:
        ds[name].attrs = decode_attrs(ds[name].attrs)
        if ds[name].dtype.kind in "SU":
            ds[name] = ds[name].astype(object)
    name = ds.attrs.pop("_neurowave_dataarray", None)
    if name is not None and name in ds:
        da = ds[name]
        da.attrs = dict(ds.attrs)
        da.name = name
        return _forward_in_time(da)
    if "hidden" in ds:
        return ds
    candidates = [
        v for v in ds.data_vars if ds[v].dims in (("time", "y", "x"), ("time", "channel"))
    ]
    if len(candidates) == 1:
        da = ds[candidates[0]]
        da.attrs = {**ds.attrs, **da.attrs}
        return _forward_in_time(da)
    raise NeurowaveError(
        f"{path} holds no wave grid: expected one variable with dims ('time', 'y', 'x') or "
        f"('time', 'channel') or a model export with `hidden`, found {list(ds.data_vars)}."
    )
