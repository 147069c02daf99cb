"""Readers: the only door to file formats. Each returns a wave grid.

:func:`read` dispatches on the file's format.
"""

from ._read import AmplitudeWarning, check_amplitude, detect_format, read
from .imaging import read_imaging
from .mat import read_mat
from .mne import read_mne
from .model_export import read_model_export
from .neo import read_neo
from .neo_out import to_neo, write_nix
from .netcdf import read_netcdf, write_netcdf
from .positions import find_positions_sidecar, flatten_positions, read_positions

__all__ = [
    "read",
    "detect_format",
    "check_amplitude",
    "AmplitudeWarning",
    "read_netcdf",
    "write_netcdf",
    "read_neo",
    "to_neo",
    "write_nix",
    "read_mne",
    "read_imaging",
    "read_mat",
    "read_model_export",
    "read_positions",
    "find_positions_sidecar",
    "flatten_positions",
]
