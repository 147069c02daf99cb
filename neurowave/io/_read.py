"""Format dispatch for :func:`neurowave.io.read`."""

from __future__ import annotations

import os
from pathlib import Path

from .._validate import NeurowaveError, NeurowaveTypeError, check_path

__all__ = ["read", "detect_format", "AmplitudeWarning", "check_amplitude"]

_NETCDF = (".nc", ".nc4", ".netcdf", ".cdf")
_MNE = (
    ".edf",
    ".bdf",
    ".gdf",
    ".fif",
    ".fif.gz",
    ".vhdr",
    ".lay",
    ".set",
    ".cnt",
    ".mff",
    ".nxe",
    ".sqd",
    ".con",
    ".ds",
)
_NEO_FIRST = (
    ".nix",
    ".h5",
    ".ns1",
    ".ns2",
    ".ns3",
    ".ns4",
    ".ns5",
    ".ns6",
    ".nev",
    ".ccf",
    ".plx",
    ".pl2",
    ".nex",
    ".rhd",
    ".rhs",
    ".smr",
    ".smrx",
    ".abf",
    ".continuous",
    ".ncs",
    ".raw",
    ".dat",
    ".bin",
    ".kwik",
    ".mcd",
    ".nwb",
    ".axgd",
    ".axgx",
)
_TIFF = (".tif", ".tiff")
#: samples x channels tables: refused (no rate, no positions; Neo would read a CSV as
#: one channel)
_TABLES = (".csv", ".tsv", ".txt", ".npy", ".npz")
#: reader options that only image stacks take (the CLI's --frame-rate/--pixel-size)
_IMAGE_ONLY = ("frame_rate", "pixel_size")
_MNE_ONLY = ("picks",)

#: the range of per-site standard deviations (µV) an electrical recording of the brain
#: can have: from scalp EEG (~1 µV at its quietest) to ictal field potentials (a few
#: mV); a factor of 100 beyond either end is a unit or scale error upstream
PLAUSIBLE_SD_UV = (0.01, 1e5)


class AmplitudeWarning(UserWarning):
    """The amplitudes of a recording are physically implausible: a unit or scale error.

    ``median_sd`` is the median per-site standard deviation (µV) and ``factor`` the
    likely scale error (a power of 1000) that would bring it into the plausible range.
    """

    def __init__(self, message, *, median_sd, factor):
        super().__init__(message)
        self.median_sd = median_sd
        self.factor = factor


def _uv(v):
    """A value in µV written in V, mV, µV or nV, whichever reads best."""
    for unit, scale in (("V", 1e6), ("mV", 1e3), ("uV", 1.0), ("nV", 1e-3)):
        if abs(v) >= scale or unit == "nV":
            return f"{v / scale:.3g} {unit}"


def check_amplitude(grid, *, label=None):
    """Warn (:class:`AmplitudeWarning`) when an electrical recording's amplitudes are
    physically implausible; return the warning's message, or None.

    Only in-memory grids in µV are checked (a lazy grid is not read for it). The median
    of the valid sites' standard deviations must lie within :data:`PLAUSIBLE_SD_UV`;
    outside, the message names the s.d. range, the likely scale error (a factor of
    1000 or 10^6: µV stored as V, mV as µV, ...) and where to fix it.
    """
    import warnings

    import numpy as np
    import xarray as xr

    if not isinstance(grid, xr.DataArray) or hasattr(grid.data, "dask"):
        return None
    if str(grid.attrs.get("units", "")) not in ("uV", "µV"):
        return None
    x = np.asarray(grid.values, float).reshape(grid.sizes["time"], -1)
    ok = np.isfinite(x).any(axis=0)
    if not ok.any():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.nanstd(x[:, ok], axis=0)
    sd = sd[sd > 0]
    if not sd.size:
        return None
    med = float(np.median(sd))
    lo, hi = PLAUSIBLE_SD_UV
    if lo <= med <= hi:
        return None
    factor = 10.0 ** (3 * np.round(np.log10(med / 100.0) / 3))  # to ~100 µV, in 1000s
    name = label or grid.attrs.get("source") or "the recording"
    big = med > hi
    msg = (
        f"{name}: the sites' amplitudes are physically implausible for a brain "
        f"recording: s.d. {_uv(float(sd.min()))} to {_uv(float(sd.max()))} (median "
        f"{_uv(med)}), where cortex gives microvolts to a few millivolts. The file's unit "
        f"or scale is probably wrong by about {factor:.0e} ("
        + (
            "values in µV stored or labelled as V"
            if factor >= 1e5
            else "values in µV labelled as mV"
            if big
            else "values in V labelled as µV"
            if factor <= 1e-5
            else "values in mV labelled as µV"
        )
        + "); timing measures (phase, speed, direction) do not depend on it, but "
        "amplitudes and power do: fix the unit in the file's header or channels.tsv."
    )
    warnings.warn(AmplitudeWarning(msg, median_sd=med, factor=float(factor)), stacklevel=3)
    return msg


