"""Wavenumber-frequency (k-omega) spectra of a whole recording.

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
   tapered, masked data, and it is computed as one: the spatial lag correlation of the
   cross-spectra is Fourier transformed with ``scipy.fft`` (Wiener-Khinchin), on a
   k-grid at least twice as fine as the array's own, which holds ``P`` exactly (it is
   a trigonometric polynomial in ``k`` whose lags are the site differences). On an
   irregular layout ``P`` is evaluated directly, and beyond the mean spacing's
   Nyquist wavenumber: a jittered layout has no exact grating lobe, so it tells
   waves apart up to a wavenumber set by its own beam pattern (see
   :func:`compute_kw_spectrum`, Notes).

Sign convention (DESIGN.md): a positive frequency and wavenumber ``k`` mean a wave
``cos(2 pi f t - 2 pi k.x)`` travelling along ``k``; the direction of travel is
``atan2(ky, kx)`` in degrees counter-clockwise from +x.
"""

from __future__ import annotations
from neurowave._validate import NeurowaveError, NeurowaveTypeError

import math
import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .._validate import check_band, check_option, validate_type
from ..grid import _sampling_rate, site_positions, validate_grid
from ._xr import speed_factor, units

__all__ = ["compute_kw_spectrum", "estimate_kw_wave", "KWWave", "KWRangeWarning",
           "plot_kw_spectrum", "kw_summary"]

TAPERS = ("hann", "tukey", "boxcar")


class KWRangeWarning(UserWarning):
    """The k-omega peak lies where the estimator is not reliable (see the message).

    ``reason`` is ``"aliased"`` (the peak is near the spatial Nyquist wavenumber of a
    regular grid, or at the largest wavenumber an irregular layout tells from its
    aliases: the wave may be shorter), ``"range"`` (on an irregular layout, the peak
    lies beyond the wavenumbers searched, e.g. slower than 0.1 m/s, or the search was
    cut to hold the spectrum in memory; pass ``k_max``), ``"incoherent"`` (the peak's
    plane wave explains less than 30 % of the sites' power at its frequency),
    ``"long"`` (the wavenumber is
    not known to better than a third of itself: the wave is too long for the array at
    this noise level and recording length) or ``"edge"`` (the peak frequency is at
    the edge of the band).
    """

    def __init__(self, message, *, reason):
        super().__init__(message)
        self.reason = reason


# --------------------------------------------------------------------------- geometry


def _axis_taper(u, kind):
    """Taper values in (0, 1] at positions ``u`` in [0, 1] (0 and 1: the outermost sites)."""
    if kind == "boxcar":
        return np.ones_like(u)
    if kind == "hann":
        return np.sin(np.pi * u) ** 2
    # tukey, alpha = 0.5: flat middle half, cosine flanks
    a = 0.5
    out = np.ones_like(u)
    lo = u < a / 2
    hi = u > 1 - a / 2
    out[lo] = 0.5 * (1 - np.cos(2 * np.pi * u[lo] / a))
    out[hi] = 0.5 * (1 - np.cos(2 * np.pi * (1 - u[hi]) / a))
    return out


def _spatial_weights(pos, spacing, kind):
    """Taper weights of the sites ``pos`` (n, 2), summing to 1.

    The taper is separable along x and y (along the principal axes for an elongated
    layout) and spans the sites' extent plus half a spacing on each side, so that no
    site gets zero weight.
    """
    c = pos.mean(0)
    d = pos - c
    if len(pos) > 2:
        _, sv, vt = np.linalg.svd(d, full_matrices=False)
        if sv[-1] < 0.9 * sv[0]:  # elongated: its own axes; square-ish: x and y
            d = d @ vt.T
    w = np.ones(len(pos))
    for a in range(d.shape[1]):
        lo, hi = d[:, a].min() - spacing / 2, d[:, a].max() + spacing / 2
        w *= _axis_taper((d[:, a] - lo) / (hi - lo), kind)
    return w / w.sum()


def _lattice(grid):
    """(ny, nx, dy, dx) when the grid's coords are uniform, else None."""
    if "channel" in grid.dims:
        return None
    x = np.asarray(grid["x"].values, float)
    y = np.asarray(grid["y"].values, float)
    if len(x) < 2 or len(y) < 2:
        return None
    dx, dy = np.diff(x), np.diff(y)
    if not (np.allclose(dx, dx[0], rtol=1e-6) and np.allclose(dy, dy[0], rtol=1e-6)):
        return None
    return len(y), len(x), float(dy[0]), float(dx[0])


# irregular layouts: the search beyond the mean pitch's Nyquist wavenumber
ALIAS_LEVEL = 0.8  # a sidelobe of the layout's beam pattern this high is an alias
MIN_SPEED_MS = 0.1  # m/s: the slowest wave searched by default (recordings in mm and s)
_MARGIN = 5  # grid steps computed beyond the radius searched: a peak's spline is whole
K_CEILING = 16  # the search never goes past this many times 1 / (2 spacing)
MAX_VALUES = 2 ** 25  # float64 values of power held (segments x frequencies x k-points)


def _beam_pattern(pos, w, gx, gy):
    """``|sum_j w_j exp(i 2 pi G.x_j)|^2`` on the grid ``gx`` x ``gy`` (Gx, Gy), separably."""
    ex = np.exp(2j * np.pi * np.outer(gx, pos[:, 0])) * w[None, :]  # (Gx, S)
    ey = np.exp(2j * np.pi * np.outer(pos[:, 1], gy))  # (S, Gy)
    return np.abs(ex @ ey) ** 2


def _alias_free_wavenumber(pos, w, narrow, spacing, step, k_cap):
    """The largest ``|k|`` (at most ``k_cap``) that the layout tells from its aliases.

    A plane wave at ``k1`` puts ``B(k2 - k1)`` of its power at ``k2``, with ``B`` the
    taper-weighted beam pattern of the sites (``B(0) = 1``). Every wavenumber of the
    disc ``|k| <= k`` is told from every other when ``B(G) < ALIAS_LEVEL`` for all
    ``G`` outside the main lobe with ``|G| <= 2 k``. A regular lattice of pitch ``d``
    has ``B = 1`` at ``|G| = 1 / d``, which gives its Nyquist wavenumber ``1 / (2 d)``;
    a jittered or irregular layout has no such exact grating lobe, and its limit is
    where its highest sidelobe first reaches ``ALIAS_LEVEL`` (``k_cap`` when none does).
    Returns ``(k, worst)``: the limit and the highest sidelobe within ``2 k``.
    """
    g_max = 2 * k_cap
    n = int(np.ceil(g_max / step))
    gx = np.arange(-n, n + 1) * step
    gy = np.arange(0, n + 1) * step  # B(-G) = B(G): a half plane
    b = _beam_pattern(pos, w, gx, gy)
    r = np.hypot(gx[:, None], gy[None, :])
    lobe = r < 2.0 / (narrow + spacing)  # the taper's main lobe (Hann: first null)
    bad = (b >= ALIAS_LEVEL) & ~lobe & (r <= g_max)
    k = 0.5 * float(r[bad].min()) if bad.any() else float(k_cap)
    side = (~lobe) & (r <= 2 * k)
    worst = float(b[side].max()) if side.any() else 0.0
    return min(k, float(k_cap)), worst


def _extent(pos):
    """Width of the layout along its narrower and its wider principal axis."""
    d = pos - pos.mean(0)
    _, _, vt = np.linalg.svd(d, full_matrices=False)
    p = d @ vt.T
    w = p.max(0) - p.min(0)
    if w.size < 2:
        w = np.r_[w, 0.0]
    return float(w.min()), float(w.max())


# --------------------------------------------------------------------------- kernels


def _window_starts(n_times, nperseg, hop):
    return np.arange(0, n_times - nperseg + 1, hop, dtype=np.int64)


