"""Layout of a k-omega spectrum's sites: spatial tapers, the lattice of a regular grid,
the layout's beam pattern and the wavenumbers an irregular layout is searched over.

Also the warning every part of the k-omega estimator raises when a peak lies where it
is not reliable (:class:`KWRangeWarning`).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..._validate import NeurowaveError, validate_type

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
MAX_VALUES = 2**25  # float64 values of power held (segments x frequencies x k-points)


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


def _irregular_search(pos, w, narrow, wide, spacing, k_nyq, nk, f, df, n_seg, k_max, tu, su):
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
            raise NeurowaveError(
                f"`k_max` must be a positive wavenumber (cycles/{su}), got {k_max!r}."
            )
        k_cap, limited_by = float(k_max), "k_max"
    elif (tu, su) == ("s", "mm"):
        min_speed = MIN_SPEED_MS
        k_cap, limited_by = (float(f.max()) + 2 * df) / (min_speed * 1e3), "min_speed"  # mm/s
    else:
        k_cap, limited_by = 4 * k_nyq, "ceiling"
    if k_cap > K_CEILING * k_nyq:
        k_cap, limited_by = K_CEILING * k_nyq, "ceiling"
    k_af, worst = _alias_free_wavenumber(
        pos, w, narrow, spacing, 1.0 / (3 * wide), max(k_cap, k_nyq)
    )
    k_search = max(k_nyq, min(k_cap, k_af))
    if k_af < k_cap:
        limited_by = "layout"
    # memory: segments x frequencies x the whole (kx, ky) grid, float64
    n_max = int(np.sqrt(MAX_VALUES / max(1, n_seg * len(f))))
    n_out = int(np.ceil((k_search - k_nyq) / h_out - 1e-9)) if k_search > k_nyq else 0
    if nk + 2 * (n_out + _MARGIN) > n_max:
        n_out = max(0, (n_max - nk) // 2 - _MARGIN)
        k_new = k_nyq + n_out * h_out
        warnings.warn(
            KWRangeWarning(
                f"The wavenumbers searched on this irregular layout stop at {k_new:.3g} "
                f"cycles/{su} instead of {k_search:.3g} to hold the spectrum in memory "
                f"({n_seg} segment(s) x {len(f)} frequencies); pass a narrower band, fewer "
                "segments or a smaller `k_max`.",
                reason="range",
            ),
            stacklevel=3,
        )
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
    return {
        "kgrid": kgrid,
        "radius": radius,
        "computed": radius + margin,
        "k_search": k_search,
        "k_alias_free": k_af,
        "worst": worst,
        "min_speed": min_speed,
        "limited_by": limited_by,
    }


# --------------------------------------------------------------------------- public
