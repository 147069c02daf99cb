"""netCDF reader and writer for wave grids and model exports.

netCDF attributes hold only strings, numbers and arrays of numbers. Richer attrs
(dicts, lists of strings, booleans, None), such as a model's config, are stored as
JSON strings prefixed with ``"json:"`` and decoded on reading, so that a round trip
preserves values, coords, attrs and NaN sites exactly.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr

from .._json import json_default as _json_default
from .._outputs import give_user_mode
from .._validate import check_path
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
        if isinstance(v, (list, tuple)) and v and all(
            isinstance(e, (int, float, np.number)) and not isinstance(e, (bool, np.bool_)) for e in v
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
            v = json.loads(v[len(_PREFIX):])
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
        raise NeurowaveFileExistsError(f"{path} exists. Pass overwrite=True or choose another name.")
    if not isinstance(obj, (xr.DataArray, xr.Dataset)):
        raise NeurowaveTypeError(f"Only xarray objects can be written to netCDF, got {type(obj).__name__}.")
    if isinstance(obj, xr.DataArray):
        name = obj.name if obj.name is not None else "signal"
        ds = obj.to_dataset(name=name)
        ds.attrs = dict(obj.attrs)
        ds[name].attrs = {}
        ds.attrs["_neurowave_dataarray"] = name
    else:
        ds = obj
    ds = _encoded(ds)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine="netcdf4")
        give_user_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


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
        return da
    if "hidden" in ds:
        return ds
    candidates = [v for v in ds.data_vars if ds[v].dims in (("time", "y", "x"), ("time", "channel"))]
    if len(candidates) == 1:
        da = ds[candidates[0]]
        da.attrs = {**ds.attrs, **da.attrs}
        return da
    raise NeurowaveError(
        f"{path} holds no wave grid: expected one variable with dims ('time', 'y', 'x') or "
        f"('time', 'channel') or a model export with `hidden`, found {list(ds.data_vars)}."
    )