def _csd_kernel(x, starts, nperseg, nfft, fidx, seg_of, n_seg, batch=None, vidx=None):
    """Cross-spectral sums over the windows starting at ``starts`` of ``x`` (T, S).

    ``vidx`` selects the sites (columns) used; None: all.

    Returns ``(csd, count)``: ``csd`` (n_seg, F, S, S) complex128, the sum over windows
    of ``X X^H`` (``X`` the Hann-windowed rfft, normalised so that a cosine of
    amplitude A at a bin centre has ``|X| = A``), and ``count`` (n_seg,) the windows
    used. Windows in which any site has a NaN are left out. One BLAS thread: the
    batched products are small, and dask runs chunks in parallel.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _csd_batches(x, starts, nperseg, nfft, fidx, seg_of, n_seg, batch, vidx)


def _csd_batches(x, starts, nperseg, nfft, fidx, seg_of, n_seg, batch, vidx):
    import scipy.fft as sf
    from numpy.lib.stride_tricks import sliding_window_view

    n_s = x.shape[1] if vidx is None else len(vidx)
    dt = np.float32 if x.dtype == np.float32 else np.float64
    taper = np.hanning(nperseg + 1)[:-1] if nperseg > 1 else np.ones(1)  # periodic Hann
    taper = (2.0 / taper.sum()) * taper
    csd = np.zeros((n_seg, len(fidx), n_s, n_s), np.complex128)
    count = np.zeros(n_seg, np.int64)
    if len(starts) == 0:
        return csd, count
    if batch is None:  # about 32 MB of float64 windows per batch
        batch = int(np.clip(2 ** 22 // max(1, nperseg * n_s), 8, 4096))
    taper_d = taper.astype(dt)
    taper_f = sf.rfft(taper_d, n=nfft)[fidx]  # removing a window's mean, in the spectrum
    for b0 in range(0, len(starts), batch):
        st = starts[b0:b0 + batch]
        sg = seg_of[b0:b0 + batch]
        # the span of this batch, sites first, so that each window is contiguous
        span = np.asarray(x[st[0]:st[-1] + nperseg])
        if vidx is not None:
            span = span[:, vidx]
        span = np.ascontiguousarray(span.T, dtype=dt)  # (S, T)
        rel = st - st[0]
        # windows with a NaN anywhere, and window means, from running sums of the span
        bad = np.concatenate([[0], np.cumsum(~np.isfinite(span).all(0))])
        ok = bad[rel + nperseg] == bad[rel]
        if not ok.all():
            rel, sg = rel[ok], sg[ok]
        if len(rel) == 0:
            continue
        csum = np.zeros((span.shape[0], span.shape[1] + 1))
        np.cumsum(span, axis=1, dtype=np.float64, out=csum[:, 1:])
        mean = (csum[:, rel + nperseg] - csum[:, rel]) / nperseg  # (S, B)
        w = sliding_window_view(span, nperseg, axis=1)[:, rel] * taper_d  # (S, B, nperseg)
        spec = sf.rfft(w, n=nfft, axis=-1)[..., fidx]  # (S, B, F)
        spec -= mean[..., None].astype(dt) * taper_f
        for s in np.unique(sg):
            a = np.ascontiguousarray(spec[:, sg == s].transpose(2, 0, 1))  # (F, S, b)
            ah = np.ascontiguousarray(a.conj().transpose(0, 2, 1))
            csd[s] += np.matmul(a, ah)
            count[s] += a.shape[2]
    return csd, count


def _coarray_power(csd, w_full, ny, nx, nk):
    """``P(f, k)`` on the FFT k-grid of a regular lattice from cross-spectra.

    ``csd`` (..., F, S, S) over the ``ny * nx`` lattice sites (C order), ``w_full``
    (S,) the weights (0 at dead sites). Returns (..., F, nk, nk) indexed (ky, kx) in
    ``scipy.fft.fftfreq`` order.
    """
    import scipy.fft as sf

    lead = csd.shape[:-2]
    b = csd * (w_full[:, None] * w_full[None, :])
    b = b.reshape(lead + (ny, nx, ny, nx))
    r = np.zeros(lead + (nk, nk), np.complex128)
    for dy in range(-(ny - 1), ny):
        m = 0.0
        for iy in range(max(0, dy), min(ny, ny + dy)):  # sum over iy of b[iy, :, iy - dy, :]
            m = m + b[..., iy, :, iy - dy, :]
        for dx in range(-(nx - 1), nx):
            r[..., dy % nk, dx % nk] = np.trace(m, offset=-dx, axis1=-2, axis2=-1)
    # P(k_m) = sum_lag R(lag) exp(+i 2 pi m.lag / nk) = nk^2 ifft2(R)
    p = sf.ifft2(r, axes=(-2, -1)) * (nk * nk)
    return p.real


def _steered_power(csd, w, pos, kx, ky, radius=None, box=None):
    """``P(f, k)`` at the points ``kx`` x ``ky`` for sites ``pos`` (S, 2), weights ``w``.

    ``radius`` (F,) and ``box``: evaluate, at frequency ``i``, only the wavenumbers in
    the square ``|kx|, |ky| <= box`` or the disc ``|k| <= radius[i]`` (NaN elsewhere).
    Returns (..., F, len(ky), len(kx)).

    With ``C = Cr + i Ci`` (``Cr`` symmetric, ``Ci`` antisymmetric) and the steering
    vector's parts ``a = w cos(2 pi k.x)``, ``s = w sin(2 pi k.x)``,
    ``P(+-k) = a'Cr a + s'Cr s +- 2 a'Ci s``: three real products give the power at
    ``k`` and at ``-k``, so a grid symmetric about 0 is evaluated on one half.
    """
    lead = csd.shape[:-2]
    n_s = csd.shape[-1]
    nf = lead[-1] if lead else 1
    flat = csd.reshape((-1, nf, n_s, n_s))  # (B, F, S, S)
    nb = flat.shape[0]
    kxx, kyy = np.meshgrid(kx, ky)  # (Ky, Kx)
    kxf, kyf = kxx.ravel(), kyy.ravel()

    def symmetric(a):
        return np.allclose(a, -a[::-1], rtol=0, atol=1e-9 * max(1e-300, np.abs(a).max()))

    idx = np.arange(kxf.size)
    if symmetric(np.asarray(kx, float)) and symmetric(np.asarray(ky, float)):
        mirror = idx.reshape(kxx.shape)[::-1, ::-1].ravel()  # the index of -k
        rep = idx <= mirror
    else:
        mirror, rep = None, np.ones(kxf.size, bool)
    if radius is None:
        inside = np.ones((nf, kxf.size), bool)
    else:
        tol = 1 + 1e-9
        inbox = (np.abs(kxf) <= box * tol) & (np.abs(kyf) <= box * tol)
        r2 = kxf ** 2 + kyf ** 2
        inside = inbox[None, :] | (r2[None, :] <= (np.asarray(radius, float)[:, None] * tol) ** 2)
    out = np.full((nb, nf, kxf.size), np.nan)
    blk = max(64, 2 ** 21 // max(1, nb * n_s))  # (B S, block) products of ~16 MB
    for fi in range(nf):
        pts = np.flatnonzero(rep & inside[fi])
        cr = np.ascontiguousarray(flat[:, fi].real).reshape(nb * n_s, n_s)
        ci = np.ascontiguousarray(flat[:, fi].imag).reshape(nb * n_s, n_s)
        for b0 in range(0, len(pts), blk):
            ids = pts[b0:b0 + blk]
            ph = 2 * np.pi * (np.outer(pos[:, 0], kxf[ids]) + np.outer(pos[:, 1], kyf[ids]))
            a = np.cos(ph) * w[:, None]  # (S, m)
            sn = np.sin(ph) * w[:, None]
            m = len(ids)
            q1 = np.einsum("ik,bik->bk", a, (cr @ a).reshape(nb, n_s, m))
            q1 += np.einsum("ik,bik->bk", sn, (cr @ sn).reshape(nb, n_s, m))
            q2 = 2 * np.einsum("ik,bik->bk", a, (ci @ sn).reshape(nb, n_s, m))
            out[:, fi, ids] = q1 + q2
            if mirror is not None:
                out[:, fi, mirror[ids]] = q1 - q2
    return out.reshape(lead + (len(ky), len(kx)))


def _irregular_search(pos, w, narrow, wide, spacing, k_nyq, nk, f, df, n_seg, k_max, tu,
                      su):
    """The wavenumbers searched on an irregular layout (see compute_kw_spectrum, Notes).

    Returns a dict: ``kgrid`` (the axis, fine inside ``[-k_nyq, k_nyq]``, half the
    array's resolution ``1 / (2 wide)`` apart outside), ``radius`` (F,) the disc
    searched at each frequency beyond the Nyquist square, ``k_search`` (its largest),
    ``k_alias_free`` (what the layout tells from its aliases), ``worst`` (the
    layout's highest sidelobe within that), ``min_speed`` (the speed floor, None
    when not used) and ``limited_by``.
    """
    h_in = 2 * k_nyq / (nk - 1)
    h_out = max(h_in, 1.0 / (2 * wide))
    min_speed = None
    if k_max is not None:
        validate_type(k_max, "numeric", "k_max")
        if not (np.isfinite(k_max) and k_max > 0):
            raise NeurowaveError(f"`k_max` must be a positive wavenumber (cycles/{su}), got "
                                 f"{k_max!r}.")
        k_cap, limited_by = float(k_max), "k_max"
    elif (tu, su) == ("s", "mm"):
        min_speed = MIN_SPEED_MS
        k_cap, limited_by = (float(f.max()) + 2 * df) / (min_speed * 1e3), "min_speed"  # mm/s
    else:
        k_cap, limited_by = 4 * k_nyq, "ceiling"
    if k_cap > K_CEILING * k_nyq:
        k_cap, limited_by = K_CEILING * k_nyq, "ceiling"
    k_af, worst = _alias_free_wavenumber(pos, w, narrow, spacing, 1.0 / (3 * wide),
                                         max(k_cap, k_nyq))
    k_search = max(k_nyq, min(k_cap, k_af))
    if k_af < k_cap:
        limited_by = "layout"
    # memory: segments x frequencies x the whole (kx, ky) grid, float64
    n_max = int(np.sqrt(MAX_VALUES / max(1, n_seg * len(f))))
    n_out = int(np.ceil((k_search - k_nyq) / h_out - 1e-9)) if k_search > k_nyq else 0
    if nk + 2 * (n_out + _MARGIN) > n_max:
        n_out = max(0, (n_max - nk) // 2 - _MARGIN)
        k_new = k_nyq + n_out * h_out
        warnings.warn(KWRangeWarning(
            f"The wavenumbers searched on this irregular layout stop at {k_new:.3g} "
            f"cycles/{su} instead of {k_search:.3g} to hold the spectrum in memory "
            f"({n_seg} segment(s) x {len(f)} frequencies); pass a narrower band, fewer "
            "segments or a smaller `k_max`.", reason="range"), stacklevel=3)
        k_search, limited_by = k_new, "memory"
    outer = k_nyq + h_out * np.arange(1, n_out + 1 + _MARGIN)
    if n_out:
        k_search = float(outer[n_out - 1])
    else:
        k_search = k_nyq
    kgrid = np.concatenate([-outer[::-1], np.linspace(-k_nyq, k_nyq, nk), outer])
    radius = np.full(len(f), k_search)
    if min_speed is not None:
        # a tone leaks into the two bins either side (Hann): each bin is searched as far
        # as the floor allows two bins above it, so that the peak's neighbours, which
        # place its frequency between bins, are there too
        radius = np.minimum(radius, (f + 2 * df) / (min_speed * 1e3))
    # the margin lets a peak beyond the radius be refined and flagged; beyond the
    # layout's own limit it would hold the exact aliases of the waves inside
    margin = 0.0 if limited_by == "layout" else _MARGIN * h_out
    return {"kgrid": kgrid, "radius": radius, "computed": radius + margin,
            "k_search": k_search, "k_alias_free": k_af, "worst": worst,
            "min_speed": min_speed, "limited_by": limited_by}


# --------------------------------------------------------------------------- public


def _default_window(n_times, sr, band):
    if band is not None and band[0] > 0:
        # four cycles of the lowest frequency, and at least four bins across the band
        n = int(math.ceil(4.0 * sr / min(band[0], band[1] - band[0])))
    else:
        n = int(np.clip(n_times // 8, 16, 4096))
    return n


def compute_kw_spectrum(grid, *, band=None, window=None, overlap=0.5, taper="hann",
                        n_k=None, segments=None, k_max=None):
    """Wavenumber-frequency power spectrum of a wave grid, averaged over windows.

    Parameters
    ----------
    grid : xarray.DataArray
        A wave grid (``("time", "y", "x")`` or ``("time", "channel")``); dead sites
        are NaN for all time and get no weight. A dask-backed grid stays lazy: the
        result is a dask array that reads one time chunk at a time, so memory is set
        by the chunk (and a batch of windows), not the recording (the dead sites are
        found first, by one reduction pass).
    band : (float, float) | None
        Frequencies kept (Hz, or cycles/step); None keeps every frequency above 0.
    window : int | None
        Samples per window; default four cycles of the band's low edge (1 s for a band
        from 4 Hz) and at least four frequency bins across the band, or an eighth of
        the recording (16 to 4096 samples) without a band.
        The frequency resolution is ``sampling_rate / window``.
    overlap : float
        Fraction of a window shared with the next (0 to 0.9; default 0.5).
    taper : {"hann", "tukey", "boxcar"}
        Spatial taper along x and y (the principal axes of an elongated layout; no site
        gets zero weight).
        Tapers lower the side lobes of a peak; ``"boxcar"`` gives the narrowest peak
        and the smallest noise for a single wave.
    n_k : int | None
        Wavenumbers per axis. Regular grids: the FFT size, at least ``2 n - 1`` for
        ``n`` sites along an axis (default ``max(64, 2 n - 1)``), over
        ``[-1/(2 dx), 1/(2 dx))``. Irregular layouts: points over
        ``[-k_nyq, k_nyq]`` with ``k_nyq = 1 / (2 spacing)`` (default 65, odd so that
        ``k = 0`` is on the grid); beyond, points half the array's resolution apart
        (``1 / (2 extent)``) up to the search range (Notes).
    segments : int | None
        Split the windows into this many contiguous blocks and return one spectrum per
        block (dim ``"segment"``, coord ``n_windows``), from which
        :func:`estimate_kw_wave` takes a jackknife interval. None: one spectrum.
    k_max : float | None
        Irregular layouts only: the largest wavenumber searched (cycles per space
        unit), e.g. ``f / speed`` for waves slower than the default floor. None: chosen
        from the layout and the band (Notes).

    Returns
    -------
    spectrum : xarray.DataArray
        ``P`` with dims ``("f", "kx", "ky")`` (``("segment", "f", "kx", "ky")`` with
        ``segments``): the mean squared least-squares amplitude of the plane wave
        ``cos(2 pi f t - 2 pi k.x)``, in signal units squared (a plane wave of
        amplitude A at a bin centre peaks at ``A**2``). Coords ``f`` (Hz or
        cycles/step), ``kx``, ``ky`` (cycles/mm or cycles/cell). ``attrs``:
        ``window``, ``overlap``, ``n_windows``, ``taper``, ``layout``, ``spacing``,
        ``extent`` (narrower, wider; space units), ``k_resolution`` (``1 / wider
        extent``), ``k_nyquist``, the sites used (``site_x``, ``site_y``,
        ``site_weight``) and the grid's provenance. Irregular layouts also have the
        coord ``k_radius`` (the radius searched at each frequency beyond the Nyquist
        square; power further out is NaN) and attrs ``k_search`` (its largest),
        ``k_alias_free`` (the layout's limit), ``alias_sidelobe`` (the layout's
        highest sidelobe within it), ``min_speed`` (the floor used, m/s; NaN when
        none) and ``k_limited_by`` (``"layout"``, ``"min_speed"``, ``"k_max"``,
        ``"ceiling"`` or ``"memory"``).

    Raises
    ------
    ValueError
        Fewer than three valid sites, sites on a line, a layout narrower than twice its
        spacing (no wavenumber to resolve), a band above Nyquist, a window longer than
        the recording, ``k_max`` for a regular grid.

    Warns
    -----
    KWRangeWarning
        ``reason="range"``: the wavenumbers searched on an irregular layout were cut
        to hold the spectrum within memory (about 256 MB of power values).

    Notes
    -----
    **Which wavenumbers are resolved.** A plane wave at ``k0`` puts the fraction
    ``B(k - k0)`` of its power at ``k``, where ``B(G) = |sum_j w_j exp(i 2 pi
    G.x_j)|^2`` is the taper-weighted beam pattern of the sites (``B(0) = 1``). On a
    regular grid of pitch ``d``, ``B = 1`` again at ``G = 1 / d``: waves beyond the
    Nyquist wavenumber ``1 / (2 d)`` (per grid axis; ``sqrt(2)`` times that along a
    diagonal) are indistinguishable from their aliases by any method, and peaks near
    it are flagged (``KWRangeWarning``, ``"aliased"``). A jittered or irregular
    layout has no exact grating lobe: the jittered 8 x 8 ECoG layout of
    :func:`~neurowave.datasets.simulate_wave` (10 mm, jitter 0.2 pitch) has no
    sidelobe above 0.65 out to ``|G| = 1.5`` cycles/mm, so a wave of a quarter pitch
    is still the unique full-power peak.

    **How far an irregular layout is searched.** Every pair of wavenumbers in the disc
    ``|k| <= K`` is told apart when ``B(G) < 0.8`` for all ``|G| <= 2 K`` outside the
    main lobe. The layout's limit ``k_alias_free`` is the largest such ``K`` (for a
    regular lattice this rule gives its Nyquist wavenumber). The search goes up to
    ``k_search = min(k_alias_free, cap)``, at least the square ``|kx|, |ky| <=
    1 / (2 spacing)``, with the cap: ``k_max`` when given; else for recordings (mm,
    s) the band's upper edge (plus two frequency bins) over 0.1 m/s, the slowest
    wave searched, and at each frequency only ``|k| <= (f + 2 df) / (0.1 m/s)``;
    else 4 times ``1 / (2 spacing)``; never past 16 times it. A few grid steps
    beyond the radius are computed too (unless the layout sets it: there they would
    hold aliases), so that a peak found there is refined and flagged (``"range"``)
    instead of being cut off. A peak within ``max(0.2 k_alias_free, 1 / (narrower
    extent + spacing))`` of a limit the layout sets is flagged ``"aliased"``. Waves slower than the floor
    are not searched: their sidelobes can read as a faster wave, so pass ``k_max``
    when slower waves are possible. The positions must be known to a small part of
    the shortest wavelength searched.

    **Cost.** Irregular layouts: the power at ``+k`` and ``-k`` from three real
    matrix products per frequency, ``O(segments x frequencies x sites^2 x
    k-points)``; about 4 s of CPU for 61 sites, 10 segments and 7 frequencies up to
    0.75 cycles/mm. Power values held are bounded (about 256 MB): beyond that the
    search range is cut with a warning.

    See Also
    --------
    estimate_kw_wave : Speed, direction, wavelength and travelling index of the peak.
    plot_kw_spectrum : f-|k| and kx-ky views.

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> grid, truth = simulate_wave("planar", speed=0.02, direction=30, frequency=10,
    ...                             duration=4.0, snr_db=10, seed=0)
    >>> spec = compute_kw_spectrum(grid, band=(5, 20))
    >>> spec.dims, spec.attrs["n_windows"]
    (('f', 'kx', 'ky'), 9)
    >>> peak = spec.sel(f=10).argmax(dim=["kx", "ky"])
    >>> float(spec.kx[peak["kx"]]), float(spec.ky[peak["ky"]])  # 0.5 cycles/mm at 30 deg
    (0.429..., 0.234...)
    """
    # dead sites are counted once below (for a dask grid, one reduction pass)
    info = validate_grid(grid, name="grid", min_sites=1, check_valid=False)
    sr = _sampling_rate(grid)
    tu, su = units(grid)
    nt = info.n_times
    check_option("taper", taper, TAPERS)
    validate_type(overlap, "numeric", "overlap")
    if not 0 <= float(overlap) <= 0.9:
        raise NeurowaveError(f"`overlap` must be between 0 and 0.9, got {overlap!r}.")
    funit = "Hz" if tu == "s" else f"cycles/{tu}"
    if band is not None:
        band = check_band(band, sr, n_times=nt, time_units=tu)
    if window is None:
        window = _default_window(nt, sr, band)
        if window > nt:
            raise NeurowaveError(
                f"The recording ({nt} samples) is shorter than one window of the band "
                f"{band!r} ({window} samples: four cycles of the low edge and four frequency "
                "bins across the band); record longer, widen the band or pass a shorter "
                "`window`."
            )
    validate_type(window, "int", "window")
    window = int(window)
    if window < 4 or window > nt:
        raise NeurowaveError(
            f"`window` must be between 4 and the recording's {nt} samples, got {window}."
        )
    hop = max(1, int(round(window * (1.0 - float(overlap)))))

    # sites
    pos_all = site_positions(grid)
    from ..grid import _valid_sites

    valid = _valid_sites(grid)
    n_valid = int(valid.sum())
    if n_valid == 0:
        raise NeurowaveError(
            "`grid` is all NaN: every site is dead. Check the file or the channel selection."
        )
    if n_valid < 3:
        raise NeurowaveError(
            f"`grid` has {n_valid} valid site(s), but a wavenumber spectrum needs at least 3 "
            "sites spread over two dimensions; pass a grid with more working sites."
        )
    pos = pos_all[valid]
    from ..grid import grid_spacing

    spacing = grid_spacing(pos)
    narrow, wide = _extent(pos)
    if narrow < 1e-9 * max(wide, 1e-300):
        raise NeurowaveError(
            f"The {n_valid} valid sites of `grid` lie on a line, so they cannot tell "
            "wavenumbers across it; pass a two-dimensional layout."
        )
    if narrow < 2 * spacing * (1 - 1e-6):
        raise NeurowaveError(
            f"The layout spans {narrow:.3g} {su} across its narrower axis, less than twice "
            f"its site spacing ({spacing:.3g} {su}), so it resolves no wavenumber; use a "
            "layout at least three sites wide in both directions."
        )
    lat = _lattice(grid)
    # frequencies
    nfft = window
    freqs = np.fft.rfftfreq(nfft, 1.0 / sr)
    fsel = freqs > 0
    if band is not None:
        fsel &= (freqs >= band[0]) & (freqs <= band[1])
    fidx = np.flatnonzero(fsel)
    if fidx.size == 0:
        raise NeurowaveError(
            f"No frequency of a {window}-sample window ({sr / window:.3g} {funit} apart) "
            f"falls in `band` {band!r}; widen the band or pass a longer `window`."
        )
    starts = _window_starts(nt, window, hop)
    n_win = len(starts)
    n_seg = 1
    if segments is not None:
        validate_type(segments, "int", "segments")
        if not 2 <= segments <= n_win:
            raise NeurowaveError(
                f"`segments` must be between 2 and the number of windows ({n_win}), got "
                f"{segments}; pass fewer segments or a shorter `window`."
            )
        n_seg = int(segments)
    seg_of = np.minimum((np.arange(n_win) * n_seg) // n_win, n_seg - 1)

    # weights, k-grid
    if lat is not None:
        ny, nx, dy, dx = lat
        kind = "grid"
        nk = n_k if n_k is not None else max(64, 2 * max(ny, nx) - 1)
        validate_type(nk, "int", "n_k")
        if nk < 2 * max(ny, nx) - 1:
            raise NeurowaveError(
                f"`n_k` must be at least {2 * max(ny, nx) - 1} (2 n - 1 for {max(ny, nx)} "
                f"sites along an axis), got {nk}."
            )
        if not np.isclose(dx, dy, rtol=1e-6):
            lat = None  # anisotropic lattice: evaluate like an irregular layout
    if lat is None:
        kind = "channel" if "channel" in grid.dims else "grid"
        nk = n_k if n_k is not None else 65
        validate_type(nk, "int", "n_k")
        if nk < 3:
            raise NeurowaveError(f"`n_k` must be at least 3, got {nk}.")
    w = _spatial_weights(pos, spacing, taper)
    search = None
    if lat is not None:
        if k_max is not None:
            raise NeurowaveError(
                "`k_max` applies to irregular layouts only: a regular grid is searched up to "
                "its Nyquist wavenumber 1 / (2 spacing), beyond which waves alias; drop `k_max`."
            )
        k_nyq = 1.0 / (2 * dx)
        kgrid = np.fft.fftshift(np.fft.fftfreq(nk, dx))
    else:
        k_nyq = 1.0 / (2 * spacing)
        search = _irregular_search(pos, w, narrow, wide, spacing, k_nyq, nk, freqs[fidx],
                                   sr / nfft, n_seg, k_max, tu, su)
        kgrid = search["kgrid"]

    # cross-spectra (lazy for dask)
    data = grid.data.reshape(nt, -1)
    vidx = np.flatnonzero(valid)
    csd, count = _csd(data, vidx, starts, window, nfft, fidx, seg_of, n_seg)

    def to_power(c, cnt):
        c = c / np.maximum(cnt, 1)[:, None, None, None]
        if lat is not None:
            full = np.zeros(c.shape[:2] + (ny * nx, ny * nx), np.complex128)
            full[:, :, vidx[:, None], vidx[None, :]] = c
            wf = np.zeros(ny * nx)
            wf[vidx] = w
            p = _coarray_power(full, wf, ny, nx, nk)
            p = np.fft.fftshift(p, axes=(-2, -1))
        else:
            p = _steered_power(c, w, pos, kgrid, kgrid, radius=search["computed"],
                               box=k_nyq)
        p = np.swapaxes(p, -1, -2)  # (..., kx, ky)
        return np.where(cnt[:, None, None, None] > 0, p, np.nan)

    # the taper-weighted mean power of the sites: no plane wave can exceed it
    site_power = (np.diagonal(csd, axis1=-2, axis2=-1).real @ w) / np.maximum(count, 1)[:, None]
    if hasattr(csd, "dask"):
        import dask.array as dsa

        power = dsa.map_blocks(lambda c, n: to_power(c, n[:, 0, 0, 0]), csd.rechunk(-1),
                               count.rechunk(-1)[:, None, None, None], dtype=float,
                               chunks=((n_seg,), (len(fidx),), (len(kgrid),), (len(kgrid),)))
        n_windows = None
    else:
        power = to_power(csd, count)
        n_windows = count
    fcoord = xr.Variable("f", freqs[fidx], attrs={"units": funit, "long_name": "frequency"})
    kunit = f"cycles/{su}"
    coords = {
        "f": fcoord,
        "kx": xr.Variable("kx", kgrid.copy(), attrs={"units": kunit, "long_name": "wavenumber x"}),
        "ky": xr.Variable("ky", kgrid.copy(), attrs={"units": kunit, "long_name": "wavenumber y"}),
    }
    keep = {k: v for k, v in grid.attrs.items()
            if k in ("source", "kind", "subject", "array_id", "format", "sampling_rate")}
    attrs = {
        **keep,
        "sampling_rate": float(sr),
        "time_units": tu,
        "space_units": su,
        "long_name": "wavenumber-frequency power",
        "units": "signal units squared (plane-wave amplitude squared)",
        "band": [float(freqs[fidx][0]), float(freqs[fidx][-1])] if band is None
        else [float(band[0]), float(band[1])],
        "window": int(window),
        "overlap": float(overlap),
        "n_windows_total": int(n_win),
        "taper": taper,
        "layout": kind,
        "method": "windowed 3-D FFT (lag correlation, Wiener-Khinchin)" if lat is not None
        else "least-squares plane-wave projection (steered response)",
        "spacing": float(spacing),
        "extent": [narrow, wide],
        "k_resolution": 1.0 / wide,
        "k_nyquist": float(k_nyq),
        "site_x": [float(v) for v in pos[:, 0]],
        "site_y": [float(v) for v in pos[:, 1]],
        "site_weight": [float(v) for v in w],
    }
    if lat is not None:
        attrs["lattice"] = [int(ny), int(nx), float(dy), float(dx)]
    else:
        attrs["k_search"] = float(search["k_search"])
        attrs["k_alias_free"] = float(search["k_alias_free"])
        attrs["alias_sidelobe"] = float(search["worst"])
        attrs["min_speed"] = float("nan") if search["min_speed"] is None \
            else float(search["min_speed"])
        attrs["k_limited_by"] = search["limited_by"]
        coords["k_radius"] = ("f", search["radius"], {
            "long_name": "largest wavenumber searched (beyond the Nyquist square)",
            "units": kunit})
    if segments is None:
        power = power[0]
        dims = ("f", "kx", "ky")
        coords["site_power"] = ("f", site_power[0], {"long_name": "taper-weighted mean site power"})
        # lazy: the windows planned (those with NaN samples are skipped when computed)
        attrs["n_windows"] = int(n_win if n_windows is None else n_windows[0])
    else:
        dims = ("segment", "f", "kx", "ky")
        coords["segment"] = np.arange(n_seg)
        coords["site_power"] = (("segment", "f"), site_power,
                                {"long_name": "taper-weighted mean site power"})
        if n_windows is not None:
            coords["n_windows"] = ("segment", np.asarray(n_windows, int))
            attrs["n_windows"] = int(np.sum(n_windows))
        else:
            coords["n_windows"] = ("segment", count)  # lazy, like the power
            attrs["n_windows"] = int(n_win)
    return xr.DataArray(power, dims=dims, coords=coords, name="power", attrs=attrs)


def _csd(data, vidx, starts, window, nfft, fidx, seg_of, n_seg):
    """Cross-spectral sums (n_seg, F, S, S) and window counts; lazy for dask data.

    NumPy data is read in place (no copy of the recording), in groups of windows run on
    the available cores; dask data one time chunk at a time.
    """
    if not hasattr(data, "dask"):
        import os
        from concurrent.futures import ThreadPoolExecutor

        x = np.asarray(data)
        n_s = len(vidx)
        group = int(np.clip(2 ** 24 // max(1, window * n_s), 16, 1 << 20))
        groups = [np.arange(i, min(i + group, len(starts))) for i in range(0, len(starts), group)]
        if len(groups) <= 1:
            return _csd_kernel(x, starts, window, nfft, fidx, seg_of, n_seg, vidx=vidx)
        workers = max(1, min(len(groups), os.cpu_count() or 1))
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda g: _csd_kernel(x, starts[g], window, nfft, fidx,
                                                        seg_of[g], n_seg, vidx=vidx), groups))
        return sum(p[0] for p in parts), sum(p[1] for p in parts)
    import dask
    import dask.array as dsa

    x = data[:, vidx]
    x = x.rechunk({1: -1})
    bounds = np.cumsum((0,) + x.chunks[0])
    parts = []
    f = len(fidx)
    s = len(vidx)
    for a, b in zip(bounds[:-1], bounds[1:]):
        sel = (starts >= a) & (starts < b)
        if not sel.any():
            continue
        st = starts[sel]
        stop = int(st[-1] + window)
        piece = x[int(a):stop]
        part = dask.delayed(_csd_kernel, pure=True, nout=2)(
            piece, st - a, window, nfft, fidx, seg_of[sel], n_seg)
        parts.append(part)
    csds = [dsa.from_delayed(p[0], shape=(n_seg, f, s, s), dtype=np.complex128) for p in parts]
    cnts = [dsa.from_delayed(p[1], shape=(n_seg,), dtype=np.int64) for p in parts]
    return dsa.stack(csds).sum(0), dsa.stack(cnts).sum(0)


# --------------------------------------------------------------------------- estimate


@dataclass
class KWWave:
    """Result of :func:`estimate_kw_wave` (see there)."""

    speed: float
    direction: float
    wavelength: float
    frequency: float
    wavenumber: float
    kx: float
    ky: float
    travelling_index: float
    peak_power: float
    coherence: float
    speed_ci: tuple
    direction_ci: tuple
    wavelength_ci: tuple
    frequency_ci: tuple
    travelling_index_ci: tuple
    interval: str | None
    n_windows: int
    regime: str
    units: str
    space_units: str
    frequency_units: str
    warnings: tuple = ()

    def to_dict(self):
        """Plain-JSON dict (NaN as None)."""

        def clean(v):
            if isinstance(v, tuple):
                return [clean(a) for a in v]
            if isinstance(v, (float, np.floating)):
                v = float(v)
                return v if np.isfinite(v) else None
            if isinstance(v, np.integer):
                return int(v)
            return v

        return {k: clean(getattr(self, k)) for k in self.__dataclass_fields__}


class _Surface:
    """``P(k)`` of one frequency slice, with value, gradient and Hessian anywhere.

    Regular lattices: the exact trigonometric polynomial recovered from the FFT grid.
    Irregular layouts: a bicubic spline through the grid.
    """

    def __init__(self, p_kxky, kx, ky, lattice):
        self.lattice = lattice
        if lattice is not None:
            import scipy.fft as sf

            ny, nx, dy, dx = lattice
            nk = len(kx)
            p_yx = np.fft.ifftshift(np.asarray(p_kxky, float).T)  # (ky, kx) in fftfreq order
            r = sf.fft2(p_yx) / (nk * nk)  # R[dy mod nk, dx mod nk]
            ly = np.arange(-(ny - 1), ny)
            lx = np.arange(-(nx - 1), nx)
            self.r = r[np.ix_(ly % nk, lx % nk)]  # (Ly, Lx)
            self.ly = ly * dy
            self.lx = lx * dx
        else:
            self.p = np.asarray(p_kxky, float)
            self.kx, self.ky = np.asarray(kx, float), np.asarray(ky, float)
            self.spl = None
            self.centre = None

    def around(self, k):
        """Irregular layouts: fit the spline to the grid points around ``k`` (9 x 9)."""
        from scipy.interpolate import RectBivariateSpline

        if self.lattice is not None:
            return self
        i = int(np.clip(np.searchsorted(self.kx, k[0]), 0, len(self.kx) - 1))
        j = int(np.clip(np.searchsorted(self.ky, k[1]), 0, len(self.ky) - 1))
        if self.centre == (i, j):
            return self
        a = slice(max(0, i - 4), min(len(self.kx), i + 5))
        b = slice(max(0, j - 4), min(len(self.ky), j + 5))
        v = self.p[a, b]
        fin = np.isfinite(v)
        # beyond the wavenumbers searched (NaN): the lowest power around, so that no peak
        # is made up there
        v = np.where(fin, v, v[fin].min() if fin.any() else 0.0)
        self.spl = RectBivariateSpline(self.kx[a], self.ky[b], v, kx=3, ky=3)
        self.centre = (i, j)
        return self

    def __call__(self, kx, ky, deriv=False):
        if self.lattice is None:
            if self.spl is None:
                self.around((kx, ky))
            v = float(self.spl.ev(kx, ky))
            if not deriv:
                return v
            g = np.array([self.spl.ev(kx, ky, dx=1), self.spl.ev(kx, ky, dy=1)], float)
            h = np.array([[self.spl.ev(kx, ky, dx=2), self.spl.ev(kx, ky, dx=1, dy=1)],
                          [self.spl.ev(kx, ky, dx=1, dy=1), self.spl.ev(kx, ky, dy=2)]], float)
            return v, g, h
        tp = 2j * np.pi
        ey = np.exp(tp * ky * self.ly)
        ex = np.exp(tp * kx * self.lx)
        v = float((ey @ self.r @ ex).real)
        if not deriv:
            return v
        ax, ay = tp * self.lx, tp * self.ly
        gx = (ey @ self.r @ (ax * ex)).real
        gy = ((ay * ey) @ self.r @ ex).real
        hxx = (ey @ self.r @ (ax * ax * ex)).real
        hyy = ((ay * ay * ey) @ self.r @ ex).real
        hxy = ((ay * ey) @ self.r @ (ax * ex)).real
        return v, np.array([gx, gy]), np.array([[hxx, hxy], [hxy, hyy]])


def _refine(surf, k0, step, bounds):
    """Damped Newton ascent from ``k0`` within ``step`` grid cells; returns k."""
    k = np.asarray(k0, float).copy()
    lo, hi = bounds
    v = surf(*k)
    for _ in range(50):
        v, g, h = surf(*k, deriv=True)
        try:
            d = -np.linalg.solve(h, g)
            if not (np.all(np.linalg.eigvalsh(h) < 0) and np.all(np.isfinite(d))):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            d = g * (step * 0.1 / max(np.linalg.norm(g), 1e-300))
        n = np.linalg.norm(d)
        if n > step:
            d *= step / n
        t = 1.0
        while t > 1e-6:
            kn = np.clip(k + t * d, lo, hi)
            vn = surf(*kn)
            if vn >= v:
                break
            t /= 2
        else:
            break
        moved = np.linalg.norm(kn - k)
        k, v = kn, vn
        if moved < 1e-12 * max(step, 1e-300):
            break
    return k


def _local_step(kx, ky, k0):
    """The k-grid's spacing around ``k0`` (the irregular grid is finer inside the square)."""
    out = []
    for ax, v in ((kx, k0[0]), (ky, k0[1])):
        i = int(np.clip(np.searchsorted(ax, v), 1, len(ax) - 1))
        d = np.diff(ax[max(0, i - 2):i + 2])
        out.append(float(d.max()))
    return max(out)


