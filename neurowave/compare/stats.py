"""Effect sizes with intervals, equivalence verdicts, distances and tests between two
distributions of wave measures.

Two questions, answered separately for every metric (the methods page explains the
choice of each effect size and margin):

* **Are they the same?** An *equivalence test* (two one-sided tests, TOST) asks
  whether the effect size (e.g. the ratio of the medians) lies inside a stated
  *margin* (e.g. within a factor 1.25). It is passed when the ``1 - 2 alpha``
  bootstrap interval of the effect lies inside the margin.
* **Do they differ?** Only beyond the margin: the effect differs when that interval
  lies wholly outside the margin (a one-sided test at ``alpha`` that the difference
  exceeds it).

Each metric gets a *verdict*: ``"equivalent"``, ``"different"`` or ``"undecided"``
(the interval straddles a margin edge: the data cannot tell). A test of identical
distributions (Kolmogorov-Smirnov, Kuiper, chi-square) is still reported, but with
hundreds of frames it rejects on trivial differences in noise, so it never sets the
verdict.

Frames of one recording (or of one model trial) are not independent: neighbouring
frames share most of an oscillation cycle. Every function here therefore takes a
*block length* per side (frames per cycle is a good choice) and, for pooled model
trials, a *group* label per frame:

* intervals come from a hierarchical bootstrap: the groups (trials) are drawn with
  replacement, and within each drawn group a circular-block bootstrap resamples
  whole blocks of consecutive frames (never across a trial boundary), so both the
  spread between trials and the autocorrelation within one are carried into the
  interval;
* tests use effective sample sizes ``n / block`` instead of the raw frame counts.

Metrics and what is computed:

=========================  ===========================  =========================  ==================
kind                       effect size (verdict)        distance (descriptive)     test
=========================  ===========================  =========================  ==================
linear, ``effect="ratio"``  median ratio A / B           Wasserstein-1              Kolmogorov-Smirnov
linear, ``"difference"``   median difference A - B      Wasserstein-1              Kolmogorov-Smirnov
linear, ``"distance"``     Wasserstein-1                Wasserstein-1              Kolmogorov-Smirnov
circular (direction)       circular W1 after aligning   circular Wasserstein-1     two-sample Kuiper
                           the mean directions (deg)
categorical (patterns)     total variation              total variation            chi-square, 2 x k
=========================  ===========================  =========================  ==================
"""

from __future__ import annotations

import numpy as np
from scipy import stats as _st

from .._validate import NeurowaveError, check_positive, validate_type
from ..waves.circular import mean_resultant

__all__ = [
    "VERDICTS",
    "equivalence_test",
    "block_bootstrap_indices",
    "effective_n",
    "autocorrelation_time",
    "circular_wasserstein",
    "kuiper_two_sample",
    "total_variation",
    "compare_linear",
    "compare_circular",
    "compare_categorical",
    "aligned_circular_wasserstein",
    "circular_mean",
]


#: Parameters shared by :func:`compare_circular` and :func:`compare_categorical`,
#: filled into their docstrings (as MNE-Python's ``fill_doc``).
_SHARED_DOC = {
    "bootstrap": """    block_a, block_b : int
        Bootstrap block length and effective-size divisor of each side.
    groups_a, groups_b : array-like | None
        Trial label per value; blocks never cross trials.
    n_boot : int
        Bootstrap resamples (0: no interval, no verdict).
    ci : float
        Confidence level of the distance's interval.
    seed : int
        Seed of the bootstrap.
""",
    "test": """    alpha : float
        Level of each one-sided test.
    resample_groups : bool
        Draw the trials with replacement in the bootstrap.
""",
}


def _fill_doc(func):
    """Put the :data:`_SHARED_DOC` paragraphs into ``func``'s docstring."""
    func.__doc__ = func.__doc__.replace("{bootstrap}", _SHARED_DOC["bootstrap"]).replace(
        "{test}", _SHARED_DOC["test"]
    )
    return func


# ---------------------------------------------------------------------------
# resampling
# ---------------------------------------------------------------------------


def _as_groups(n, groups):
    if groups is None:
        return np.zeros(n, dtype=int)
    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise NeurowaveError(
            f"`groups` must hold one label per value ({n}), got shape {groups.shape}."
        )
    return groups


