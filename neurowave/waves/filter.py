"""Zero-phase band-pass filtering and the data-driven choice of band."""

from __future__ import annotations

import numpy as np

from .._validate import NeurowaveError, check_band, validate_type
from . import _kernels as K
from ._xr import MIN_SITES, along_time, carry_attrs, check_measure_input, time_depth

__all__ = ["bandpass", "choose_band"]


def _resolve_band(grid, band, info):
    """Validated ``(lo, hi)``: the given band, or :func:`choose_band` when None."""
    if band is None:
        return choose_band(grid)
    return check_band(band, info.sampling_rate, n_times=info.n_times,
                      time_units=info.time_units)


def bandpass(grid, *, band=None, order=4):
    """Zero-phase Butterworth band-pass (second-order sections, forward and backward).

    Parameters
    ----------
    grid : xarray.DataArray
        A wave grid (``("time", "y", "x")`` or ``("time", "channel")``).
    band : (float, float) | None
        Pass band in Hz (cycles/step for model grids); None chooses it from the data
        with :func:`choose_band`.
    order : int
        Butterworth order (the forward-backward filter has twice the attenuation).

    Returns
    -------
    filtered : xarray.DataArray
        Same dims and coords, float32; ``attrs["band"]`` holds the band. Dead sites stay
        NaN. A dask-backed grid stays lazy (chunks along time overlap by five periods of
        the band width).

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> grid, _ = simulate_wave("planar", frequency=10, duration=1.0, snr_db=0, seed=0)
    >>> bandpass(grid, band=(8, 12)).attrs["band"]
    [8.0, 12.0]
    """
    info = check_measure_input(grid, "grid", min_sites=MIN_SITES)
    validate_type(order, "int", "order")
    lo, hi = _resolve_band(grid, band, info)
    sos = K.butter_sos((lo, hi), info.sampling_rate, int(order))
    out = along_time(K.bandpass_kernel, grid, depth=time_depth(info.sampling_rate, (lo, hi)),
                     dtype=np.float32, sos=sos, fs=info.sampling_rate, band=(lo, hi))
    out.attrs = carry_attrs(grid, band=[lo, hi], filter=f"butterworth order {order} zero-phase")
    out.name = grid.name
    return out


def choose_band(grid, *, fraction=0.15, fmin=None, max_sites=256, max_samples=2**18):
    """Choose a band around the dominant spectral peak of the valid sites.

    Each valid site's power spectrum (Welch, mean removed) is averaged over sites, and
    the strongest local maximum that stands at least 1 dB above its surroundings, among
    the frequencies within 40 dB of the strongest one, is the dominant peak ``f0``.
    A spectrum without such a peak (aperiodic, 1/f) takes the largest excess over a
    straight line fitted to log power against log frequency. ``f0`` gives the band
    ``(f0 * (1 - fraction), f0 * (1 + fraction))``. The search keeps the band below
    Nyquist and its lower edge at two cycles or more of the recording.

    Parameters
    ----------
    grid : xarray.DataArray
    fraction : float
        Half-width of the band relative to the peak frequency.
    fmin : float | None
        Lowest frequency considered for the peak (e.g. two cycles of a single trial when
        ``grid`` joins several trials). Default: two cycles of the whole ``grid``.
    max_sites, max_samples : int
        At most this many valid sites (evenly spread) and the first ``max_samples``
        samples are used, so that the choice is cheap even for a lazy grid.

    Returns
    -------
    band : tuple of float

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> grid, _ = simulate_wave("planar", frequency=12, duration=2.0, snr_db=10, seed=0)
    >>> lo, hi = choose_band(grid)
    >>> bool(lo < 12 < hi)
    True
    """
    info = check_measure_input(grid, "grid", min_sites=MIN_SITES)
    if not 0 < fraction < 1:
        raise NeurowaveError(f"`fraction` must be between 0 and 1, got {fraction!r}.")
    fs, n = info.sampling_rate, min(info.n_times, int(max_samples))
    data = grid.data[:n].reshape(n, -1)
    if hasattr(data, "dask"):
        valid = np.asarray((~np.isnan(data)).any(axis=0).compute())
    else:
        valid = np.isfinite(data).any(axis=0)
    idx = np.flatnonzero(valid)
    if idx.size > max_sites:
        idx = idx[np.linspace(0, idx.size - 1, max_sites).astype(int)]
    x = data[:, idx]
    x = np.asarray(x.compute() if hasattr(x, "compute") else x, dtype=np.float64)
    x = x[:, np.isfinite(x).all(axis=0)]
    if x.shape[1] == 0:
        raise NeurowaveError(
            "No site has a gap-free signal to choose a band from. Pass `band` explicitly."
        )
    duration = info.n_times / fs
    if info.n_times < 128:
        raise NeurowaveError(
            f"The signal is too short to choose a band from its spectrum ({info.n_times} "
            "samples; at least 128 are needed). Pass `band` explicitly or use a longer "
            "recording."
        )
    nperseg = n if n < 256 else min(n // 2, 2**15)
    nfft = int(min(max(4 * nperseg, 256), 2**17))
    import scipy.signal as ssig  # here: importing scipy.signal takes about a second

    f, p = ssig.welch(x, fs=fs, nperseg=nperseg, nfft=nfft, axis=0, detrend="constant")
    p = p.mean(axis=1)
    fmin = max(2.2 / (duration * (1 - fraction)), f[1], 0.0 if fmin is None else float(fmin))
    fmax = 0.95 * (fs / 2) / (1 + fraction)
    # the band holding the signal: within 40 dB of the strongest bin (a recording
    # low-pass filtered upstream has a cliff whose shoulder must not look like a peak)
    inrange = (f >= fmin) & (f <= fmax)
    top = p[inrange].max() if inrange.any() else 0.0
    sel = inrange & (p > 0) & (p >= top * 1e-4)
    if sel.sum() < 3:
        raise NeurowaveError(
            f"The signal ({duration:g} {info.time_units}) is too short to choose a band "
            "from its spectrum. Pass `band` explicitly or use a longer recording."
        )
    lf, lp = np.log10(f[sel]), np.log10(p[sel])
    # the dominant peak: the strongest local maximum of the spectrum that stands at
    # least 1 dB above its surroundings; only a spectrum without any such peak (pure
    # 1/f) falls back to the largest excess over a straight 1/f fit
    peaks, _ = ssig.find_peaks(lp, prominence=0.1)
    if peaks.size:
        resid = lp
        i = int(peaks[np.argmax(lp[peaks])])
    else:
        slope, icept = np.polyfit(lf, lp, 1)
        resid = lp - (slope * lf + icept)
        i = int(np.argmax(resid))
    f0 = f[sel][i]
    if 0 < i < resid.size - 1:  # parabolic refinement in log power
        a, b, c = resid[i - 1], resid[i], resid[i + 1]
        den = a - 2 * b + c
        if den < 0:
            f0 = f0 + 0.5 * (a - c) / den * (f[1] - f[0])
    lo, hi = float(f0 * (1 - fraction)), float(f0 * (1 + fraction))
    return check_band((lo, hi), fs, n_times=info.n_times, time_units=info.time_units)