def _candidates(slice_, kx, ky, n=4):
    """Grid indices of the ``n`` highest local maxima of one frequency slice (Kx, Ky)."""
    from scipy.ndimage import maximum_filter

    v = np.where(np.isfinite(slice_), slice_, -np.inf)
    peak = (v == maximum_filter(v, size=3, mode="nearest")) & np.isfinite(v)
    ii, jj = np.nonzero(peak)
    order = np.argsort(v[ii, jj])[::-1][:n]
    return [np.array([kx[a], ky[b]]) for a, b in zip(ii[order], jj[order])]


def _peak_once(p, fidx, k0, f, kx, ky, lattice, weights, pos, fixed=False):
    """Refined peak of ``p`` (F, Kx, Ky): dict of frequency, k, powers."""
    if not fixed:
        i, ix, iy = np.unravel_index(np.nanargmax(p), p.shape)
        k0 = np.array([kx[ix], ky[iy]])
        fidx = i
    surf = _Surface(p[fidx], kx, ky, lattice)
    lo_all, hi_all = np.array([kx[0], ky[0]]), np.array([kx[-1], ky[-1]])

    def climb(start):
        step = _local_step(kx, ky, start) if lattice is None else float(kx[1] - kx[0])
        bounds = (np.maximum(lo_all, start - 1.5 * step), np.minimum(hi_all, start + 1.5 * step))
        if lattice is not None:
            bounds = (start - 1.5 * step, start + 1.5 * step)
        return _refine(surf.around(start), start, step, bounds)

    k = climb(k0)
    if lattice is None and not fixed:
        # an irregular layout's grid is coarse away from k = 0: the highest grid point
        # may belong to a sidelobe while the true peak falls between points; refine the
        # highest few and keep the highest
        best = surf.around(k)(*k)
        for c in _candidates(p[fidx], kx, ky):
            if np.allclose(c, k0):
                continue
            kc = climb(c)
            vc = surf.around(kc)(*kc)
            if vc > best:
                k, best, k0 = kc, vc, c
    p_plus = surf.around(k)(*k)
    # frequency: the Hann window's two-bin interpolation (Grandke 1983), exact for one
    # tone: with a = |X(neighbour)| / |X(peak)| on the larger side, d = (2a - 1) / (a + 1)
    fr = float(f[fidx])
    edge = fidx == 0 or fidx == len(f) - 1
    if not edge and p_plus > 0:
        lo_, hi_ = (_Surface(p[j], kx, ky, lattice).around(k)(*k) for j in (fidx - 1, fidx + 1))
        side = 1.0 if hi_ >= lo_ else -1.0
        a = np.sqrt(max(max(hi_, lo_), 0.0) / p_plus)
        d = float(np.clip((2 * a - 1) / (a + 1), 0.0, 0.5)) if a >= 0.5 else 0.0
        fr = fr + side * d * float(f[1] - f[0])
    # travelling index: +k against -k, corrected for the array's own leakage
    mk = -k
    if lattice is None:
        mk = np.clip(mk, [kx[0], ky[0]], [kx[-1], ky[-1]])
    p_minus = surf.around(mk)(*mk)
    wq = np.sum(weights * np.exp(4j * np.pi * (pos @ k)))  # W(2k) / W(0)
    rho2 = float(abs(wq) ** 2)
    if p_plus + p_minus > 0 and rho2 < 1 - 1e-9:
        ti = (p_plus - p_minus) / (p_plus + p_minus) * (1 + rho2) / (1 - rho2)
        ti = float(np.clip(ti, -1.0, 1.0))
    else:
        ti = float("nan")
    return {"fidx": int(fidx), "f": fr, "k": k, "k0": k0, "p": float(p_plus), "ti": ti,
            "edge": bool(edge)}


