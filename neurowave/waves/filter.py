"""Zero-phase band-pass filtering and the data-driven choice of band."""

from __future__ import annotations

import numpy as np

from .._validate import NeurowaveError, check_band, validate_type
from . import _kernels as K
from ._xr import MIN_SITES, along_time, carry_attrs, check_measure_input, time_depth

__all__ = ["bandpass", "choose_band", "band_choice"]


def _resolve_band(grid, band, info):
    """Validated ``(lo, hi)``: the given band, or :func:`choose_band` when None."""
    if band is None:
        return choose_band(grid)
    return check_band(band, info.sampling_rate, n_times=info.n_times, time_units=info.time_units)


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
    out = along_time(
        K.bandpass_kernel,
        grid,
        depth=time_depth(info.sampling_rate, (lo, hi)),
        dtype=np.float32,
        sos=sos,
        fs=info.sampling_rate,
        band=(lo, hi),
    )
    out.attrs = carry_attrs(grid, band=[lo, hi], filter=f"butterworth order {order} zero-phase")
    out.name = grid.name
    return out


#: the fit range of the aperiodic-corrected spectrum stops here (Hz, recordings only): the
#: rhythms a travelling-wave analysis targets (delta to low gamma) lie below it, and
#: mains noise at 50/60 Hz and upstream anti-alias filters above it
FOOOF_FMAX_HZ = 50.0


