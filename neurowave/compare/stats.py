"""Distances between two distributions of wave measures, with block-bootstrap
confidence intervals and the test behind each.

Frames of one recording (or of one model trial) are not independent: neighbouring
frames share most of an oscillation cycle. Every function here therefore takes a
*block length* per side (frames per cycle is a good choice) and, for pooled model
trials, a *group* label per frame:

* confidence intervals come from a moving-block bootstrap that resamples whole
  blocks of consecutive frames, never across a group (trial) boundary (basic
  bootstrap interval, which corrects the upward bias of a distance);
* tests use effective sample sizes ``n / block`` instead of the raw frame counts,
  so that thousands of correlated frames do not turn a small difference into a
  tiny p-value.

Metrics and what is computed:

========================  ==============================  ==========================
kind                      distance                        test
========================  ==============================  ==========================
linear (speed, pgd, ...)  Wasserstein-1 (same units)      two-sample Kolmogorov-Smirnov
circular (direction)      Wasserstein-1 on the circle     two-sample Kuiper
                          (degrees)
categorical (patterns)    total-variation distance        chi-square on a 2 x k table
========================  ==============================  ==========================
"""

from __future__ import annotations

import numpy as np
from scipy import stats as _st

from .._validate import NeurowaveError, check_positive, validate_type

__all__ = [
    "block_bootstrap_indices",
    "effective_n",
    "circular_wasserstein",
    "kuiper_two_sample",
    "total_variation",
    "compare_linear",
    "compare_circular",
    "compare_categorical",
]


# ---------------------------------------------------------------------------
# resampling
# ---------------------------------------------------------------------------


def _as_groups(n, groups):
    if groups is None:
        return np.zeros(n, dtype=int)
    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise NeurowaveError(f"`groups` must hold one label per value ({n}), got shape {groups.shape}.")
    return groups


def _group_bounds(groups):
    n = len(groups)
    edges = np.flatnonzero(groups[1:] != groups[:-1]) + 1
    bounds = np.concatenate([[0], edges, [n]])
    return bounds[:-1], bounds[1:]