def _derived(pk, factor):
    kn = float(np.hypot(*pk["k"]))
    speed = pk["f"] / kn * factor if kn > 0 else float("inf")
    return {"speed": speed, "wavelength": 1.0 / kn if kn > 0 else float("inf"),
            "direction": float(np.degrees(np.arctan2(pk["k"][1], pk["k"][0])) % 360.0) % 360.0,
            "frequency": pk["f"], "wavenumber": kn, "travelling_index": pk["ti"]}


def _alias_margin(lattice, k_nyq):
    """How far inside the Nyquist wavenumber a lattice's peak is alias-ambiguous.

    The peak at ``kx`` and its alias at ``kx - 2 k_nyq`` are ``2 (k_nyq - |kx|)`` apart;
    closer than the taper's main lobe (``2 / L`` for the extent ``L = n d``) they merge
    and pull each other. At least a fifth of the Nyquist wavenumber.
    """
    ny, nx, dy, dx = lattice
    return max(0.2 * k_nyq, 1.0 / (min(ny, nx) * max(dx, dy)))


def _range_messages(k, est, lattice, k_nyq, radius, attrs, su):
    """The "aliased" and "range" warnings (reason, message) for a peak at ``k``."""
    kn = float(np.hypot(*k))
    if lattice is not None:
        margin = _alias_margin(lattice, k_nyq)
        if float(np.max(np.abs(k))) > k_nyq - margin:
            return [("aliased",
                     f"The k-omega peak ({kn:.3g} cycles/{su}, kx {k[0]:.3g}, ky {k[1]:.3g}) "
                     f"is within {margin:.3g} of the spatial Nyquist wavenumber ({k_nyq:.3g} "
                     f"cycles/{su} along each grid axis), where a wave and its alias are not "
                     "told apart: the wave may be shorter than twice the site spacing, so its "
                     "speed and direction are not reliable; use a denser array or a lower band.")]
        return []
    if radius is None:  # a spectrum without its search range: the mean pitch's Nyquist
        if kn > 0.8 * k_nyq:
            return [("aliased",
                     f"The k-omega peak ({kn:.3g} cycles/{su}) is near the Nyquist wavenumber "
                     f"of the mean site spacing ({k_nyq:.3g} cycles/{su}), so its speed and "
                     "direction may be aliased; use a denser array or a lower band.")]
        return []
    k_af = float(attrs.get("k_alias_free", np.inf))
    if attrs.get("k_limited_by") == "layout":
        # a layout with (near) grating lobes, e.g. a lattice given as channels: as on a
        # regular grid, a peak close to its limit merges with its alias
        narrow = float(attrs["extent"][0]) + float(attrs.get("spacing", 0.0))
        margin = max(0.2 * k_af, 1.0 / narrow)
        if kn > k_af - margin:
            return [("aliased",
                     f"The k-omega peak ({kn:.3g} cycles/{su}) is within {margin:.3g} of the "
                     f"largest wavenumber this layout tells from its aliases ({k_af:.3g} "
                     f"cycles/{su}, where its beam pattern has a sidelobe of "
                     f"{ALIAS_LEVEL:.0%}, like the spatial Nyquist wavenumber of a grid): the "
                     "wave may be shorter and aliased, so its speed and direction are not "
                     "reliable; use a denser array or a lower band.")]
    # beyond the wavenumbers searched (into the margin computed around them)
    tol = 1 + 1e-9
    if np.all(np.abs(k) <= k_nyq * tol) or kn <= radius * tol:
        return []
    if radius >= k_af * (1 - 1e-9):
        return [("aliased",
                 f"The k-omega peak ({kn:.3g} cycles/{su}) is at the largest wavenumber this "
                 f"layout tells from its aliases ({k_af:.3g} cycles/{su}, where its beam "
                 f"pattern has a sidelobe of {ALIAS_LEVEL:.0%}): the wave may be shorter and "
                 "aliased, so its speed and direction are not reliable; use a denser array "
                 "or a lower band.")]
    ms = attrs.get("min_speed", float("nan"))
    why = (f"speeds down to {ms:g} m/s" if ms is not None and np.isfinite(ms)
           else "`k_max`" if attrs.get("k_limited_by") == "k_max"
           else "the memory bound" if attrs.get("k_limited_by") == "memory"
           else f"{K_CEILING} times the mean spacing's Nyquist wavenumber"
           if attrs.get("k_limited_by") == "ceiling" else "the default")
    return [("range",
             f"The k-omega peak ({kn:.3g} cycles/{su}) is at the edge of the wavenumbers "
             f"searched ({radius:.3g} cycles/{su} at {est['frequency']:.3g}: {why}), so the "
             "wave may be shorter or slower than that; pass compute_kw_spectrum a larger "
             "`k_max`.")]


