"""Format dispatch for :func:`neurowave.io.read`."""

from __future__ import annotations

import os
from pathlib import Path

from .._validate import NeurowaveError, NeurowaveTypeError, check_path

__all__ = ["read", "detect_format"]

_NETCDF = (".nc", ".nc4", ".netcdf", ".cdf")
_MNE = (".edf", ".bdf", ".gdf", ".fif", ".fif.gz", ".vhdr", ".lay", ".set", ".cnt", ".mff",
        ".nxe", ".sqd", ".con", ".ds")
_NEO_FIRST = (".nix", ".h5", ".ns1", ".ns2", ".ns3", ".ns4", ".ns5", ".ns6", ".nev", ".ccf",
              ".plx", ".pl2", ".nex", ".rhd", ".rhs", ".smr", ".smrx", ".abf", ".continuous",
              ".ncs", ".raw", ".dat", ".bin", ".kwik", ".mcd", ".nwb", ".axgd", ".axgx")
_TIFF = (".tif", ".tiff")
#: samples x channels tables: refused (no rate, no positions; Neo would read a CSV as
#: one channel)
_TABLES = (".csv", ".tsv", ".txt", ".npy", ".npz")
#: reader options that only image stacks take (the CLI's --frame-rate/--pixel-size)
_IMAGE_ONLY = ("frame_rate", "pixel_size")


def detect_format(path):
    """Name of the reader :func:`read` would use for ``path``: ``"netcdf"``, ``"mne"``,
    ``"neo"``, ``"imaging"`` or ``"mat"``; raises ValueError for an unknown extension."""
    path = Path(path)
    name = path.name.lower()
    if path.is_dir():
        entries = [p for p in path.iterdir() if not p.name.startswith(".")]
        if not entries:
            raise NeurowaveError(f"{path} is an empty folder, so there is nothing to read; pass "
                             "a recording file or a folder of TIFF frames.")
        if any(p.suffix.lower() in _TIFF for p in entries):
            return "imaging"
        return "neo"  # folder formats (Open Ephys, Blackrock sets, ...)
    if name.endswith(_TABLES):
        raise NeurowaveError(
            f"{path}: a table of samples ({path.suffix}) is not a recording format neurowave "
            "reads, since it carries neither sampling rate nor positions; build a grid with "
            "neurowave.make_channel_grid(data, x=, y=, sampling_rate=) and save it with "
            "neurowave.io.write_netcdf, then pass the .nc file."
        )
    if name.endswith(_NETCDF):
        return "netcdf"
    if name.endswith(".mat"):
        return "mat"
    if name.endswith(_TIFF):
        return "imaging"
    if name.endswith(_MNE):
        return "mne"
    if name.endswith(_NEO_FIRST):
        return "neo"
    from .neo import neo_extensions

    if path.suffix.lower() in neo_extensions():
        return "neo"
    raise NeurowaveError(
        f"{path}: unknown file extension {path.suffix or '(none)'!r}. neurowave reads netCDF "
        "(.nc), NIX (.nix) and other Neo formats (Blackrock .ns*, ...), EDF/BDF/FIF/"
        "BrainVision/Persyst via MNE, MATLAB .mat and TIFF stacks; convert the file or "
        "rename it with its true extension."
    )


def read(path, *, positions=None, **kwargs):
    """Read any supported file into a wave grid (or a model export Dataset).

    Dispatches on the extension: netCDF (:func:`~neurowave.io.read_netcdf`), NIX and
    other Neo formats (:func:`~neurowave.io.read_neo`), EDF/BDF/FIF/BrainVision/Persyst
    (:func:`~neurowave.io.read_mne`), MATLAB (:func:`~neurowave.io.read_mat`), TIFF
    stacks or folders of TIFF frames (:func:`~neurowave.io.read_imaging`).

    In-memory objects are read as they are, with no file written: a ``neo.Block``,
    ``neo.Segment`` or ``neo.AnalogSignal`` through :func:`~neurowave.io.read_neo`, an
    ``mne.io.Raw`` through :func:`~neurowave.io.read_mne`.

    Parameters
    ----------
    path : path-like | neo.Block | neo.Segment | neo.AnalogSignal | mne.io.Raw
    positions : path-like | None
        Electrode map overriding sidecars and file annotations (with an in-memory
        object also a table or array, see :func:`~neurowave.io.read_neo`).
    **kwargs
        Passed to the format's reader.

    Returns
    -------
    grid : xarray.DataArray | xarray.Dataset

    Examples
    --------
    >>> import os, tempfile, numpy as np, scipy.io
    >>> p = os.path.join(tempfile.mkdtemp(), "rec.mat")
    >>> pos = np.array([[0, 0], [0.4, 0], [0, 0.4], [0.4, 0.4]])
    >>> scipy.io.savemat(p, {"data": np.ones((50, 4)), "fs": 500.0, "position": pos})
    >>> read(p).attrs["format"]
    'mat'
    """
    if not isinstance(path, (str, os.PathLike)):
        return _read_object(path, positions=positions, **kwargs)
    path = check_path(path)
    fmt = detect_format(path)
    image_only = [k for k in _IMAGE_ONLY if k in kwargs]
    if image_only and fmt != "imaging":
        flags = " and ".join(f"{k} (--{k.replace('_', '-')})" for k in image_only)
        raise NeurowaveError(f"{flags} apply only to image stacks (TIFF files or folders of "
                         f"them), and {path} is read as {fmt}; drop them.")
    if fmt == "netcdf":
        from .netcdf import read_netcdf

        if positions is not None:
            raise NeurowaveError("`positions` cannot be applied to a netCDF wave grid; its sites "
                             "already carry positions.")
        return read_netcdf(path, **kwargs)
    if fmt == "mat":
        from .mat import read_mat

        return read_mat(path, positions=positions, **kwargs)
    if fmt == "imaging":
        from .imaging import read_imaging

        if positions is not None:
            raise NeurowaveError("`positions` does not apply to an image stack; pass pixel_size= instead.")
        return read_imaging(path, **kwargs)
    if fmt == "mne":
        from .mne import read_mne

        return read_mne(path, positions=positions, **kwargs)
    from .neo import read_neo

    return read_neo(path, positions=positions, **kwargs)


def _read_object(obj, *, positions=None, **kwargs):
    """:func:`read` of an in-memory Neo object or MNE Raw."""
    from ._memory import is_mne_raw, is_neo_object

    image_only = [k for k in _IMAGE_ONLY if k in kwargs]
    if image_only:
        raise NeurowaveError(f"{' and '.join(image_only)} apply only to image stacks, not to "
                             f"a {type(obj).__name__} in memory; drop them.")
    if is_neo_object(obj):
        from .neo import read_neo

        return read_neo(obj, positions=positions, **kwargs)
    if is_mne_raw(obj):
        from .mne import read_mne

        return read_mne(obj, positions=positions, **kwargs)
    raise NeurowaveTypeError(
        f"read takes a path, a neo.Block, neo.Segment or neo.AnalogSignal, or an mne.io.Raw, "
        f"not a {type(obj).__name__}; for a NumPy array build a grid with "
        "neurowave.make_channel_grid(data, x=, y=, sampling_rate=).")
