"""MATLAB ``.mat`` reader: a samples x sites matrix plus a positions array."""

from __future__ import annotations

import numpy as np

from .._validate import NeurowaveError, check_path, describe_cause
from .positions import assemble_grid, no_positions_error, quiet_nanstd, user_positions

__all__ = ["read_mat"]

_DATA_KEYS = ("data", "lfp", "signal", "signals", "x")
_RATE_KEYS = ("fs", "srate", "sampling_rate", "samplingrate", "sfreq", "Fs", "rate")
_POS_KEYS = ("position", "positions", "pos", "coords", "xy", "electrode_positions")


def _find(m, keys, what, path):
    lower = {k.lower(): k for k in m if not k.startswith("__")}
    for k in keys:
        if k.lower() in lower:
            return lower[k.lower()]
    return None


def read_mat(
    path,
    *,
    positions=None,
    data_var=None,
    rate_var=None,
    positions_var=None,
    sampling_rate=None,
    units="uV",
    transpose=None,
):
    """Read a MATLAB v5 ``.mat`` file holding a samples x sites matrix into a wave grid.

    The layout of Martinet et al. (2017): ``data`` (n_samples, n_sites), ``fs`` (a
    1 x 1 array, Hz) and ``position`` (n_sites, 2) in mm. Column order is never
    assumed spatial: every column is placed by its position, and positions on a
    regular lattice give a ``("time", "y", "x")`` grid with NaN where the array has no
    electrode.

    Parameters
    ----------
    path : path-like
    positions : path-like | None
        An electrode map overriding the file's positions (channel names ``ch1`` ... in
        column order).
    data_var, rate_var, positions_var : str | None
        Variable names (default: ``data``/``fs``/``position`` and common synonyms).
    sampling_rate : float | None
        Overrides (or replaces a missing) rate variable.
    units : str
        Units of the samples in the file (default ``"uV"``; ``"mV"``/``"V"`` rescale).
    transpose : bool | None
        Treat the matrix as sites x samples (default: guessed from the positions).

    Returns
    -------
    grid : xarray.DataArray

    Examples
    --------
    >>> import os, tempfile, numpy as np, scipy.io
    >>> p = os.path.join(tempfile.mkdtemp(), "rec.mat")
    >>> pos = np.array([[0, 0], [0.4, 0], [0, 0.4], [0.4, 0.4]])
    >>> scipy.io.savemat(p, {"data": np.ones((50, 4)), "fs": 500.0, "position": pos})
    >>> read_mat(p).dims
    ('time', 'y', 'x')
    """
    import scipy.io

    path = check_path(path)
    if path.is_dir():
        raise NeurowaveError(f"{path} is a directory; pass the .mat file.")
    if path.stat().st_size == 0:
        raise NeurowaveError(f"{path} is empty (0 bytes), not a MATLAB file. Check the file.")
    try:
        m = scipy.io.loadmat(str(path), squeeze_me=False)
    except NotImplementedError:
        raise NeurowaveError(
            f"{path} is a MATLAB v7.3 (HDF5) file, which scipy cannot read. "
            "Save it with save(..., '-v7') in MATLAB, or export it to NIX/netCDF."
        ) from None
    except Exception as err:
        raise NeurowaveError(
            f"{path} is not a readable MATLAB .mat file ({describe_cause(err)}). Check the file."
        ) from None
    dk = data_var or _find(m, _DATA_KEYS, "data", path)
    if dk is None or dk not in m:
        numeric = [
            k
            for k, v in m.items()
            if not k.startswith("__")
            and isinstance(v, np.ndarray)
            and v.ndim == 2
            and min(v.shape) > 1
            and v.dtype.kind in "fiu"
        ]
        if len(numeric) == 1:
            dk = numeric[0]
        else:
            raise NeurowaveError(
                f"{path}: no samples x sites matrix found (variables: "
                f"{', '.join(k for k in m if not k.startswith('__'))}). Pass data_var=NAME."
            )
    data = np.asarray(m[dk], dtype=float)
    if data.ndim != 2:
        raise NeurowaveError(
            f"{path}: variable {dk!r} has shape {data.shape}; expected samples x sites."
        )
    if sampling_rate is None:
        rk = rate_var or _find(m, _RATE_KEYS, "rate", path)
        if rk is None or rk not in m:
            raise NeurowaveError(
                f"{path}: no sampling-rate variable (looked for {', '.join(_RATE_KEYS)}). "
                "Pass sampling_rate=HZ."
            )
        sampling_rate = float(np.asarray(m[rk], dtype=float).squeeze())
    pk = positions_var or _find(m, _POS_KEYS, "positions", path)
    pos_file = None
    if pk is not None and pk in m:
        pos_file = np.asarray(m[pk], dtype=float)
        if pos_file.ndim != 2 or 2 not in pos_file.shape:
            raise NeurowaveError(
                f"{path}: {pk!r} has shape {pos_file.shape}; expected (n_sites, 2)."
            )
        if pos_file.shape[1] != 2:
            pos_file = pos_file.T
    n_sites = pos_file.shape[0] if pos_file is not None else None
    if transpose is None:
        transpose = n_sites is not None and data.shape[1] != n_sites and data.shape[0] == n_sites
        if n_sites is None and data.shape[0] < data.shape[1]:
            transpose = True
    if transpose:
        data = data.T
    scale = {"uv": 1.0, "µv": 1.0, "mv": 1e3, "v": 1e6}.get(str(units).lower())
    if scale is None:
        raise NeurowaveError(f"`units` must be 'uV', 'mV' or 'V', got {units!r}.")
    if scale != 1.0:
        data = data * scale
    names = [f"ch{i + 1}" for i in range(data.shape[1])]
    pmap = user_positions(path, positions)
    if pmap is None:
        if pos_file is None:
            raise no_positions_error(path)
        if pos_file.shape[0] != data.shape[1]:
            raise NeurowaveError(
                f"{path}: {pk!r} holds {pos_file.shape[0]} positions but the data have "
                f"{data.shape[1]} sites. Check the file or pass positions=MAP."
            )
        import pandas as pd

        pmap = pd.DataFrame({"x": pos_file[:, 0], "y": pos_file[:, 1]}, index=names)
        pmap.attrs = {"source": f"{path}:{pk}", "format": "mat-variable"}
    flat = ~np.all(np.isfinite(data), axis=0) | (quiet_nanstd(data, axis=0) == 0)
    data[:, flat] = np.nan
    attrs = {"format": "mat", "mat_variable": dk, "units": "uV", "channel_names_in_file": False}
    return assemble_grid(
        data,
        names,
        pmap,
        sampling_rate=sampling_rate,
        source=str(path),
        fmt="mat",
        attrs=attrs,
        dead=flat,
    )