def estimate_kw_wave(spectrum, *, band=None, confidence=0.95):
    """The dominant wave of a k-omega spectrum: speed, direction, wavelength, travelling index.

    The highest peak of ``P(f, k)`` (over ``band``) is refined below the k-grid: on a
    regular grid by Newton steps on the exact spectrum (a trigonometric polynomial
    recovered from the FFT grid), on an irregular layout on a bicubic spline through
    the 9 x 9 grid points around it, started from each of the four highest grid maxima
    at the peak frequency (away from ``k = 0`` the grid is half the array's resolution
    apart, so the highest grid point may belong to a sidelobe); its frequency by the
    Hann window's two-bin interpolation between the peak bin and its larger
    neighbour. Then ``speed = f / |k|``, ``wavelength = 1 / |k|``, ``direction =
    atan2(ky, kx)`` (degrees CCW from +x, the direction of travel).

    The travelling index compares the power at ``+k`` and ``-k`` at the peak
    frequency, corrected for the array's own leakage between them:
    ``TI = (P(+k) - P(-k)) / (P(+k) + P(-k)) * (1 + rho^2) / (1 - rho^2)`` with
    ``rho = |W(2k)|`` the taper's normalised response two wavenumbers apart. A single
    plane wave gives 1, a standing wave (two opposite waves of equal power) 0, at
    any wavelength the noise allows; without the correction a wave longer than the
    array would read as standing, since its two lobes overlap.

    Parameters
    ----------
    spectrum : xarray.DataArray
        Output of :func:`compute_kw_spectrum`, dims ``("f", "kx", "ky")`` or, for an
        interval, ``("segment", "f", "kx", "ky")`` (``segments=N``).
    band : (float, float) | None
        Look for the peak only in this band (default the whole spectrum).
    confidence : float
        Level of the intervals.

    Returns
    -------
    KWWave
        ``speed`` (m/s for recordings, cells/step for models), ``direction`` (deg),
        ``wavelength`` (space units), ``frequency``, ``wavenumber`` (``|k|``, cycles
        per space unit), ``kx``, ``ky``, ``travelling_index``, ``peak_power``; each
        with a ``*_ci`` interval from a jackknife over the segments (leave one out;
        NaN without segments), ``interval`` (how it was made), ``n_windows``,
        ``regime`` (``"resolved"`` when ``|k|`` is at least the array's resolution
        ``1 / extent``, else ``"sub-resolution"``), ``units`` and ``warnings``.

    Warns
    -----
    KWRangeWarning
        The peak is near the spatial Nyquist wavenumber of a regular grid, or at the
        largest wavenumber an irregular layout tells from its aliases (aliased), beyond
        the wavenumbers searched on an irregular layout (range), its wavenumber is
        not known to better than a third (a wave too long for this array, noise and
        duration: the interval says so; the travelling index is then NaN), its plane
        wave holds less than 30 % of the sites' power at its frequency, or its
        frequency is at the band's edge.

    Notes
    -----
    Valid range. Short waves: on a regular grid, down to where a grid-axis component
    of ``k`` comes within ``max(0.2, 1 / n)`` of the Nyquist wavenumber ``1 / (2
    d)`` (``n`` sites along the axis; about 2.5 site spacings along an axis, 1.8
    along a diagonal); closer, the peak and its alias merge (``"aliased"``), and a
    wave beyond Nyquist folds back inside and cannot be told from a longer one by
    any method. On an irregular layout, down to the wavenumbers searched (see
    :func:`compute_kw_spectrum`, Notes: by default waves of 0.1 m/s and faster, as
    far as the layout tells them from their aliases; a quarter of the pitch on the
    jittered ECoG layout). Long waves: up to many array widths when the recording
    is long and clean enough: sub-resolution peaks are located from the curvature of
    the main lobe, whose precision grows with the signal-to-noise ratio and the
    number of windows. The tests hold speed to 5 % and direction to 5 degrees for
    0.1-1 m/s and 4-40 Hz at 10 dB pink noise with 60 s, on a Utah array (up to
    70 array widths) and on the jittered 8 x 8 ECoG layout at 10 mm (wavelengths
    2.5-250 mm, a quarter pitch to 3.5 array widths); the interval is the guide on
    real data.

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> grid, truth = simulate_wave("planar", speed=0.3, direction=120, frequency=8,
    ...                             duration=20.0, snr_db=10, seed=1)
    >>> est = estimate_kw_wave(compute_kw_spectrum(grid, band=(4, 16), segments=5))
    >>> round(est.speed, 2), round(est.direction), round(est.travelling_index, 1)
    (0.3, 120, 1.0)
    """
    from scipy import stats

    if not isinstance(spectrum, xr.DataArray) or not {"f", "kx", "ky"} <= set(spectrum.dims):
        raise NeurowaveTypeError(
            "`spectrum` must be the xarray.DataArray of compute_kw_spectrum (dims 'f', "
            f"'kx', 'ky'), got {type(spectrum).__name__}"
            f"{' with dims ' + str(tuple(spectrum.dims)) if hasattr(spectrum, 'dims') else ''}."
        )
    validate_type(confidence, "numeric", "confidence")
    if not 0 < confidence < 1:
        raise NeurowaveError(f"`confidence` must be between 0 and 1, got {confidence!r}.")
    has_seg = "segment" in spectrum.dims
    order = (("segment",) if has_seg else ()) + ("f", "kx", "ky")
    spec = spectrum.transpose(*order)
    if band is not None:
        lo, hi = (float(b) for b in band)
        spec = spec.sel(f=slice(lo, hi))
        if spec.sizes["f"] == 0:
            raise NeurowaveError(
                f"No frequency of the spectrum ({float(spectrum.f[0]):g}-"
                f"{float(spectrum.f[-1]):g}) falls in `band` {band!r}; widen the band."
            )
    vals = np.asarray(spec.values, float)
    f = np.asarray(spec["f"].values, float)
    kx = np.asarray(spec["kx"].values, float)
    ky = np.asarray(spec["ky"].values, float)
    attrs = spectrum.attrs
    lattice = attrs.get("lattice")
    lattice = None if lattice is None else (int(lattice[0]), int(lattice[1]),
                                            float(lattice[2]), float(lattice[3]))
    pos = np.column_stack([attrs["site_x"], attrs["site_y"]]).astype(float)
    weights = np.asarray(attrs["site_weight"], float)
    tu, su = attrs.get("time_units", "s"), attrs.get("space_units", "mm")
    factor, sunit = speed_factor(tu, su)
    if has_seg:
        nw_ = np.asarray(spec["n_windows"].values, float)
        ok = nw_ > 0
        vals, nw_ = vals[ok], nw_[ok]
        total = np.tensordot(nw_, vals, axes=(0, 0))
        mean = total / nw_.sum()
    else:
        mean = vals
        nw_ = np.array([float(attrs.get("n_windows", 1))])
    sp = None
    if "site_power" in spec.coords:
        spv = np.asarray(spec["site_power"].values, float)
        sp = (np.tensordot(nw_, spv[ok], axes=(0, 0)) / nw_.sum()) if has_seg else spv
    if not np.isfinite(mean).any():
        raise NeurowaveError("`spectrum` holds no finite power (no window without NaN samples).")
    pk = _peak_once(mean, None, None, f, kx, ky, lattice, weights, pos)
    est = _derived(pk, factor)
    coherence = float(pk["p"] / sp[pk["fidx"]]) if sp is not None and sp[pk["fidx"]] > 0 \
        else float("nan")
    names = ("speed", "direction", "wavelength", "frequency", "travelling_index", "wavenumber")
    ci = {n: (float("nan"), float("nan")) for n in names}
    interval = None
    n_seg = len(nw_) if has_seg else 0
    rel_k = float("nan")
    if n_seg >= 3:
        loo = []
        for s in range(n_seg):
            m = (total - nw_[s] * vals[s]) / (nw_.sum() - nw_[s])
            loo.append(_derived(_peak_once(m, pk["fidx"], pk["k"], f, kx, ky, lattice,
                                           weights, pos, fixed=True), factor))
        tq = stats.t.ppf(0.5 + confidence / 2, n_seg - 1)
        for n in names:
            th = np.array([d[n] for d in loo], float)
            if n == "direction":
                dev = np.degrees(np.angle(np.exp(1j * np.radians(th - est[n]))))
                se = np.sqrt((n_seg - 1) / n_seg * np.sum((dev - dev.mean()) ** 2))
                ci[n] = ((est[n] - tq * se) % 360.0, (est[n] + tq * se) % 360.0)
                continue
            if not np.all(np.isfinite(th)):
                continue
            se = np.sqrt((n_seg - 1) / n_seg * np.sum((th - th.mean()) ** 2))
            ci[n] = (est[n] - tq * se, est[n] + tq * se)
            if n == "wavenumber":
                rel_k = se / est[n] if est[n] > 0 else float("inf")
        if np.isfinite(ci["travelling_index"][0]):
            ci["travelling_index"] = tuple(float(np.clip(v, -1, 1)) for v in ci["travelling_index"])
        interval = f"jackknife over {n_seg} segments ({confidence:.0%})"
    msgs = []
    funit = "Hz" if tu == "s" else f"cycles/{tu}"
    k_nyq = float(attrs.get("k_nyquist", max(abs(kx).max(), abs(ky).max())))
    radius = None
    if lattice is None and "k_radius" in spec.coords:
        # the peak's lower neighbour bin too: it places the frequency between bins (a
        # wave at the speed floor is inside both, by the two bins of leeway)
        radius = float(np.asarray(spec["k_radius"].values, float)[max(pk["fidx"] - 1, 0)])
    msgs.extend(_range_messages(pk["k"], est, lattice, k_nyq, radius, attrs, su))
    if np.isfinite(rel_k) and rel_k > 1.0 / 6.0:
        msgs.append(("long",
                     f"The k-omega peak's wavenumber is known only to +-{100 * 2 * rel_k:.0f} % "
                     f"(wavelength {est['wavelength']:.3g} {su}, "
                     f"{est['wavelength'] / attrs['extent'][1]:.1f} array widths), so the peak "
                     "may sit at zero wavenumber (synchronous activity, or a standing wave "
                     "longer than the array) and its speed and travelling index are not "
                     "measured; record longer, or use a larger array."))
        est["travelling_index"] = float("nan")
        ci["travelling_index"] = (float("nan"), float("nan"))
    if coherence < 0.3:
        msgs.append(("incoherent",
                     f"The k-omega peak explains only {100 * coherence:.0f} % of the sites' power "
                     f"at {pk['f']:.3g} {funit}: no plane wave dominates there (several waves, "
                     "a wave shorter than twice the site spacing, or noise), so its speed and "
                     "direction describe little of the data; check the spectrum's plot."))
    if pk["edge"]:
        msgs.append(("edge",
                     f"The k-omega peak frequency ({pk['f']:.3g} {funit}) is at the edge of the "
                     "band, so the dominant wave may lie outside it; widen the band."))
    for reason, m in msgs:
        warnings.warn(KWRangeWarning(m, reason=reason), stacklevel=2)
    kres = float(attrs.get("k_resolution", np.nan))
    regime = "resolved" if est["wavenumber"] >= kres else "sub-resolution"
    return KWWave(
        speed=est["speed"], direction=est["direction"], wavelength=est["wavelength"],
        frequency=est["frequency"], wavenumber=est["wavenumber"], kx=float(pk["k"][0]),
        ky=float(pk["k"][1]), travelling_index=est["travelling_index"], peak_power=pk["p"],
        coherence=coherence,
        speed_ci=tuple(ci["speed"]), direction_ci=tuple(ci["direction"]),
        wavelength_ci=tuple(ci["wavelength"]), frequency_ci=tuple(ci["frequency"]),
        travelling_index_ci=tuple(ci["travelling_index"]), interval=interval,
        n_windows=int(nw_.sum()), regime=regime, units=sunit, space_units=su,
        frequency_units=funit, warnings=tuple(m for _, m in msgs),
    )


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
    estimated phase speed ``f = speed * k``. The right panel is the kx-ky plane at the
    peak frequency with the peak marked; its arrow is the direction of travel.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from neurowave.datasets import simulate_wave
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
                np.column_stack([kline * np.cos(th), kline * np.sin(th)]))
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
    ax0.set(xlabel=f"k along {np.degrees(th):.0f} deg (cycles/{su})",
            ylabel=f"frequency ({funit})",
            title=f"f-k: {estimate.speed:.3g} {estimate.units}, "
                  f"travelling index {estimate.travelling_index:.2f}")
    i = int(np.argmin(np.abs(f - estimate.frequency)))
    m1 = ax1.pcolormesh(kx, ky, scale(p[i]).T, shading="nearest", cmap="viridis")
    fig.colorbar(m1, ax=ax1, label="power (dB re peak)" if db else "power")
    ax1.plot(estimate.kx, estimate.ky, "r+", ms=12, mew=2)
    if estimate.wavenumber > 0:
        ln = 0.25 * kmax
        ax1.annotate("", xy=(ln * np.cos(th), ln * np.sin(th)), xytext=(0, 0),
                     arrowprops={"arrowstyle": "->", "color": "w"})
    ax1.set_aspect("equal")
    ax1.set(xlabel=f"kx (cycles/{su})", ylabel=f"ky (cycles/{su})",
            title=f"kx-ky at {f[i]:.3g} {funit}: {estimate.direction:.0f} deg, "
                  f"{estimate.wavelength:.3g} {su}")
    return fig


