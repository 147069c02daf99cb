"""Wavenumber-frequency (k-omega) spectra of a whole recording.

The package holds the layout of the sites and the search range (:mod:`._layout`), the
cross-spectra (:mod:`._csd`), the spectrum (:mod:`._spectrum`), the estimator of the
dominant wave (:mod:`._estimate`) and the plot (:mod:`._plot`); every public name is
imported here.

The power of a wave grid over temporal frequency ``f`` and spatial wavenumber
``(kx, ky)`` (cycles per space unit). Its peak gives the dominant wave's phase speed
``f / |k|`` and its direction of travel without per-frame thresholds; the balance of
power at ``+k`` and ``-k`` at the same frequency tells a travelling from a standing
wave.

How it is computed (methods page, "Wavenumber-frequency spectra"):

1. The recording is cut into Hann-tapered windows (Welch; ``window`` samples,
   ``overlap``) and each window is Fourier transformed in time (``scipy.fft.rfft``).
2. At each frequency, the amplitude of a plane wave ``exp(i(2 pi f t - 2 pi k.x))`` is
   fitted to the valid sites by weighted least squares (one plane wave at a time;
   the weights are a spatial taper). Dead sites get no weight: nothing is filled in.
   The spectrum is the squared amplitude averaged over windows, ``P(f, k) =
   mean_w |sum_j w_j X_wj(f) exp(i 2 pi k.x_j)|^2`` with ``sum_j w_j = 1``.
3. On a regular grid this is the power of the windowed 3-D FFT (time, y, x) of the
   tapered, masked data, and it is computed as one: each window's spectra, weighted and
   placed on the lattice, are Fourier transformed in space with ``scipy.fft`` on a
   k-grid at least twice as fine as the array's own, and the power is summed over
   windows (memory follows the k-grid, not the square of the number of sites, so a
   100 x 100 imaging grid costs megabytes). The grid holds ``P`` exactly (it is a
   trigonometric polynomial in ``k`` whose lags are the site differences). On an
   irregular layout ``P`` is evaluated directly, and beyond the mean spacing's
   Nyquist wavenumber: a jittered layout has no exact grating lobe, so it tells
   waves apart up to a wavenumber set by its own beam pattern (see
   :func:`compute_kw_spectrum`, Notes).

Sign convention (DESIGN.md): a positive frequency and wavenumber ``k`` mean a wave
``cos(2 pi f t - 2 pi k.x)`` travelling along ``k``; the direction of travel is
``atan2(ky, kx)`` in degrees counter-clockwise from +x.
"""

from ._estimate import KWWave, estimate_kw_wave, kw_summary
from ._layout import (  # noqa: F401 (the constants stay importable from here)
    ALIAS_LEVEL,
    K_CEILING,
    MAX_VALUES,
    MIN_SPEED_MS,
    TAPERS,
    KWRangeWarning,
)
from ._plot import plot_kw_spectrum
from ._spectrum import compute_kw_spectrum

__all__ = [
    "compute_kw_spectrum",
    "estimate_kw_wave",
    "KWWave",
    "KWRangeWarning",
    "plot_kw_spectrum",
    "kw_summary",
]