def detect_format(path):
    """Name of the reader :func:`read` would use for ``path``: ``"netcdf"``, ``"mne"``,
    ``"neo"``, ``"imaging"`` or ``"mat"``; raises ValueError for an unknown extension."""
    path = Path(path)
    name = path.name.lower()
    if path.is_dir():
        entries = [p for p in path.iterdir() if not p.name.startswith(".")]
        if not entries:
            raise NeurowaveError(
                f"{path} is an empty folder, so there is nothing to read; pass "
                "a recording file or a folder of TIFF frames."
            )
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
    out = _read_path(path, positions, kwargs)
    check_amplitude(out, label=str(path))
    return out


def _read_path(path, positions, kwargs):
    """:func:`read` of a file, by its format."""
    fmt = detect_format(path)
    mne_only = [k for k in _MNE_ONLY if k in kwargs]
    if mne_only and fmt != "mne":
        raise NeurowaveError(
            f"picks (--picks) applies only to files read through MNE "
            f"(EDF/BDF/FIF/BrainVision/Persyst), and {path} is read as "
            f"{fmt}; drop it."
        )
    image_only = [k for k in _IMAGE_ONLY if k in kwargs]
    if image_only and fmt != "imaging":
        flags = " and ".join(f"{k} (--{k.replace('_', '-')})" for k in image_only)
        raise NeurowaveError(
            f"{flags} apply only to image stacks (TIFF files or folders of "
            f"them), and {path} is read as {fmt}; drop them."
        )
    if fmt == "netcdf":
        from .netcdf import read_netcdf

        if positions is not None:
            raise NeurowaveError(
                "`positions` cannot be applied to a netCDF wave grid; its sites "
                "already carry positions."
            )
        return read_netcdf(path, **kwargs)
    if fmt == "mat":
        from .mat import read_mat

        return read_mat(path, positions=positions, **kwargs)
    if fmt == "imaging":
        from .imaging import read_imaging

        if positions is not None:
            raise NeurowaveError(
                "`positions` does not apply to an image stack; pass pixel_size= instead."
            )
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
        raise NeurowaveError(
            f"{' and '.join(image_only)} apply only to image stacks, not to "
            f"a {type(obj).__name__} in memory; drop them."
        )
    if is_neo_object(obj):
        from .neo import read_neo

        return read_neo(obj, positions=positions, **kwargs)
    if is_mne_raw(obj):
        from .mne import read_mne

        return read_mne(obj, positions=positions, **kwargs)
    raise NeurowaveTypeError(
        f"read takes a path, a neo.Block, neo.Segment or neo.AnalogSignal, or an mne.io.Raw, "
        f"not a {type(obj).__name__}; for a NumPy array build a grid with "
        "neurowave.make_channel_grid(data, x=, y=, sampling_rate=)."
    )