def kw_summary(grid, *, band, segments=10):
    """The ``kw`` block of :func:`neurowave.waves.analyze`'s JSON, and the spectrum.

    The spectrum of ``grid`` over ``band`` (defaults of :func:`compute_kw_spectrum`,
    ``segments`` blocks, fewer when the recording holds fewer windows) and
    :func:`estimate_kw_wave` of it. Returns ``(block, spectrum)``; ``block`` is
    plain JSON (NaN as None) and lists the range warnings instead of raising them.
    """
    sr = _sampling_rate(grid)
    nt = grid.sizes["time"]
    # four cycles of the band's low edge, but at least three windows when the recording
    # is short (a model's few hundred steps)
    window = int(min(_default_window(nt, sr, band), max(4, nt // 2)))
    hop = max(1, int(round(window * 0.5)))
    n_win = max(0, (nt - window) // hop + 1)
    seg = min(int(segments), n_win) if n_win >= 3 else None
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always", KWRangeWarning)
        spec = compute_kw_spectrum(grid, band=band, window=window, segments=seg)
        est = estimate_kw_wave(spec)
    for w in rec:  # anything but our own range warnings goes on as usual
        if not issubclass(w.category, KWRangeWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    block = est.to_dict()
    block["warnings"] = [str(w.message) for w in rec if issubclass(w.category, KWRangeWarning)]
    block.update({
        "band": [float(b) for b in spec.attrs["band"]],
        "window": int(spec.attrs["window"]),
        "segments": 0 if seg is None else int(seg),
        "method": spec.attrs["method"],
        "taper": spec.attrs["taper"],
        "k_resolution": float(spec.attrs["k_resolution"]),
        "k_nyquist": float(spec.attrs["k_nyquist"]),
        # irregular layouts: the largest wavenumber searched (None on a regular grid)
        "k_search": float(spec.attrs["k_search"]) if "k_search" in spec.attrs else None,
    })
    return block, spec