def choose_band(grid, *, fraction=0.15, fmin=None, max_sites=256, max_samples=2**18):
    """Choose a band around the dominant peak of the aperiodic-corrected spectrum.

    The valid sites' power spectra (Welch, mean removed, segments of a quarter of the
    recording) are averaged, and the spectrum is parameterised with FOOOF (``fooof``,
    Donoghue et al. 2020: an aperiodic component with a knee plus Gaussian peaks) over
    ``[fmin, fmax]``: ``fmin`` two cycles of the recording (or ``fmin``) and two
    frequency bins, ``fmax`` a quarter of the sampling rate, at most 50 Hz for
    recordings in seconds, and no frequency more than 40 dB below the strongest (an
    upstream low-pass filter's cliff is not fitted). The dominant peak is the one that
    stands highest above the aperiodic fit (in log10 power): a rhythm, not the
    steepest part of the 1/f background (slow drift). The band is its centre ``f0``
    plus and minus half the peak's bandwidth, clipped to between ``fraction`` and
    ``2 * fraction`` of ``f0``. Model grids (time in steps: compare's model bands were
    validated with this rule), spectra in which FOOOF finds no peak (aperiodic) and
    recordings too short for a fit range of 16 frequencies take the band
    ``f0 * (1 -+ fraction)`` around the strongest local maximum of the spectrum (or the
    largest excess over a straight 1/f fit). :func:`band_choice` says which rule was
    used and why.

    Parameters
    ----------
    grid : xarray.DataArray
    fraction : float
        Smallest half-width of the band relative to the peak frequency (the half-width
        of the band of the fallback rule).
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
    return band_choice(
        grid, fraction=fraction, fmin=fmin, max_sites=max_sites, max_samples=max_samples
    )[0]


def band_choice(grid, *, fraction=0.15, fmin=None, max_sites=256, max_samples=2**18):
    """:func:`choose_band` and how it chose: ``(band, choice)``.

    ``choice`` is plain JSON: ``method`` (``"fooof"`` or ``"spectral peak"``),
    ``rule`` (a sentence), ``fit_range``, and for FOOOF its ``aperiodic_mode``,
    ``aperiodic_exponent``, ``r_squared``, the ``peaks`` found (``[centre, height
    above aperiodic (log10 power), bandwidth]`` each) and the ``chosen_peak``;
    ``reason`` says why the fallback rule was used.
    """
    info = check_measure_input(grid, "grid", min_sites=MIN_SITES)
    if not 0 < fraction < 1:
        raise NeurowaveError(f"`fraction` must be between 0 and 1, got {fraction!r}.")
    x, fs = _spectrum_sites(grid, info, max_sites, max_samples)
    duration = info.n_times / fs
    import scipy.signal as ssig  # here: importing scipy.signal takes about a second

    n = x.shape[0]
    f, p = ssig.welch(x, fs=fs, nperseg=min(n, max(256, n // 4)), axis=0, detrend="constant")
    p = p.mean(axis=1)
    lo_f = max(2.2 / (duration * (1 - fraction)), 2 * f[1], 0.0 if fmin is None else float(fmin))
    hi_f = fs / 4 if info.time_units != "s" else min(fs / 4, FOOOF_FMAX_HZ)
    inrange = (f >= lo_f) & (f <= hi_f)
    reason = None
    if info.time_units != "s":
        # model grids (time in steps): compare's model bands (pooled short trials, fmin
        # of one trial) were validated with the spectral-peak rule, and FOOOF moves them
        # (the pretrained CoRNN's from 0.011-0.023 to 0.026-0.039 cycles/step)
        reason = (
            f"time in {info.time_units}s (a model grid): the spectral-peak rule "
            "compare's model bands were validated with"
        )
    elif inrange.sum() >= 16:
        top = p[inrange].max()
        keep = np.flatnonzero(inrange & (p >= top * 1e-4) & (p > 0))
        fit_range = [float(f[keep[0]]), float(f[keep[-1]])]
        choice = _fooof_peak(f, p, fit_range, f[1] - f[0])
        if choice is not None:
            f0, bw = choice["chosen_peak"][0], choice["chosen_peak"][2]
            half = float(np.clip(bw / 2, fraction * f0, 2 * fraction * f0))
            band = check_band(
                (f0 - half, f0 + half), fs, n_times=info.n_times, time_units=info.time_units
            )
            return band, choice
        reason = "FOOOF found no peak above the aperiodic fit"
    else:  # a recording too short for FOOOF
        reason = (
            f"fewer than 16 frequencies between {lo_f:.3g} and {hi_f:.3g} for FOOOF "
            "(a short recording)"
        )
    band = _legacy_band(x, fs, info, fraction, fmin)
    return band, {
        "method": "spectral peak",
        "reason": reason,
        "rule": "the strongest local maximum of the mean spectrum (1 dB "
        "prominence; else the largest excess over a straight 1/f fit), "
        f"+-{fraction:g} of its frequency",
    }


def _fooof_peak(f, p, fit_range, df):
    """FOOOF fit of the spectrum over ``fit_range``: the choice dict, or None (no peak)."""
    import warnings

    # fooof's notice about specparam (it sets its own filter, so recorded, not ignored)
    # and its fit warnings stay out of the user's way
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("ignore")
        from fooof import FOOOF

        fm = FOOOF(
            peak_width_limits=(2 * df, 12.0),
            max_n_peaks=6,
            min_peak_height=0.1,
            aperiodic_mode="knee",
            verbose=False,
        )
        try:
            fm.fit(f, p, fit_range)
        except Exception:  # fooof's curve fits fail on garbled spectra
            return None  # (FitError, overflows, singular matrices): the fallback rule decides
    peaks = np.asarray(fm.peak_params_, float).reshape(-1, 3)
    if not fm.has_model or peaks.shape[0] == 0:
        return None
    best = peaks[int(np.argmax(peaks[:, 1]))]
    return {
        "method": "fooof",
        "rule": "the FOOOF peak highest above the aperiodic fit (log10 power), band = "
        "centre +- half its bandwidth, clipped to 15-30 % of the centre",
        "fit_range": fit_range,
        "aperiodic_mode": "knee",
        "aperiodic_exponent": float(fm.aperiodic_params_[-1]),
        "r_squared": float(fm.r_squared_),
        "peaks": [[float(v) for v in pk] for pk in peaks],
        "chosen_peak": [float(v) for v in best],
    }


def _spectrum_sites(grid, info, max_sites, max_samples):
    """The first ``max_samples`` samples of at most ``max_sites`` gap-free valid sites
    (T, S) float64, and the sampling rate."""
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
    if info.n_times < 128:
        raise NeurowaveError(
            f"The signal is too short to choose a band from its spectrum ({info.n_times} "
            "samples; at least 128 are needed). Pass `band` explicitly or use a longer "
            "recording."
        )
    return x, fs


def _legacy_band(x, fs, info, fraction, fmin):
    """The fallback rule of :func:`band_choice`: ``f0 * (1 -+ fraction)`` around the
    strongest local maximum of the spectrum within 40 dB of the strongest bin."""
    import scipy.signal as ssig

    n = x.shape[0]
    duration = info.n_times / fs
    nperseg = n if n < 256 else min(n // 2, 2**15)
    nfft = int(min(max(4 * nperseg, 256), 2**17))
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
