"""Reading a model export: the ``hidden`` states of a model as one xarray.Dataset.

A model export (``neurowave export``, :func:`neurowave.models.export_hidden`) is a
netCDF file whose ``hidden`` variable has dims ``(sample, time, unit, y, x)``; each
(sample, unit) is a wave grid. :func:`read_model_export` opens one, or checks a
Dataset already in memory, and says how to make one when given anything else. It
imports neither torch nor the models: measuring an export needs no deep learning.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from .._validate import NeurowaveError, NeurowaveTypeError

__all__ = ["read_model_export", "HIDDEN_DIMS"]

#: dims of the ``hidden`` variable of a model export
HIDDEN_DIMS = ("sample", "time", "unit", "y", "x")


def read_model_export(model):
    """Return a model export Dataset (``hidden`` with dims sample, time, unit, y, x).

    Anything that is not a model export raises an error that says how to make one.

    Parameters
    ----------
    model : xarray.Dataset | path-like
        A model export or the path of a netCDF file holding one.

    Returns
    -------
    xarray.Dataset
        The export, with ``attrs["source"]`` set to the file when read from one.

    Examples
    --------
    >>> from neurowave.datasets import simulate_model_export
    >>> ds = read_model_export(simulate_model_export(n_steps=20, n_samples=1, n_units=1))
    >>> ds["hidden"].dims
    ('sample', 'time', 'unit', 'y', 'x')
    """
    source = None
    if isinstance(model, (str, Path)):
        from ._read import read

        source = str(model)
        model = read(model)
    hint = "Write one with `neurowave export RUN_DIR --out model.nc`."
    if source is None and isinstance(model, xr.Dataset) and model.attrs.get("source"):
        where = str(model.attrs["source"])  # name the file it came from
    else:
        where = f"{source}" if source else "`model`"
    if isinstance(model, xr.DataArray):
        raise NeurowaveError(
            f"{where} is a wave grid (a {model.attrs.get('kind', 'recording')}), not a model "
            f"export with a `hidden` variable (sample, time, unit, y, x). {hint}"
        )
    if not isinstance(model, xr.Dataset):
        raise NeurowaveTypeError(
            f"`model` must be a model export (xarray.Dataset) or its netCDF path, got "
            f"{type(model).__name__}. {hint}"
        )
    if "hidden" not in model.data_vars:
        raise NeurowaveError(
            f"{where} is not a model export: it has no `hidden` variable "
            f"(found {sorted(map(str, model.data_vars))}). {hint}"
        )
    dims = tuple(model["hidden"].dims)
    if set(dims) != set(HIDDEN_DIMS):
        raise NeurowaveError(
            f"{where} is not a model export: `hidden` has dims {dims}, expected "
            f"{HIDDEN_DIMS}. {hint}"
        )
    if source and not model.attrs.get("source"):
        model.attrs["source"] = source
    return model
