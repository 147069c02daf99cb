"""Plot of a k-omega spectrum (:func:`plot_kw_spectrum`): an f-k slice along the peak's
direction and the kx-ky plane at its frequency."""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from ..._validate import NeurowaveTypeError
from ._estimate import _Surface, estimate_kw_wave
from ._layout import KWRangeWarning

# --------------------------------------------------------------------------- plot


def plot_kw_spectrum(spectrum, *, estimate=None, db=True, axes=None):
    """Plot a k-omega spectrum: an f-k slice along the peak's direction and kx-ky at its frequency.

    Parameters
    ----------
    spectrum : xarray.DataArray
        Output of :func:`compute_kw_spectrum` (a ``segment`` dim is averaged).
    estimate : KWWave | None
        The peak to mark; default :func:`estimate_kw_wave` of ``spectrum``.
    db : bool
        Power in dB relative to the peak (default) or linear.
    axes : (matplotlib.axes.Axes, matplotlib.axes.Axes) | None
        Two axes to draw into; default a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Notes
    -----
    The left panel is the power along the line through ``k = 0`` in the direction of
    the peak, over frequency: a travelling wave is a ridge on the positive side only
    (a standing wave is mirrored on the negative side), and the dashed line is the
    estimated phase speed ``f = speed * k``. A sub-resolution peak (``|k|`` below
    ``1 / extent``, shaded) gets no speed in the title: the wave is longer than the
    array. The right panel is the kx-ky plane at the
    peak frequency with the peak marked; its arrow is the direction of travel.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from neurowave.datasets import simulate_wave
    >>> from neurowave.waves import compute_kw_spectrum
    >>> grid, _ = simulate_wave("planar", speed=0.05, direction=60, frequency=10,
    ...                         duration=4.0, snr_db=10, seed=0)
    >>> fig = plot_kw_spectrum(compute_kw_spectrum(grid, band=(4, 20)))
    >>> len(fig.axes)
    4
    """
    import matplotlib.pyplot as plt

    if not isinstance(spectrum, xr.DataArray) or not {"f", "kx", "ky"} <= set(spectrum.dims):
        raise NeurowaveTypeError("`spectrum` must be the xarray.DataArray of compute_kw_spectrum.")
    if estimate is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", KWRangeWarning)
            estimate = estimate_kw_wave(spectrum)
    spec = spectrum
    if "segment" in spec.dims:
        spec = spec.weighted(spec["n_windows"]).mean("segment")
    spec = spec.transpose("f", "kx", "ky")
    p = np.asarray(spec.values, float)
    f = np.asarray(spec.f.values, float)
    kx = np.asarray(spec.kx.values, float)
    ky = np.asarray(spec.ky.values, float)
    lat = spec.attrs.get("lattice")
    lat = None if lat is None else (int(lat[0]), int(lat[1]), float(lat[2]), float(lat[3]))
    su = spec.attrs.get("space_units", "mm")
    funit = spec.f.attrs.get("units", "Hz")
    th = np.radians(estimate.direction) if np.isfinite(estimate.direction) else 0.0
    kmax = float(min(abs(kx).max(), abs(ky).max()))
    kline = np.linspace(-kmax, kmax, 161)
    sl = np.empty((len(f), len(kline)))
    for i in range(len(f)):
        if lat is None:  # irregular layouts: linear between grid points, NaN where not searched
            from scipy.interpolate import RegularGridInterpolator

            sl[i] = RegularGridInterpolator((kx, ky), p[i], bounds_error=False)(
                np.column_stack([kline * np.cos(th), kline * np.sin(th)])
            )
            continue
        surf = _Surface(p[i], kx, ky, lat)
        sl[i] = [surf(k * np.cos(th), k * np.sin(th)) for k in kline]
    ref = max(float(np.nanmax(p)), 1e-300)

    def scale(a):
        return 10 * np.log10(np.maximum(a, ref * 1e-6) / ref) if db else a

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    else:
        fig = axes[0].figure
    ax0, ax1 = axes
    m0 = ax0.pcolormesh(kline, f, scale(sl), shading="nearest", cmap="viridis")
    fig.colorbar(m0, ax=ax0, label="power (dB re peak)" if db else "power")
    if np.isfinite(estimate.speed) and estimate.speed > 0:
        v = estimate.frequency / estimate.wavenumber  # space units per time unit
        ax0.plot(kline[kline >= 0], v * kline[kline >= 0], "w--", lw=1)
        ax0.set_ylim(f[0], f[-1])
    ax0.axvline(0, color="w", lw=0.5)
    if estimate.regime == "sub-resolution":  # no speed to print: the wave outgrows the array
        kres = float(spec.attrs.get("k_resolution", np.nan))
        ax0.axvspan(-kres, kres, color="w", alpha=0.15, lw=0)
        title0 = (
            f"f-k: sub-resolution (|k| {estimate.wavenumber:.2g} < "
            f"{kres:.2g} cycles/{su}): speed not resolved"
        )
    else:
        title0 = (
            f"f-k: phase speed {estimate.speed:.3g} {estimate.units}, "
            f"travelling index {estimate.travelling_index:.2f}"
        )
    ax0.set(
        xlabel=f"k along {np.degrees(th):.0f} deg (cycles/{su})",
        ylabel=f"frequency ({funit})",
        title=title0,
    )
    i = int(np.argmin(np.abs(f - estimate.frequency)))
    m1 = ax1.pcolormesh(kx, ky, scale(p[i]).T, shading="nearest", cmap="viridis")
    fig.colorbar(m1, ax=ax1, label="power (dB re peak)" if db else "power")
    ax1.plot(estimate.kx, estimate.ky, "r+", ms=12, mew=2)
    if estimate.wavenumber > 0:
        ln = 0.25 * kmax
        ax1.annotate(
            "",
            xy=(ln * np.cos(th), ln * np.sin(th)),
            xytext=(0, 0),
            arrowprops={"arrowstyle": "->", "color": "w"},
        )
    ax1.set_aspect("equal")
    ax1.set(
        xlabel=f"kx (cycles/{su})",
        ylabel=f"ky (cycles/{su})",
        title=f"kx-ky, bin {f[i]:.3g} {funit} (peak {estimate.frequency:.3g}): "
        f"{estimate.direction:.0f} deg"
        + ("" if estimate.regime == "sub-resolution" else f", {estimate.wavelength:.3g} {su}"),
    )
    return fig