def block_bootstrap_indices(n, *, block=1, groups=None, rng=None):
    """One circular-block bootstrap resample of ``n`` ordered values.

    Blocks of ``block`` consecutive values start anywhere and wrap around within
    their group (Politis & Romano 1992), so every value is equally likely to be
    drawn, the first and last of a series included.

    Parameters
    ----------
    n : int
        Number of values.
    block : int
        Block length in values (1 gives the ordinary bootstrap).
    groups : array-like | None
        A label per value (e.g. the trial); a block never leaves its group. Values of
        a group are expected to be contiguous.
    rng : numpy.random.Generator | int | None

    Returns
    -------
    idx : ndarray of int, shape (n,)

    Examples
    --------
    >>> idx = block_bootstrap_indices(10, block=3, rng=0)
    >>> idx.shape
    (10,)
    """
    rng = np.random.default_rng(rng)
    block = max(1, int(block))
    if n == 0:
        return np.zeros(0, int)
    if block == 1:
        return rng.integers(0, n, n)
    groups = _as_groups(n, groups)
    g0, g1 = _group_bounds(groups)
    sizes = g1 - g0
    n_blocks = -(-n // block) + 1
    # a start drawn uniformly over all values; its group sets where the block wraps
    starts = rng.integers(0, n, n_blocks)
    gi = np.searchsorted(g1, starts, side="right")
    offs = np.arange(block)
    lo, size = g0[gi][:, None], sizes[gi][:, None]
    idx = lo + (starts[:, None] - lo + offs[None, :]) % size
    return idx.ravel()[:n]


def effective_n(n, block):
    """Effective number of independent values: ``n / block``, at least 1 (0 if n is 0)."""
    if n <= 0:
        return 0.0
    return max(1.0, float(n) / max(1.0, float(block)))


# ---------------------------------------------------------------------------
# distances and tests
# ---------------------------------------------------------------------------


def _circular_diff(a, b):
    """Positions (deg), interval lengths and F - G on the circle for samples a, b."""
    a = np.mod(np.asarray(a, float), 360.0)
    b = np.mod(np.asarray(b, float), 360.0)
    pts = np.concatenate([a, b])
    w = np.concatenate([np.full(a.size, 1.0 / a.size), np.full(b.size, -1.0 / b.size)])
    order = np.argsort(pts, kind="mergesort")
    pts, w = pts[order], w[order]
    d = np.cumsum(w)  # F - G just after each point
    lengths = np.diff(np.concatenate([pts, [pts[0] + 360.0]]))
    return d, lengths


def circular_wasserstein(a, b):
    """Wasserstein-1 distance between two samples of angles on the circle, in degrees.

    On the circle the optimal transport cost is ``min_c  integral |F - G - c| dtheta``
    (Rabin, Delon & Gousseau 2011); ``c`` is the weighted median of ``F - G``. It is 0
    for identical samples and equals the rotation angle for a sample and its rotated
    copy (up to 180 degrees).

    Examples
    --------
    >>> round(circular_wasserstein([10, 20, 30], [40, 50, 60]), 6)
    30.0
    >>> round(circular_wasserstein([350.0], [10.0]), 6)
    20.0
    """
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 or b.size == 0:
        return float("nan")
    d, lengths = _circular_diff(a, b)
    order = np.argsort(d)
    cw = np.cumsum(lengths[order])
    c = d[order][np.searchsorted(cw, cw[-1] / 2.0)]
    return float(np.sum(np.abs(d - c) * lengths))


def _kuiper_sf(lam):
    """Asymptotic survival function of Kuiper's statistic (Numerical Recipes, probkp)."""
    if lam < 0.4:
        return 1.0
    j = np.arange(1, 101)
    terms = (4.0 * j**2 * lam**2 - 1.0) * np.exp(-2.0 * j**2 * lam**2)
    return float(np.clip(2.0 * terms.sum(), 0.0, 1.0))


def kuiper_two_sample(a, b, *, n_eff_a=None, n_eff_b=None):
    """Two-sample Kuiper test for angles (degrees): invariant to the choice of origin.

    Parameters
    ----------
    a, b : array-like
        Angles in degrees.
    n_eff_a, n_eff_b : float | None
        Effective sample sizes for the p-value (default: the sample sizes).

    Returns
    -------
    statistic : float
        ``V = max(F - G) + max(G - F)`` in [0, 1].
    p_value : float
        Asymptotic p-value (Stephens' correction), using the effective sizes.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> v, p = kuiper_two_sample(rng.vonmises(0, 4, 300) * 180 / np.pi,
    ...                          rng.vonmises(1.5, 4, 300) * 180 / np.pi)
    >>> p < 1e-6
    True
    """
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 or b.size == 0:
        return float("nan"), float("nan")
    d, _ = _circular_diff(a, b)
    v = float(max(d.max(), 0.0) - min(d.min(), 0.0))
    na = float(n_eff_a or a.size)
    nb = float(n_eff_b or b.size)
    ne = na * nb / (na + nb)
    sq = np.sqrt(ne)
    lam = (sq + 0.155 + 0.24 / sq) * v
    return v, _kuiper_sf(lam)


def total_variation(p, q):
    """Total-variation distance ``0.5 * sum |p - q|`` between two probability vectors.

    Examples
    --------
    >>> total_variation([1.0, 0.0], [0.5, 0.5])
    0.5
    """
    p = np.asarray(p, float)
    q = np.asarray(q, float)
    return float(0.5 * np.abs(p - q).sum())


def _ks_effective(a, b, na, nb):
    d = float(_st.ks_2samp(a, b, method="asymp").statistic)
    en = na * nb / (na + nb)
    p = float(_st.kstwo.sf(d, max(1, int(round(en))))) if en >= 1 else 1.0
    return d, p


def _ci(boot, ci, estimate, upper=np.inf):
    """Basic (reverse-percentile) bootstrap interval, clipped to [0, upper].

    A distance between two noisy samples is biased upward, and so is its bootstrap
    distribution; the basic interval ``[2 d - q_hi, 2 d - q_lo]`` corrects for that
    shift, where a plain percentile interval can miss the estimate altogether.
    """
    boot = np.asarray(boot, float)
    boot = boot[np.isfinite(boot)]
    if boot.size == 0:
        return float("nan"), float("nan")
    qlo, qhi = np.quantile(boot, [(1 - ci) / 2, 1 - (1 - ci) / 2])
    lo, hi = 2 * estimate - qhi, 2 * estimate - qlo
    return float(np.clip(lo, 0, upper)), float(np.clip(hi, 0, upper))


def _clean(values, groups):
    values = np.asarray(values, float).ravel()
    groups = _as_groups(values.size, groups)
    ok = np.isfinite(values)
    return values[ok], groups[ok]


def _check_common(n_boot, ci, block_a, block_b):
    validate_type(n_boot, "int", "n_boot")
    if n_boot < 0:
        raise NeurowaveError(f"`n_boot` must be 0 or more, got {n_boot}.")
    ci = check_positive(ci, "ci")
    if not 0 < ci < 1:
        raise NeurowaveError(f"`ci` must be between 0 and 1 (e.g. 0.95), got {ci!r}.")
    return ci, max(1, int(round(block_a))), max(1, int(round(block_b)))


def _empty(test, na, nb, **extra):
    out = {
        "distance": None, "ci_low": None, "ci_high": None, "test": test,
        "statistic": None, "p_value": None, "n_model": int(na), "n_recording": int(nb),
        "note": "no values on at least one side (e.g. no wave frames); nothing to compare",
    }
    out.update(extra)
    return out


def compare_linear(a, b, *, block_a=1, block_b=1, groups_a=None, groups_b=None,
                   n_boot=500, ci=0.95, seed=0, units=""):
    """Compare two samples of a linear measure (speed, PGD, wavelength, frequency).

    Parameters
    ----------
    a, b : array-like
        Values of side A (the model) and side B (the recording), in common units.
        NaN values are dropped.
    block_a, block_b : int
        Bootstrap block length and effective-size divisor of each side (frames per cycle).
    groups_a, groups_b : array-like | None
        Trial label per value; blocks never cross trials.
    n_boot : int
        Bootstrap resamples for the confidence interval (0: no interval).
    ci : float
        Confidence level of the interval.
    seed : int
        Seed of the bootstrap.
    units : str
        Units of the values (reported).

    Returns
    -------
    dict
        ``distance`` (Wasserstein-1, in ``units``), ``ci_low``, ``ci_high``, ``test``
        (``"ks_2samp"``), ``statistic`` (KS D), ``p_value`` (with effective sizes),
        ``n_model``, ``n_recording``, ``n_eff_model``, ``n_eff_recording``,
        ``median_model``, ``median_recording``, ``median_ratio`` (model / recording),
        ``units``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> r = compare_linear(rng.normal(0, 1, 2000), rng.normal(3, 1, 2000), n_boot=50)
    >>> abs(r["distance"] - 3) < 0.15, r["p_value"] < 1e-10
    (True, True)
    """
    ci, block_a, block_b = _check_common(n_boot, ci, block_a, block_b)
    a, ga = _clean(a, groups_a)
    b, gb = _clean(b, groups_b)
    if a.size == 0 or b.size == 0:
        return _empty("ks_2samp", a.size, b.size, units=units)
    dist = float(_st.wasserstein_distance(a, b))
    na, nb = effective_n(a.size, block_a), effective_n(b.size, block_b)
    stat, p = _ks_effective(a, b, na, nb)
    rng = np.random.default_rng(seed)
    boot = np.empty(n_boot)
    for i in range(n_boot):
        ia = block_bootstrap_indices(a.size, block=block_a, groups=ga, rng=rng)
        ib = block_bootstrap_indices(b.size, block=block_b, groups=gb, rng=rng)
        boot[i] = _st.wasserstein_distance(a[ia], b[ib])
    lo, hi = _ci(boot, ci, dist) if n_boot else (float("nan"), float("nan"))
    ma, mb = float(np.median(a)), float(np.median(b))
    return {
        "distance": dist,
        "ci_low": lo,
        "ci_high": hi,
        "test": "ks_2samp",
        "statistic": stat,
        "p_value": p,
        "n_model": int(a.size),
        "n_recording": int(b.size),
        "n_eff_model": na,
        "n_eff_recording": nb,
        "median_model": ma,
        "median_recording": mb,
        "median_ratio": ma / mb if mb != 0 else float("nan"),
        "units": units,
    }


def _circ_mean(deg):
    z = np.exp(1j * np.deg2rad(deg)).mean()
    return float(np.mod(np.rad2deg(np.angle(z)), 360.0)), float(np.abs(z))


def compare_circular(a, b, *, block_a=1, block_b=1, groups_a=None, groups_b=None,
                     n_boot=500, ci=0.95, seed=0):
    """Compare two samples of directions in degrees.

    Parameters
    ----------
    a, b : array-like
        Side A (the model) and side B (the recording); NaN values are dropped.
    block_a, block_b : int
        Bootstrap block length and effective-size divisor of each side.
    groups_a, groups_b : array-like | None
        Trial label per value; blocks never cross trials.
    n_boot : int
        Bootstrap resamples (0: no interval).
    ci : float
        Confidence level of the interval.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    dict
        ``distance`` (circular Wasserstein-1, degrees, 0..180), ``ci_low``, ``ci_high``,
        ``test`` (``"kuiper"``), ``statistic`` (Kuiper V), ``p_value`` (effective sizes),
        ``mean_deg_model``, ``mean_deg_recording``, ``mean_difference_deg`` (signed,
        model minus recording, in (-180, 180]), ``resultant_length_model``,
        ``resultant_length_recording``, sizes, ``units`` ("deg").

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> a = rng.vonmises(0.0, 8.0, 1000) * 180 / np.pi
    >>> r = compare_circular(a, a + 90.0, n_boot=20)
    >>> abs(r["distance"] - 90) < 1, round(r["mean_difference_deg"])
    (True, -90)
    """
    ci, block_a, block_b = _check_common(n_boot, ci, block_a, block_b)
    a, ga = _clean(a, groups_a)
    b, gb = _clean(b, groups_b)
    if a.size == 0 or b.size == 0:
        return _empty("kuiper", a.size, b.size, units="deg")
    dist = circular_wasserstein(a, b)
    na, nb = effective_n(a.size, block_a), effective_n(b.size, block_b)
    stat, p = kuiper_two_sample(a, b, n_eff_a=na, n_eff_b=nb)
    rng = np.random.default_rng(seed)
    boot = np.empty(n_boot)
    for i in range(n_boot):
        ia = block_bootstrap_indices(a.size, block=block_a, groups=ga, rng=rng)
        ib = block_bootstrap_indices(b.size, block=block_b, groups=gb, rng=rng)
        boot[i] = circular_wasserstein(a[ia], b[ib])
    lo, hi = _ci(boot, ci, dist, 180.0) if n_boot else (float("nan"), float("nan"))
    mda, ra = _circ_mean(a)
    mdb, rb = _circ_mean(b)
    diff = float(np.mod(mda - mdb + 180.0, 360.0) - 180.0)
    return {
        "distance": dist,
        "ci_low": lo,
        "ci_high": hi,
        "test": "kuiper",
        "statistic": stat,
        "p_value": p,
        "n_model": int(a.size),
        "n_recording": int(b.size),
        "n_eff_model": na,
        "n_eff_recording": nb,
        "mean_deg_model": mda,
        "mean_deg_recording": mdb,
        "mean_difference_deg": diff,
        "resultant_length_model": ra,
        "resultant_length_recording": rb,
        "units": "deg",
    }


def _fractions(labels, categories):
    counts = np.array([np.sum(labels == c) for c in categories], float)
    total = counts.sum()
    return counts, (counts / total if total else counts)


def compare_categorical(a, b, *, categories, block_a=1, block_b=1, groups_a=None,
                        groups_b=None, n_boot=500, ci=0.95, seed=0):
    """Compare two samples of category labels (e.g. wave patterns per frame).

    Parameters
    ----------
    a, b : array-like
        Side A (the model) and side B (the recording); NaN values are dropped.
    categories : sequence of str
        All categories, in the order of the reported fractions.
    block_a, block_b : int
        Bootstrap block length and effective-size divisor of each side.
    groups_a, groups_b : array-like | None
        Trial label per value; blocks never cross trials.
    n_boot : int
        Bootstrap resamples (0: no interval).
    ci : float
        Confidence level of the interval.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    dict
        ``distance`` (total variation, 0..1), ``ci_low``, ``ci_high``, ``test``
        (``"chi2_contingency"`` on effective counts ``count / block``), ``statistic``,
        ``p_value``, ``dof``, ``fractions_model`` and ``fractions_recording`` (dicts),
        sizes.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array(["planar"] * 90 + ["other"] * 10)
    >>> b = np.array(["planar"] * 40 + ["other"] * 60)
    >>> r = compare_categorical(a, b, categories=("planar", "other"), n_boot=20)
    >>> round(r["distance"], 2)
    0.5
    """
    ci, block_a, block_b = _check_common(n_boot, ci, block_a, block_b)
    a = np.asarray(a).astype(str).ravel()
    b = np.asarray(b).astype(str).ravel()
    ga = _as_groups(a.size, groups_a)
    gb = _as_groups(b.size, groups_b)
    categories = tuple(categories)
    if a.size == 0 or b.size == 0:
        return _empty("chi2_contingency", a.size, b.size)
    ca, pa = _fractions(a, categories)
    cb, pb = _fractions(b, categories)
    dist = total_variation(pa, pb)
    na, nb = effective_n(a.size, block_a), effective_n(b.size, block_b)
    table = np.vstack([pa * na, pb * nb])
    keep = table.sum(axis=0) > 0
    table = table[:, keep]
    if table.shape[1] < 2:
        stat, p, dof = 0.0, 1.0, 0
    else:
        res = _st.chi2_contingency(table, correction=False)
        stat, p, dof = float(res.statistic), float(res.pvalue), int(res.dof)
    rng = np.random.default_rng(seed)
    boot = np.empty(n_boot)
    for i in range(n_boot):
        ia = block_bootstrap_indices(a.size, block=block_a, groups=ga, rng=rng)
        ib = block_bootstrap_indices(b.size, block=block_b, groups=gb, rng=rng)
        boot[i] = total_variation(_fractions(a[ia], categories)[1], _fractions(b[ib], categories)[1])
    lo, hi = _ci(boot, ci, dist, 1.0) if n_boot else (float("nan"), float("nan"))
    return {
        "distance": dist,
        "ci_low": lo,
        "ci_high": hi,
        "test": "chi2_contingency",
        "statistic": stat,
        "p_value": p,
        "dof": dof,
        "n_model": int(a.size),
        "n_recording": int(b.size),
        "n_eff_model": na,
        "n_eff_recording": nb,
        "fractions_model": dict(zip(categories, map(float, pa))),
        "fractions_recording": dict(zip(categories, map(float, pb))),
        "units": "fraction",
    }
