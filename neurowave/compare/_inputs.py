"""The recording side's input: a file or a wave grid, read and validated
(:func:`load_recording`). Imports nothing of :mod:`neurowave.compare`."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from .._validate import NeurowaveError
from ..grid import validate_grid

__all__ = ["load_recording"]


def load_recording(recording, *, positions=None, read_options=None):
    """Return the recording as a validated wave grid and what validation learned.

    Parameters
    ----------
    recording : xarray.DataArray | path-like
        A wave grid, or a file any :func:`neurowave.io.read` reader opens.
    positions : path-like | None
        Electrode map for a file (see :func:`neurowave.io.read`).
    read_options : dict | None
        Further keywords of :func:`neurowave.io.read` for a file (e.g. ``frame_rate``
        and ``pixel_size`` of an image stack).

    Returns
    -------
    grid : xarray.DataArray
    info : neurowave.GridInfo

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> grid, _ = simulate_wave("planar", duration=0.5, seed=0)
    >>> load_recording(grid)[1].n_valid_sites
    96
    """
    source = None
    if isinstance(recording, (str, Path)):
        from ..io import read

        source = str(recording)
        kw = dict(read_options or {})
        if positions is not None:
            kw["positions"] = positions
        recording = read(recording, **kw)
    elif positions is not None or read_options:
        raise NeurowaveError(
            "`positions` and `read_options` apply to a recording read from a file; the "
            "grid given already carries its positions (x, y coords) and rate."
        )
    if isinstance(recording, xr.Dataset) and "hidden" in recording.data_vars:
        raise NeurowaveError(
            f"{source or '`recording`'} is a model export, not a recording. Pass the model "
            "first and the recording second: neurowave compare MODEL.nc RECORDING."
        )
    info = validate_grid(recording, name=source or "recording")
    if source and not recording.attrs.get("source"):
        recording.attrs["source"] = source
    return recording, info
