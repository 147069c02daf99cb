"""A plain vectorised SciPy pipeline over a netCDF wave grid: the baseline that
``benchmarks/measures.py`` times beside ``neurowave analyze`` in the same run.

Read the whole grid (xarray), zero-phase Butterworth band-pass (``sosfiltfilt``,
order 4), Hilbert transform, phase; per frame the phase gradient by wrapped
differences between neighbouring sites, PGD, direction of ``-mean grad phi`` and
speed ``|mean dphi/dt| / |mean grad phi|``; medians over frames with PGD >= 0.5.
No surrogate test, no patterns, no events. ``--block SECONDS`` processes the
recording in consecutive blocks (for recordings that do not fit in memory whole).
Prints one JSON line. Usage::

    python benchmarks/scipy_pipeline.py FILE.nc --band 10 20 [--block 600]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def measures(x, fs, band, dx, dy):
    """(pgd, direction deg, speed m/s) per frame of x (nt, ny, nx) float."""
    import scipy.signal as ss

    nt = x.shape[0]
    flat = x.reshape(nt, -1)
    ok = np.isfinite(flat).all(axis=0)
    sos = ss.butter(4, band, btype="bandpass", fs=fs, output="sos")
    z = np.full(flat.shape, np.nan + 0j, dtype=np.complex128)
    z[:, ok] = ss.hilbert(ss.sosfiltfilt(sos, flat[:, ok], axis=0), axis=0)
    z = z.reshape(x.shape)
    u = z / np.abs(z)
    gx = np.angle(u[:, :, 1:] * np.conj(u[:, :, :-1])) / dx  # (nt, ny, nx-1)
    gy = np.angle(u[:, 1:, :] * np.conj(u[:, :-1, :])) / dy  # (nt, ny-1, nx)
    mx = np.nanmean(gx.reshape(nt, -1), axis=1)
    my = np.nanmean(gy.reshape(nt, -1), axis=1)
    # mean |grad| from the centred gradient at interior sites
    cx = 0.5 * (gx[:, 1:-1, 1:] + gx[:, 1:-1, :-1])
    cy = 0.5 * (gy[:, 1:, 1:-1] + gy[:, :-1, 1:-1])
    mag = np.nanmean(np.hypot(cx, cy).reshape(nt, -1), axis=1)
    pgd = np.hypot(mx, my) / mag
    w = np.angle(u[2:] * np.conj(u[:-2])) * fs / 2.0  # rad/s, central differences
    om = np.abs(np.nanmean(w.reshape(nt - 2, -1), axis=1))
    speed = np.full(nt, np.nan)
    speed[1:-1] = om / np.hypot(mx[1:-1], my[1:-1]) * 1e-3  # mm/s -> m/s
    direction = np.degrees(np.arctan2(-my, -mx)) % 360
    return pgd, direction, speed


def main(argv=None):
    import warnings

    import xarray as xr

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--band", nargs=2, type=float, required=True)
    ap.add_argument("--block", type=float, default=None, help="seconds per block")
    a = ap.parse_args(argv)
    ds = xr.open_dataset(a.file)
    name = next(v for v in ds.data_vars if ds[v].dims == ("time", "y", "x"))
    da = ds[name]
    t = da["time"].values
    fs = 1.0 / float(np.median(np.diff(t[:1000])))
    dx = float(np.median(np.diff(da["x"].values)))
    dy = float(np.median(np.diff(da["y"].values)))
    n = da.sizes["time"]
    step = n if a.block is None else int(a.block * fs)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for s in range(0, n, step):
            x = da.isel(time=slice(s, min(n, s + step))).values.astype(np.float64)
            out.append(measures(x, fs, tuple(a.band), dx, dy))
    pgd, direction, speed = (np.concatenate(v) for v in zip(*out, strict=True))
    wave = pgd >= 0.5
    z = np.exp(1j * np.deg2rad(direction[wave])).mean()
    print(
        json.dumps(
            {
                "wave_fraction": float(wave.mean()),
                "speed_median": float(np.nanmedian(speed[wave])),
                "direction_mean_deg": float(np.degrees(np.angle(z)) % 360),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
