"""Analytic signal, phase and instantaneous frequency of wave grids."""

from __future__ import annotations

import numpy as np

from .._validate import check_option, check_positive
from . import _kernels as K
from ._xr import MIN_SITES, along_time, carry_attrs, check_measure_input, grid_units, time_depth
from .filter import _resolve_band

__all__ = ["compute_analytic_signal", "compute_phase", "compute_frequency", "PHASE_METHODS"]

PHASE_METHODS = ("hilbert", "generalized", "wavelet")


def _analytic(grid, band, method, order, output):
    check_option("method", method, PHASE_METHODS)
    info = check_measure_input(grid, "grid", min_sites=MIN_SITES)
    lo, hi = _resolve_band(grid, band, info)
    dtype = np.complex64 if output == "complex" else np.float32
    out = along_time(
        K.analytic_kernel,
        grid,
        depth=time_depth(info.sampling_rate, (lo, hi)),
        dtype=dtype,
        fs=info.sampling_rate,
        band=(lo, hi),
        method=method,
        order=order,
        out_kind=output,
    )
    out.attrs = carry_attrs(
        grid,
        band=[lo, hi],
        phase_method=method,
        sampling_rate=info.sampling_rate,
        time_units=info.time_units,
        space_units=info.space_units,
    )
    return out


def compute_analytic_signal(grid, *, band=None, method="hilbert", order=4):
    """Band-limited analytic signal of every site.

    Parameters
    ----------
    grid : xarray.DataArray
        A wave grid.
    band : (float, float) | None
        Band in Hz (cycles/step for models); None chooses it with
        :func:`~neurowave.waves.choose_band`.
    method : {"hilbert", "generalized", "wavelet"}
        ``"hilbert"``: zero-phase Butterworth band-pass and Hilbert transform. Both are
        applied in one FFT: the spectrum is multiplied by the squared magnitude response
        of the Butterworth filter (the response of the forward-backward SOS filter of
        :func:`~neurowave.waves.bandpass`) and made one-sided; each end is padded with
        its edge value for one period of the band width.
        ``"generalized"``: generalized phase (Davis et al., Nature 2020): band-pass (use
        a broad band, e.g. 5-40 Hz), single-sided FFT analytic signal, and epochs of
        negative instantaneous frequency (extended to three times their length) repaired
        by interpolating the unwrapped phase across them; the amplitude is kept.
        ``"wavelet"``: a complex Morlet wavelet centred on the band, applied in the
        frequency domain as a Gaussian with half amplitude at the band edges.
    order : int
        Order of the Butterworth band-pass.

    Returns
    -------
    z : xarray.DataArray
        complex64, same dims and coords; ``attrs["band"]`` and ``attrs["phase_method"]``.
        A site with any NaN sample comes out NaN throughout (a dead site); fill or cut
        gaps first.

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> grid, _ = simulate_wave("planar", frequency=10, duration=1.0, seed=0)
    >>> z = compute_analytic_signal(grid, band=(8, 12))
    >>> z.dtype.kind, z.attrs["phase_method"]
    ('c', 'hilbert')
    """
    out = _analytic(grid, band, method, order, "complex")
    out.name = "analytic_signal"
    return out


def compute_phase(grid, *, band=None, method="hilbert", order=4):
    """Instantaneous phase in (-pi, pi] of every site (see :func:`compute_analytic_signal`).

    Returns
    -------
    phase : xarray.DataArray
        float32 radians, same dims and coords; ``attrs["band"]``,
        ``attrs["phase_method"]``, and the grid's ``sampling_rate`` and units.

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> grid, _ = simulate_wave("planar", frequency=10, duration=1.0, seed=0)
    >>> phase = compute_phase(grid, band=(8, 12))
    >>> bool(abs(phase).max() <= 3.1416), phase.attrs["band"]
    (True, [8.0, 12.0])
    """
    out = _analytic(grid, band, method, order, "phase")
    out.name = "phase"
    out.attrs["units"] = "rad"
    return out


def compute_frequency(phase):
    """Instantaneous frequency from phase by wrapped central differences.

    Parameters
    ----------
    phase : xarray.DataArray
        As returned by :func:`compute_phase`.

    Returns
    -------
    frequency : xarray.DataArray
        Same dims, in Hz (cycles/step for models), float32.

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> grid, _ = simulate_wave("planar", frequency=10, duration=2.0, seed=0)
    >>> f = compute_frequency(compute_phase(grid, band=(8, 12)))
    >>> round(float(f.isel(time=slice(500, 1500)).median()), 1)
    10.0
    """
    check_measure_input(phase, "phase", min_sites=1)
    sr, tu, _su = grid_units(phase)
    check_positive(sr, "sampling_rate")
    out = along_time(K.frequency_kernel, phase, depth=1, dtype=np.float32, fs=sr)
    out.attrs = carry_attrs(phase, units="Hz" if tu == "s" else f"cycles/{tu}")
    out.name = "frequency"
    return out