def _group_bounds(groups):
    n = len(groups)
    edges = np.flatnonzero(groups[1:] != groups[:-1]) + 1
    bounds = np.concatenate([[0], edges, [n]])
    return bounds[:-1], bounds[1:]


def block_bootstrap_indices(n, *, block=1, groups=None, rng=None, resample_groups=False):
    """One circular-block bootstrap resample of ``n`` ordered values.

    Blocks of ``block`` consecutive values start anywhere and wrap around within
    their group (Politis & Romano 1992), so every value is equally likely to be
    drawn, the first and last of a series included. With ``resample_groups`` the
    groups themselves are first drawn with replacement (a hierarchical bootstrap:
    as many draws as there are groups), and each drawn group is then block-resampled
    on its own; the resample then holds the sizes of the drawn groups, not ``n``.

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
    resample_groups : bool
        Draw the groups with replacement first (only matters with two or more groups).

    Returns
    -------
    idx : ndarray of int
        Shape ``(n,)``, or the total size of the drawn groups with ``resample_groups``.

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
    groups = _as_groups(n, groups)
    g0, g1 = _group_bounds(groups)
    if resample_groups and g0.size > 1:
        parts = []
        for gi in rng.integers(0, g0.size, g0.size):
            size = int(g1[gi] - g0[gi])
            parts.append(g0[gi] + block_bootstrap_indices(size, block=min(block, size), rng=rng))
        return np.concatenate(parts)
    if block == 1:
        return rng.integers(0, n, n)
    sizes = g1 - g0
    n_blocks = -(-n // block) + 1
    # a start drawn uniformly over all values; its group sets where the block wraps
    starts = rng.integers(0, n, n_blocks)
    gi = np.searchsorted(g1, starts, side="right")
    offs = np.arange(block)
    lo, size = g0[gi][:, None], sizes[gi][:, None]
    idx = lo + (starts[:, None] - lo + offs[None, :]) % size
    return idx.ravel()[:n]


def autocorrelation_time(values, *, groups=None, window=5.0):
    """Integrated autocorrelation time of an ordered series, in values (1 = independent).

    ``tau = 1 + 2 sum_k rho_k``, the autocorrelation ``rho_k`` pooled over the groups
    (each group demeaned on its own, lags never across a group boundary) and summed up
    to Sokal's automatic window: the smallest lag ``M`` with ``M >= window * tau(M)``
    (Sokal 1997; Goodman & Weare 2010). ``n / tau`` values carry the information of
    ``n`` independent ones. NaN values are dropped.

    Parameters
    ----------
    values : array-like
        The series, in order (e.g. a measure per frame).
    groups : array-like | None
        A label per value (e.g. the trial); values of a group are contiguous.
    window : float
        Sokal's window constant.

    Returns
    -------
    float
        ``tau`` (at least 1; 1 for fewer than 8 values).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> round(autocorrelation_time(rng.standard_normal(5000)))
    1
    >>> x = np.zeros(20000)
    >>> for i in range(1, x.size):  # AR(1), rho = 0.9: tau = (1 + 0.9) / (1 - 0.9) = 19
    ...     x[i] = 0.9 * x[i - 1] + rng.standard_normal()
    >>> 15 < autocorrelation_time(x) < 23
    True
    """
    x = np.asarray(values, float).ravel()
    g = _as_groups(x.size, groups)
    ok = np.isfinite(x)
    x, g = x[ok], g[ok]
    if x.size < 8:
        return 1.0
    g0, g1 = _group_bounds(g)
    n_max = int((g1 - g0).max())
    acov = np.zeros(n_max)
    count = np.zeros(n_max)
    for a, b in zip(g0, g1, strict=True):
        y = x[a:b] - x[a:b].mean()
        n = y.size
        if n < 2:
            continue
        f = np.fft.rfft(y, 2 * n)
        acov[:n] += np.fft.irfft(f * np.conj(f), 2 * n)[:n]
        count[:n] += np.arange(n, 0, -1)
    if not acov[0] > 0:
        return 1.0
    keep = count > 0
    rho = np.zeros(n_max)
    rho[keep] = (acov[keep] / count[keep]) / (acov[0] / count[0])
    taus = 1.0 + 2.0 * np.cumsum(rho[1:])
    m = np.arange(1, taus.size + 1)
    hit = np.flatnonzero(m >= window * taus)
    tau = taus[hit[0]] if hit.size else taus[-1]
    return float(max(1.0, tau))


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
    a = np.sort(np.mod(np.asarray(a, float), 360.0))
    b = np.sort(np.mod(np.asarray(b, float), 360.0))
    # merge the two sorted samples (ties: a first; zero-length intervals between tied
    # points add nothing, so their order does not matter)
    pos_a = np.arange(a.size) + np.searchsorted(b, a, side="left")
    pos_b = np.arange(b.size) + np.searchsorted(a, b, side="right")
    pts = np.empty(a.size + b.size)
    w = np.empty(a.size + b.size)
    pts[pos_a], pts[pos_b] = a, b
    w[pos_a], w[pos_b] = 1.0 / a.size, -1.0 / b.size
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


# ---------------------------------------------------------------------------
# effect sizes and equivalence
# ---------------------------------------------------------------------------

#: The verdicts of :func:`equivalence_test`.
VERDICTS = ("equivalent", "different", "undecided")
#: Effect kinds: ``ratio`` (margin m > 1: equivalent within [1/m, m]), ``difference``
#: (within [-m, m]) and ``distance`` (a non-negative distance below m).
EFFECT_KINDS = ("ratio", "difference", "distance")


def equivalence_test(estimate, boot, *, kind, margin, alpha=0.05):
    """Effect size, its interval and an equivalence verdict from bootstrap replicates.

    Two one-sided tests (TOST, Schuirmann 1987) against the margin: the effect is
    *equivalent* when both one-sided bootstrap p-values that it lies beyond a margin
    edge are below ``alpha`` (the ``1 - 2 alpha`` interval lies inside the margin);
    it is *different* when the one-sided p-value that it lies inside the margin is
    below ``alpha`` (the interval lies wholly beyond one edge); else *undecided*.

    Parameters
    ----------
    estimate : float
        The effect measured on the data (a ratio, a difference or a distance).
    boot : array-like
        The effect on bootstrap resamples.
    kind : {"ratio", "difference", "distance"}
        ``"ratio"``: percentile interval on the log scale, equivalence region
        ``[1 / margin, margin]``. ``"difference"``: percentile interval, region
        ``[-margin, margin]``. ``"distance"`` (non-negative and biased upward by
        noise): basic bootstrap interval ``2 d - q``, which corrects that bias,
        region ``[0, margin]``.
    margin : float
        The largest effect that still counts as "the same" (> 1 for a ratio).
    alpha : float
        Level of each one-sided test; the interval reported is ``1 - 2 alpha``.

    Returns
    -------
    dict
        ``effect``, ``effect_ci_low``, ``effect_ci_high``, ``effect_ci`` (the level),
        ``margin``, ``equivalence_low``, ``equivalence_high``, ``p_equivalence``
        (largest of the two one-sided p-values), ``p_difference`` (one-sided p-value
        that the effect lies beyond the margin on the side of the estimate) and
        ``verdict``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> equivalence_test(1.02, 1.02 * np.exp(rng.normal(0, 0.03, 500)), kind="ratio",
    ...                  margin=1.25)["verdict"]
    'equivalent'
    >>> equivalence_test(3.0, 3.0 * np.exp(rng.normal(0, 0.1, 500)), kind="ratio",
    ...                  margin=1.25)["verdict"]
    'different'
    >>> equivalence_test(1.2, 1.2 * np.exp(rng.normal(0, 0.2, 500)), kind="ratio",
    ...                  margin=1.25)["verdict"]
    'undecided'
    """
    if kind not in EFFECT_KINDS:
        raise NeurowaveError(f"`kind` must be one of {EFFECT_KINDS}, got {kind!r}.")
    margin = float(margin)
    if kind == "ratio" and not margin > 1:
        raise NeurowaveError(f"A ratio margin must be above 1 (e.g. 1.25), got {margin!r}.")
    if not margin > 0:
        raise NeurowaveError(f"A margin must be positive, got {margin!r}.")
    if not 0 < alpha < 0.5:
        raise NeurowaveError(f"`alpha` must be between 0 and 0.5 (e.g. 0.05), got {alpha!r}.")
    out = {
        "effect": float(estimate),
        "effect_ci_low": float("nan"),
        "effect_ci_high": float("nan"),
        "effect_ci": 1 - 2 * alpha,
        "margin": margin,
        "equivalence_low": 1 / margin
        if kind == "ratio"
        else (-margin if kind == "difference" else 0.0),
        "equivalence_high": margin,
        "p_equivalence": float("nan"),
        "p_difference": float("nan"),
        "verdict": "undecided",
    }
    boot = np.asarray(boot, float)
    boot = boot[np.isfinite(boot)]
    if not np.isfinite(estimate) or boot.size < 2:
        return out
    if kind == "ratio":
        if estimate <= 0:
            return out
        boot = boot[boot > 0]
        if boot.size < 2:
            return out
        pivot, lo_m, hi_m = np.log(boot), -np.log(margin), np.log(margin)
    elif kind == "difference":
        pivot, lo_m, hi_m = boot, -margin, margin
    else:  # a distance: the basic bootstrap corrects its upward bias
        pivot, lo_m, hi_m = np.maximum(2.0 * estimate - boot, 0.0), -np.inf, margin
    q = np.quantile(pivot, [alpha, 1 - alpha])
    if kind == "ratio":
        q = np.exp(q)
    p_below, p_above = float(np.mean(pivot <= lo_m)), float(np.mean(pivot >= hi_m))
    p_equiv = max(p_below, p_above)
    centre = np.log(estimate) if kind == "ratio" else estimate
    if kind == "distance" or centre >= 0:
        p_diff = float(np.mean(pivot <= hi_m))
    else:
        p_diff = float(np.mean(pivot >= lo_m))
    verdict = "equivalent" if p_equiv < alpha else "different" if p_diff < alpha else "undecided"
    out.update(
        effect_ci_low=float(q[0]),
        effect_ci_high=float(q[1]),
        p_equivalence=p_equiv,
        p_difference=p_diff,
        verdict=verdict,
    )
    return out


def _clean(values, groups):
    values = np.asarray(values, float).ravel()
    groups = _as_groups(values.size, groups)
    ok = np.isfinite(values)
    return values[ok], groups[ok]


def _check_common(n_boot, ci, block_a, block_b, alpha=0.05):
    validate_type(n_boot, "int", "n_boot")
    if n_boot < 0:
        raise NeurowaveError(f"`n_boot` must be 0 or more, got {n_boot}.")
    ci = check_positive(ci, "ci")
    if not 0 < ci < 1:
        raise NeurowaveError(f"`ci` must be between 0 and 1 (e.g. 0.95), got {ci!r}.")
    if not 0 < alpha < 0.5:
        raise NeurowaveError(f"`alpha` must be between 0 and 0.5 (e.g. 0.05), got {alpha!r}.")
    return ci, max(1, int(round(block_a))), max(1, int(round(block_b)))


def _empty(test, na, nb, **extra):
    out = {
        "distance": None,
        "ci_low": None,
        "ci_high": None,
        "test": test,
        "statistic": None,
        "p_value": None,
        "n_model": int(na),
        "n_recording": int(nb),
        "effect": None,
        "effect_ci_low": None,
        "effect_ci_high": None,
        "verdict": "undecided",
        "note": "no values on at least one side (e.g. no wave frames); nothing to compare",
    }
    out.update(extra)
    return out


def _test_result(dist, ci_bounds, test, stat, p, sizes, n_eff, **extra):
    """The distance, its interval and the test of one comparison, then ``extra``, then
    the sizes of the two sides (the leading keys of every ``compare_*`` result)."""
    return {
        "distance": dist,
        "ci_low": ci_bounds[0],
        "ci_high": ci_bounds[1],
        "test": test,
        "statistic": stat,
        "p_value": p,
        **extra,
        "n_model": int(sizes[0]),
        "n_recording": int(sizes[1]),
        "n_eff_model": n_eff[0],
        "n_eff_recording": n_eff[1],
    }


def _resamples(a, b, ga, gb, *, block_a, block_b, n_boot, seed, resample_groups, fn):
    """``fn(a*, b*)`` (a tuple of floats) on ``n_boot`` bootstrap resamples of both sides."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_boot):
        ia = block_bootstrap_indices(
            a.size, block=block_a, groups=ga, rng=rng, resample_groups=resample_groups
        )
        ib = block_bootstrap_indices(
            b.size, block=block_b, groups=gb, rng=rng, resample_groups=resample_groups
        )
        rows.append(fn(a[ia], b[ib]))
    if not rows:
        return np.zeros((0, 2))
    return np.asarray(rows, float).reshape(n_boot, -1)


