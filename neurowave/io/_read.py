"""Format dispatch for :func:`neurowave.io.read`."""

from __future__ import annotations

from .._validate import check_path

__all__ = ["read"]


def read(path, *, positions=None, **kwargs):
    """Read any supported file into a wave grid (or a model export Dataset).

    Parameters
    ----------
    path : path-like
    positions : path-like | None
        Electrode map overriding sidecars and file annotations.
    **kwargs
        Passed to the format's reader.
    """
    path = check_path(path)
    suffix = path.suffix.lower()
    if suffix in (".nc", ".nc4", ".netcdf", ".cdf"):
        from .netcdf import read_netcdf

        return read_netcdf(path, **kwargs)
    raise ValueError(
        f"{path}: unknown file extension {suffix!r}. neurowave reads netCDF (.nc)."
    )
