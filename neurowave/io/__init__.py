"""Readers: the only door to file formats. Each returns a wave grid (DESIGN.md).

:func:`read` dispatches on the file's format.
"""

from ._read import read
from .netcdf import read_netcdf, write_netcdf

__all__ = ["read", "read_netcdf", "write_netcdf"]