def _verdict_block(effect, boot, *, kind, margin, alpha, name, units):
    if margin is None:
        out = {
            "effect": effect,
            "effect_ci_low": None,
            "effect_ci_high": None,
            "effect_ci": 1 - 2 * alpha,
            "margin": None,
            "verdict": None,
        }
        if boot is not None and len(boot) > 1:
            q = np.nanquantile(boot, [alpha, 1 - alpha])
            out["effect_ci_low"], out["effect_ci_high"] = float(q[0]), float(q[1])
    else:
        out = equivalence_test(
            effect, boot if boot is not None else [], kind=kind, margin=margin, alpha=alpha
        )
    out["effect_name"], out["effect_kind"], out["effect_units"] = name, kind, units
    return out


_EFFECT_NAMES = {
    "ratio": "median ratio (model / recording)",
    "difference": "median difference (model - recording)",
    "distance": "Wasserstein-1 distance",
}


def compare_linear(
    a,
    b,
    *,
    block_a=1,
    block_b=1,
    groups_a=None,
    groups_b=None,
    n_boot=500,
    ci=0.95,
    seed=0,
    units="",
    effect="ratio",
    margin=None,
    alpha=0.05,
    resample_groups=True,
):
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
        Bootstrap resamples for the intervals (0: no interval, no verdict).
    ci : float
        Confidence level of the distance's interval.
    seed : int
        Seed of the bootstrap.
    units : str
        Units of the values (reported).
    effect : {"ratio", "difference", "distance"}
        The effect size the verdict is about: ratio of the medians (positive
        quantities such as speeds and wavelengths), difference of the medians, or the
        Wasserstein-1 distance (the whole distribution).
    margin : float | None
        Equivalence margin of the effect (see :func:`equivalence_test`); None gives
        the effect and its interval but no verdict.
    alpha : float
        Level of each one-sided test (the effect's interval is ``1 - 2 alpha``).
    resample_groups : bool
        Draw the trials with replacement in the bootstrap (hierarchical bootstrap).

    Returns
    -------
    dict
        The effect (``effect``, ``effect_ci_low``, ``effect_ci_high``, ``effect_name``,
        ``margin``, ``equivalence_low``/``_high``, ``p_equivalence``,
        ``p_difference``, ``verdict``), the distance (``distance``, Wasserstein-1 in
        ``units``, with ``ci_low``, ``ci_high``), the test of identical distributions
        (``test`` = ``"ks_2samp"``, ``statistic``, ``p_value`` with effective sizes),
        ``n_model``, ``n_recording``, ``n_eff_model``, ``n_eff_recording``,
        ``median_model``, ``median_recording``, ``median_ratio`` (model / recording),
        ``units``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> r = compare_linear(rng.normal(1, 0.1, 2000), rng.normal(3, 0.3, 2000), n_boot=50,
    ...                    margin=1.25)
    >>> abs(r["distance"] - 2) < 0.1, round(r["effect"], 2), r["verdict"]
    (True, 0.33, 'different')
    """
    if effect not in EFFECT_KINDS:
        raise NeurowaveError(f"`effect` must be one of {EFFECT_KINDS}, got {effect!r}.")
    ci, block_a, block_b = _check_common(n_boot, ci, block_a, block_b, alpha)
    a, ga = _clean(a, groups_a)
    b, gb = _clean(b, groups_b)
    if a.size == 0 or b.size == 0:
        return _empty(
            "ks_2samp",
            a.size,
            b.size,
            units=units,
            margin=margin,
            effect_name=_EFFECT_NAMES[effect],
            effect_kind=effect,
        )

    def eff(x, y):
        if effect == "distance":
            return _st.wasserstein_distance(x, y)
        mx, my = np.median(x), np.median(y)
        if effect == "difference":
            return mx - my
        return mx / my if my > 0 and mx > 0 else np.nan

    dist = float(_st.wasserstein_distance(a, b))
    na, nb = effective_n(a.size, block_a), effective_n(b.size, block_b)
    stat, p = _ks_effective(a, b, na, nb)
    boot = _resamples(
        a,
        b,
        ga,
        gb,
        block_a=block_a,
        block_b=block_b,
        n_boot=n_boot,
        seed=seed,
        resample_groups=resample_groups,
        fn=lambda x, y: (_st.wasserstein_distance(x, y), eff(x, y)),
    )
    lo, hi = _ci(boot[:, 0], ci, dist) if n_boot else (float("nan"), float("nan"))
    ma, mb = float(np.median(a)), float(np.median(b))
    out = _test_result(dist, (lo, hi), "ks_2samp", stat, p, (a.size, b.size), (na, nb))
    out.update(
        {
            "median_model": ma,
            "median_recording": mb,
            "median_ratio": ma / mb if mb != 0 else float("nan"),
            "units": units,
        }
    )
    out.update(
        _verdict_block(
            float(eff(a, b)),
            boot[:, 1] if n_boot else None,
            kind=effect,
            margin=margin,
            alpha=alpha,
            name=_EFFECT_NAMES[effect],
            units="" if effect == "ratio" else units,
        )
    )
    return out


def circular_mean(deg):
    """Mean direction (degrees in [0, 360)) and resultant length of directions in degrees.

    Non-finite values are left out; ``(None, None)`` when none is left.

    Examples
    --------
    >>> mean_deg, resultant = circular_mean([80.0, 100.0, float("nan")])
    >>> round(mean_deg, 6), round(resultant, 4)
    (90.0, 0.9848)
    """
    mean, resultant = mean_resultant(deg, deg=True)
    if not np.isfinite(resultant):
        return None, None
    return float(mean), float(resultant)


def aligned_circular_wasserstein(a, b):
    """Circular Wasserstein-1 (degrees) after rotating ``b`` onto the mean direction of ``a``.

    The shape of two direction distributions (their spread and modes) compared
    without their orientation, which differs between arrays with no common frame.

    Examples
    --------
    >>> round(aligned_circular_wasserstein([10, 20, 30], [100, 110, 120]), 6)
    0.0
    """
    mean_a, mean_b = circular_mean(a)[0], circular_mean(b)[0]  # None: no finite value
    if mean_a is None or mean_b is None:
        return float("nan")
    return circular_wasserstein(a, np.asarray(b, float) + (mean_a - mean_b))


@_fill_doc
def compare_circular(
    a,
    b,
    *,
    block_a=1,
    block_b=1,
    groups_a=None,
    groups_b=None,
    n_boot=500,
    ci=0.95,
    seed=0,
    margin=None,
    alpha=0.05,
    resample_groups=True,
):
    """Compare two samples of directions in degrees.

        Parameters
        ----------
        a, b : array-like
            Side A (the model) and side B (the recording); NaN values are dropped.
    {bootstrap}    margin : float | None
            Equivalence margin (degrees) of the effect, the circular Wasserstein-1
            distance after aligning the mean directions (:func:`aligned_circular_wasserstein`).
    {test}
        Returns
        -------
        dict
            The effect and verdict (as :func:`compare_linear`; the effect is in degrees),
            ``distance`` (circular Wasserstein-1 with the orientations as measured,
            degrees, 0..180), ``ci_low``, ``ci_high``, ``test`` (``"kuiper"``),
            ``statistic`` (Kuiper V), ``p_value`` (effective sizes), ``mean_deg_model``,
            ``mean_deg_recording``, ``mean_difference_deg`` (signed, model minus
            recording, in (-180, 180]), ``resultant_length_model``,
            ``resultant_length_recording``, sizes, ``units`` ("deg").

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> a = rng.vonmises(0.0, 8.0, 1000) * 180 / np.pi
        >>> r = compare_circular(a, a + 90.0, n_boot=20, margin=20.0)
        >>> abs(r["distance"] - 90) < 1, round(r["mean_difference_deg"]), r["verdict"]
        (True, -90, 'equivalent')
    """
    ci, block_a, block_b = _check_common(n_boot, ci, block_a, block_b, alpha)
    a, ga = _clean(a, groups_a)
    b, gb = _clean(b, groups_b)
    name = "circular W1 after aligning mean directions"
    if a.size == 0 or b.size == 0:
        return _empty(
            "kuiper",
            a.size,
            b.size,
            units="deg",
            margin=margin,
            effect_name=name,
            effect_kind="distance",
        )
    dist = circular_wasserstein(a, b)
    na, nb = effective_n(a.size, block_a), effective_n(b.size, block_b)
    stat, p = kuiper_two_sample(a, b, n_eff_a=na, n_eff_b=nb)
    boot = _resamples(
        a,
        b,
        ga,
        gb,
        block_a=block_a,
        block_b=block_b,
        n_boot=n_boot,
        seed=seed,
        resample_groups=resample_groups,
        fn=lambda x, y: (circular_wasserstein(x, y), aligned_circular_wasserstein(x, y)),
    )
    lo, hi = _ci(boot[:, 0], ci, dist, 180.0) if n_boot else (float("nan"), float("nan"))
    mda, ra = circular_mean(a)
    mdb, rb = circular_mean(b)
    diff = float(np.mod(mda - mdb + 180.0, 360.0) - 180.0)
    out = _test_result(dist, (lo, hi), "kuiper", stat, p, (a.size, b.size), (na, nb))
    out.update(
        {
            "mean_deg_model": mda,
            "mean_deg_recording": mdb,
            "mean_difference_deg": diff,
            "resultant_length_model": ra,
            "resultant_length_recording": rb,
            "units": "deg",
        }
    )
    out.update(
        _verdict_block(
            aligned_circular_wasserstein(a, b),
            boot[:, 1] if n_boot else None,
            kind="distance",
            margin=margin,
            alpha=alpha,
            name=name,
            units="deg",
        )
    )
    return out


def _fractions(labels, categories):
    counts = np.array([np.sum(labels == c) for c in categories], float)
    total = counts.sum()
    return counts, (counts / total if total else counts)


@_fill_doc
def compare_categorical(
    a,
    b,
    *,
    categories,
    block_a=1,
    block_b=1,
    groups_a=None,
    groups_b=None,
    n_boot=500,
    ci=0.95,
    seed=0,
    margin=None,
    alpha=0.05,
    resample_groups=True,
):
    """Compare two samples of category labels (e.g. wave patterns per frame).

        Parameters
        ----------
        a, b : array-like
            Side A (the model) and side B (the recording); NaN values are dropped.
        categories : sequence of str
            All categories, in the order of the reported fractions.
    {bootstrap}    margin : float | None
            Equivalence margin of the total-variation distance (the effect), 0..1.
    {test}
        Returns
        -------
        dict
            The effect and verdict (as :func:`compare_linear`; the effect is the total
            variation), ``distance`` (the same total variation, 0..1), ``ci_low``,
            ``ci_high``, ``test`` (``"chi2_contingency"`` on effective counts
            ``count / block``), ``statistic``, ``p_value``, ``dof``, ``fractions_model``
            and ``fractions_recording`` (dicts), sizes.

        Examples
        --------
        >>> import numpy as np
        >>> a = np.array(["planar"] * 90 + ["other"] * 10)
        >>> b = np.array(["planar"] * 40 + ["other"] * 60)
        >>> r = compare_categorical(a, b, categories=("planar", "other"), n_boot=20)
        >>> round(r["distance"], 2)
        0.5
    """
    ci, block_a, block_b = _check_common(n_boot, ci, block_a, block_b, alpha)
    a = np.asarray(a).astype(str).ravel()
    b = np.asarray(b).astype(str).ravel()
    ga = _as_groups(a.size, groups_a)
    gb = _as_groups(b.size, groups_b)
    categories = tuple(categories)
    name = "total variation distance"
    if a.size == 0 or b.size == 0:
        return _empty(
            "chi2_contingency",
            a.size,
            b.size,
            margin=margin,
            effect_name=name,
            effect_kind="distance",
        )
    _ca, pa = _fractions(a, categories)
    _cb, pb = _fractions(b, categories)
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
    boot = _resamples(
        a,
        b,
        ga,
        gb,
        block_a=block_a,
        block_b=block_b,
        n_boot=n_boot,
        seed=seed,
        resample_groups=resample_groups,
        fn=lambda x, y: (
            total_variation(_fractions(x, categories)[1], _fractions(y, categories)[1]),
        ),
    )
    lo, hi = _ci(boot[:, 0], ci, dist, 1.0) if n_boot else (float("nan"), float("nan"))
    out = _test_result(
        dist, (lo, hi), "chi2_contingency", stat, p, (a.size, b.size), (na, nb), dof=dof
    )
    out.update(
        {
            "fractions_model": dict(zip(categories, map(float, pa), strict=True)),
            "fractions_recording": dict(zip(categories, map(float, pb), strict=True)),
            "units": "fraction",
        }
    )
    out.update(
        _verdict_block(
            dist,
            boot[:, 0] if n_boot else None,
            kind="distance",
            margin=margin,
            alpha=alpha,
            name=name,
            units="fraction",
        )
    )
    return out
