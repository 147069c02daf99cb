"""Delay-based plane fit for whole epochs (Martinet et al., Nat Commun 2017).

For one epoch (e.g. 10 s of a seizure):

1. multitaper cross-spectra (DPSS tapers, ``scipy.signal.windows.dpss``) between the
   most central site and every other site, in a band;
2. coherence and its confidence level (``sqrt(1 - p^(1/(K-1)))`` for ``K`` tapers, as
   Chronux's ``coherencyc``); frequencies below it are discarded;
3. each site's delay from the slope of the (unwrapped) coherency phase over the
   longest run of significant frequencies (at least ``min_run`` wide, the slope
   significant at ``p_threshold``): ``delay = slope / (2 pi)``; positive when the site
   lags the central one. ``method="phase"`` instead divides the mean phase by
   ``2 pi f`` (for narrow-band signals, whose phase carries no slope);
4. a robust plane fit (IRLS with Fair weights, as MATLAB's ``robustfit(..., 'fair')``)
   of delay on position, ``delay = b0 + bx x + by y``; an F-test of ``bx = by = 0``;
   speed ``1 / |b|`` and direction ``atan2(by, bx)`` (the direction in which delays grow,
   i.e. the direction of travel), with bootstrap intervals (sites resampled with
   replacement, the plane refitted).

Speeds are m/s for recordings (mm, s) and cells/step for models.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from .._validate import NeurowaveError, check_band, check_option, check_positive, validate_type
from ..grid import _sampling_rate, site_positions
from ._xr import speed_factor, units

__all__ = ["DelayPlaneFit", "compute_delays", "fit_delay_plane", "n_tapers"]


@dataclass
class DelayPlaneFit:
    """Result of :func:`fit_delay_plane` (see there)."""

    speed: float
    direction: float
    speed_ci: tuple
    direction_ci: tuple
    p_value: float
    f_stat: float
    slope: tuple
    n_sites: int
    band: tuple
    units: str
    center: tuple
    delays: xr.DataArray = field(repr=False)

    def to_dict(self):
        """Plain-JSON dict (the delays as a list, NaN as None)."""

        def clean(v):
            if isinstance(v, tuple):
                return [clean(a) for a in v]
            if isinstance(v, float) and not np.isfinite(v):
                return None
            return v

        d = {
            k: clean(getattr(self, k))
            for k in (
                "speed",
                "direction",
                "speed_ci",
                "direction_ci",
                "p_value",
                "f_stat",
                "slope",
                "n_sites",
                "band",
                "units",
                "center",
            )
        }
        d["delays"] = [
            None if not np.isfinite(v) else float(v)
            for v in np.asarray(self.delays["delay"].values, float).ravel()
        ]
        return d


#: Tapers short of an integer by less than this count as that integer (a sampling rate
#: of 500.0056 Hz makes 5000 samples 9.99989 s, so 2 W T - 1 = 38.9996 for W = 2 Hz,
#: where Martinet et al. use their nominal TW = 20, i.e. 39 tapers).
TAPER_TOLERANCE = 1e-2


def n_tapers(nw):
    """Number of DPSS tapers ``floor(2 NW - 1)`` for a time-half-bandwidth ``NW``.

    ``2 NW - 1`` within :data:`TAPER_TOLERANCE` below an integer counts as that
    integer, so that a duration a rounding error short of its nominal value (e.g.
    5000 samples at 500.0056 Hz) gets the tapers of the nominal one.

    Examples
    --------
    >>> n_tapers(2.0 * 5000 / 500.0056), n_tapers(20.0), n_tapers(19.9)
    (39, 39, 38)
    """
    return int(np.floor(2.0 * nw - 1.0 + TAPER_TOLERANCE))


def _file_order_sites(grid, n):
    """Flat site indices of every electrode in the file's channel order (dead ones too)."""
    if "channel" in grid.dims:
        return np.arange(n)
    chans = grid.attrs.get("channels")
    if isinstance(chans, (list, tuple)) and len(chans) == n:
        where = {str(c): i for i, c in enumerate(chans) if str(c)}
        order = grid.attrs.get("channel_order")
        if isinstance(order, (list, tuple)) and order:
            idx = [where[str(c)] for c in order if str(c) in where]
        else:
            idx = sorted(where.values())
        if idx:
            return np.asarray(idx, int)
    return np.arange(n)


def _reference_site(grid, reference, pos, valid):
    """Flat index of the reference site (see :func:`compute_delays`)."""
    n = len(valid)
    if reference is None or (isinstance(reference, str) and reference == "center"):
        c = pos[valid].mean(0)
        d2 = np.where(valid, ((pos - c) ** 2).sum(1), np.inf)
        return int(np.argmin(d2))
    if isinstance(reference, str) and reference == "martinet":
        # Seizure-Waves (estimate_wave.m): the electrode nearest the mean position of ALL
        # electrodes, dead ones included, first in file order; their mean is a running
        # sum (np.cumsum adds in the same order), which decides between the electrodes
        # equidistant from the centre of a symmetric array.
        idx = _file_order_sites(grid, n)
        p = pos[idx]
        cx = np.cumsum(p[:, 0])[-1] / len(p)
        cy = np.cumsum(p[:, 1])[-1] / len(p)
        d2 = (p[:, 0] - cx) ** 2 + (p[:, 1] - cy) ** 2
        ref = int(idx[int(np.argmin(d2))])
        if not valid[ref]:
            raise NeurowaveError(
                f"The reference Martinet et al. would choose, site {ref} "
                f"({_site_name(grid, ref)}), is dead or has NaN samples; pass "
                "reference='center' (the valid site nearest the centre) or a site."
            )
        return ref
    if isinstance(reference, str):
        names = (
            grid["channel"].values.tolist()
            if "channel" in grid.dims
            else grid.attrs.get("channels")
        )
        names = [str(c) for c in (names or [])]
        if reference not in names:
            raise NeurowaveError(
                f"`reference` {reference!r} is neither 'center', 'martinet' nor a channel of "
                f"the grid ({', '.join(c for c in names if c)[:200] or 'the grid has no channel names'}). "
                "Pass one of them or a flat site index."
            )
        ref = names.index(reference)
    else:
        validate_type(
            reference,
            "int",
            "reference",
            "an integer site index, a channel name, 'center' or 'martinet'",
        )
        ref = int(reference)
        if not -n <= ref < n:
            raise NeurowaveError(f"`reference` must be a site index below {n}, got {reference}.")
        ref %= n
    if not valid[ref]:
        raise NeurowaveError(
            f"`reference` site {ref} ({_site_name(grid, ref)}) is dead or has NaN samples; "
            "pick a valid site."
        )
    return ref


def _site_name(grid, i):
    if "channel" in grid.dims:
        return str(grid["channel"].values[i])
    chans = grid.attrs.get("channels")
    if isinstance(chans, (list, tuple)) and i < len(chans) and chans[i]:
        return str(chans[i])
    _ny, nx = grid.shape[1:]
    return f"y={float(grid['y'].values[i // nx]):g}, x={float(grid['x'].values[i % nx]):g}"


def _tapers(n, nw, k):
    from scipy.signal.windows import dpss

    return np.atleast_2d(dpss(n, nw, Kmax=k, sym=False))


def _longest_run(mask):
    best, start = (0, 0), None
    for i, m in enumerate(list(mask) + [False]):
        if m and start is None:
            start = i
        if not m and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def _delay_from_phase(phi, freq, sig, min_points, p_threshold, method):
    from scipy import stats

    a, b = _longest_run(sig)
    # Martinet et al.: the run must hold MORE than ceil(min_run / df) bins
    if b - a <= max(min_points, 2):
        return np.nan, np.nan, np.nan
    f = freq[a:b]
    ph = np.unwrap(phi[a:b])
    if method == "phase":
        # mean phase over the run, each frequency's phase as a delay
        d = ph / (2 * np.pi * f)
        m = float(np.mean(d))
        se = float(np.std(d, ddof=1) / np.sqrt(len(d))) if len(d) > 1 else np.nan
        return m, m - 1.96 * se, m + 1.96 * se
    res = stats.linregress(f, ph)
    if not res.pvalue <= p_threshold:  # as their `mp > PVALUE_THRESH` rejects
        return np.nan, np.nan, np.nan
    tcrit = stats.t.ppf(0.975, len(f) - 2)
    slope = res.slope / (2 * np.pi)
    half = tcrit * res.stderr / (2 * np.pi)
    return slope, slope - half, slope + half


def compute_delays(
    grid,
    *,
    band,
    bandwidth=2.0,
    reference=None,
    method="slope",
    min_run=3.0,
    p_threshold=0.05,
    confidence=0.05,
):
    """Multitaper coherence delays of every site relative to a reference site.

    Parameters
    ----------
    grid : xarray.DataArray
        A wave grid (``("time", "y", "x")`` or ``("time", "channel")``) holding one
        epoch; dead sites get NaN.
    band : (float, float)
        Frequencies analysed (Hz, or cycles/step).
    bandwidth : float
        Multitaper half-bandwidth ``W`` in Hz; ``K = floor(2 W T - 1)`` tapers for a
        ``T``-long epoch, with a rounding tolerance (:func:`n_tapers`) so that 5000
        samples at 500.0056 Hz get the 39 tapers of 10 s (Martinet et al. use ``TW =
        20`` for 10 s, i.e. ``W = 2`` Hz and 39 tapers).
    reference : int | str | None
        The reference site: ``None`` or ``"center"`` (default) the valid site nearest
        the centroid of the valid sites; ``"martinet"`` the authors' choice (Seizure-Waves,
        ``estimate_wave.m``): the electrode nearest the mean position of all electrodes,
        dead ones included, ties decided as their running sums decide them (on the Utah
        recording of Martinet et al. 2017, electrode 44); a channel name; or a flat site
        index (row-major over ``(y, x)``, or the ``channel`` index).
    method : {"slope", "phase"}
        Delay from the slope of phase over frequency (broadband signals; Martinet et
        al.) or from phase / (2 pi f) averaged over the run (narrow-band signals).
    min_run : float
        A delay needs a run of significant coherence of MORE than ``ceil(min_run / df)``
        frequency bins (``df`` the frequency resolution), as Martinet et al.: a run of
        exactly that many bins is not enough.
    p_threshold : float
        Significance the phase-frequency slope must reach (a p-value above it gives NaN).
    confidence : float
        p of the coherence confidence level.

    Returns
    -------
    delays : xarray.Dataset
        ``delay``, ``delay_lo``, ``delay_hi`` (time units; positive = the site lags the
        reference) and ``coherence`` (mean over the band), with the grid's spatial dims;
        ``attrs``: ``reference``, ``n_tapers``, ``coherence_threshold``, ``band``.

    Examples
    --------
    >>> import numpy as np, neurowave as nw
    >>> rng = np.random.default_rng(0)
    >>> s = rng.standard_normal(4000)
    >>> x = np.stack([np.roll(s, k) for k in range(4)], 1) + 0.1 * rng.standard_normal((4000, 4))
    >>> g = nw.make_channel_grid(x, sampling_rate=500.0, x=[0, 1, 2, 3], y=[0, 0, 0, 0])
    >>> d = compute_delays(g, band=(5, 60), reference=0)
    >>> np.round(d.delay.values * 500, 1).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    check_option("method", method, ("slope", "phase"))
    sr = _sampling_rate(grid)
    tu, _su = units(grid)
    nt = grid.sizes["time"]
    band = check_band(band, sr, n_times=nt, time_units=tu)
    bandwidth = check_positive(bandwidth, "bandwidth")
    x = np.asarray(grid.values, float).reshape(nt, -1)
    valid = np.isfinite(x).all(0)
    pos = site_positions(grid)
    if valid.sum() < 3:
        raise NeurowaveError(
            f"`grid` has {int(valid.sum())} complete site(s); a delay map needs at least 3."
        )
    reference = _reference_site(grid, reference, pos, valid)
    duration = nt / sr
    nw = bandwidth * duration
    k = n_tapers(nw)
    if k < 2:
        raise NeurowaveError(
            f"`bandwidth` {bandwidth:g} gives fewer than 2 tapers for {duration:g} {tu}; "
            f"pass a bandwidth of at least {1.5 / duration:.3g}."
        )
    tapers = _tapers(nt, nw, k)  # (K, N)
    freq = np.fft.rfftfreq(nt, 1.0 / sr)
    fsel = (freq >= band[0]) & (freq <= band[1])
    freq = freq[fsel]
    xv = x[:, valid] - x[:, valid].mean(0)
    spec = np.stack([np.fft.rfft(t[:, None] * xv, axis=0)[fsel] for t in tapers])  # (K, F, S)
    vidx = np.flatnonzero(valid)
    r = int(np.flatnonzero(vidx == reference)[0])
    s_rr = (np.abs(spec[:, :, r]) ** 2).sum(0)
    s_jj = (np.abs(spec) ** 2).sum(0)
    s_rj = (spec[:, :, r, None] * np.conj(spec)).sum(0)
    coh = s_rj / np.sqrt(s_rr[:, None] * s_jj)
    cabs = np.abs(coh)
    phi = np.angle(coh)
    conf = float(np.sqrt(1.0 - confidence ** (1.0 / (k - 1))))
    df = freq[1] - freq[0] if len(freq) > 1 else 1.0
    min_points = int(np.ceil(min_run / df))
    n = x.shape[1]
    out = np.full((3, n), np.nan)
    cm = np.full(n, np.nan)
    for jj, j in enumerate(vidx):
        cm[j] = float(cabs[:, jj].mean())
        if j == reference:
            out[:, j] = 0.0
            continue
        out[:, j] = _delay_from_phase(
            phi[:, jj], freq, cabs[:, jj] >= conf, min_points, p_threshold, method
        )
    shape = grid.shape[1:]
    sdims = grid.dims[1:]
    coords = {k2: v for k2, v in grid.coords.items() if set(v.dims) <= set(sdims)}
    ds = xr.Dataset(
        {
            "delay": (sdims, out[0].reshape(shape), {"units": tu}),
            "delay_lo": (sdims, out[1].reshape(shape), {"units": tu}),
            "delay_hi": (sdims, out[2].reshape(shape), {"units": tu}),
            "coherence": (sdims, cm.reshape(shape)),
        },
        coords=coords,
    )
    ds.attrs.update(
        reference=int(reference),
        n_tapers=int(k),
        bandwidth=float(bandwidth),
        coherence_threshold=conf,
        band=[float(band[0]), float(band[1])],
        method=method,
        reference_position=[float(v) for v in pos[reference]],
    )
    return ds


def _robust_plane(pos, d, n_iter=50, tune=1.4):
    """IRLS with Fair weights; returns (b, cov, resid, weights)."""
    xm = np.column_stack([np.ones(len(d)), pos])
    w = np.ones(len(d))
    b = np.linalg.lstsq(xm, d, rcond=None)[0]
    h = np.einsum("ij,ji->i", xm, np.linalg.pinv(xm.T @ xm) @ xm.T)
    adj = 1.0 / np.sqrt(np.clip(1 - h, 1e-6, None))
    for _ in range(n_iter):
        r = d - xm @ b
        mad = np.median(np.abs(r - np.median(r)))
        s = mad / 0.6745 if mad > 0 else (np.std(r) if np.std(r) > 0 else 1.0)
        u = r * adj / (tune * s)
        w = 1.0 / (1.0 + np.abs(u))
        wx = xm * w[:, None]
        b_new = np.linalg.solve(xm.T @ wx, wx.T @ d)
        if np.allclose(b_new, b, rtol=1e-10, atol=1e-14):
            b = b_new
            break
        b = b_new
    r = d - xm @ b
    p = xm.shape[1]
    sigma2 = float((w * r * r).sum() / max(len(d) - p, 1) / max(w.mean(), 1e-12))
    cov = sigma2 * np.linalg.inv(xm.T @ (xm * w[:, None])) * w.mean()
    return b, cov, r, w


def _robustfit_covb(pos, d, b, tune=1.4):
    """Covariance of the plane coefficients as MATLAB's ``robustfit`` reports it.

    ``stats.covb = sigma^2 inv(X'X)``, with ``sigma`` the robust scale of DuMouchel &
    O'Brien (leverage-adjusted residuals, Huber's K correction of the Fair weight
    function's derivative) shrunk toward the OLS scale when smaller (Street, Carroll &
    Ruppert 1988), which Martinet et al. use for their F-test and intervals.
    """
    xm = np.column_stack([np.ones(len(d)), pos])
    n, p = xm.shape
    xtx_inv = np.linalg.pinv(xm.T @ xm)
    h = np.minimum(np.einsum("ij,jk,ik->i", xm, xtx_inv, xm), 0.9999)
    radj = (d - xm @ b) / np.sqrt(1.0 - h)
    rs = np.sort(np.abs(radj))
    mad_s = max(float(np.median(rs[p - 1 :])) / 0.6745, 1e-6 * max(float(np.std(d)), 1e-300))
    st = mad_s * tune
    u = radj / st

    def phi(v):
        return v / (1.0 + np.abs(v))  # u * fair weight

    delta = 1e-4
    dphi = (phi(u + delta) - phi(u - delta)) / (2 * delta)
    m1 = float(dphi.mean())
    m2 = float(np.sum((1.0 - h) * phi(u) ** 2) / max(n - p, 1))
    k = 1.0 + (p / n) * (1.0 - m1) / m1
    robust_s = k * np.sqrt(m2) * st / m1
    b_ols = np.linalg.lstsq(xm, d, rcond=None)[0]
    ols_s = float(np.linalg.norm(d - xm @ b_ols) / np.sqrt(max(n - p, 1)))
    sigma = max(robust_s, np.sqrt((ols_s**2 * p**2 + robust_s**2 * n) / (p**2 + n)))
    return sigma**2 * xtx_inv


def fit_delay_plane(
    grid,
    *,
    band,
    bandwidth=2.0,
    method="slope",
    reference=None,
    n_boot=500,
    ci="bootstrap",
    min_run=3.0,
    p_threshold=0.05,
    min_fraction=0.5,
    seed=0,
):
    """Speed and direction of a whole epoch from a plane fitted to coherence delays.

    Parameters
    ----------
    grid : xarray.DataArray
        One epoch of a wave grid.
    band : (float, float)
        Band analysed (Martinet et al.: 1-13 Hz for seizures).
    bandwidth, method, reference, min_run, p_threshold
        As in :func:`compute_delays`.
    n_boot : int
        Resamples for the 95 % intervals (0 skips them).
    ci : {"bootstrap", "model"}
        How the intervals are drawn: ``"bootstrap"`` refits the plane to sites resampled
        with replacement (robust to a plane that fits badly); ``"model"`` draws the two
        slopes from the normal distribution of the fit (robustfit's covariance), as
        Martinet et al. (1000 draws there).
    min_fraction : float
        More than this fraction of the valid sites must have a delay (Martinet et al.:
        0.5).
    seed : int

    Returns
    -------
    fit : DelayPlaneFit
        ``speed`` (m/s for recordings, cells/step for models; NaN when the plane is not
        significant at ``p_threshold``), ``direction`` (degrees CCW from +x, of travel),
        ``speed_ci``, ``direction_ci`` (2.5 and 97.5 percentiles of the bootstrap),
        ``p_value`` and ``f_stat`` of the F-test of ``bx = by = 0``, ``slope`` (``bx``,
        ``by`` in time per space unit), ``n_sites`` with a delay, ``band``, ``units``,
        ``center`` (reference position) and ``delays`` (Dataset of
        :func:`compute_delays`).

    Examples
    --------
    >>> import numpy as np, neurowave as nw
    >>> rng = np.random.default_rng(1)
    >>> s = rng.standard_normal(5000)
    >>> yy, xx = np.mgrid[0:6, 0:6] * 0.4
    >>> lag = np.rint(xx.ravel() / 0.4).astype(int)  # 1 sample (2 ms) per 0.4 mm along x
    >>> x = np.stack([np.roll(s, k) for k in lag], 1) + 0.2 * rng.standard_normal((5000, 36))
    >>> g = nw.make_grid(x.reshape(5000, 6, 6), sampling_rate=500.0, spacing=0.4)
    >>> fit = fit_delay_plane(g, band=(5, 60), n_boot=0)
    >>> round(fit.speed, 2), round(fit.direction) % 360
    (0.2, 0)
    """
    from scipy import stats

    validate_type(n_boot, "int", "n_boot")
    check_option("ci", ci, ("bootstrap", "model"))
    delays = compute_delays(
        grid,
        band=band,
        bandwidth=bandwidth,
        reference=reference,
        method=method,
        min_run=min_run,
        p_threshold=p_threshold,
    )
    tu, su = units(grid)
    factor, sunit = speed_factor(tu, su)
    pos = site_positions(grid)
    d = np.asarray(delays["delay"].values, float).ravel()
    n_valid = int(
        np.isfinite(np.asarray(grid.values, float).reshape(grid.sizes["time"], -1)).all(0).sum()
    )
    ok = np.isfinite(d)
    nan = float("nan")
    res = dict(
        speed=nan,
        direction=nan,
        speed_ci=(nan, nan),
        direction_ci=(nan, nan),
        p_value=nan,
        f_stat=nan,
        slope=(nan, nan),
        n_sites=int(ok.sum()),
        band=tuple(delays.attrs["band"]),
        units=sunit,
        center=tuple(delays.attrs["reference_position"]),
        delays=delays,
    )
    if ok.sum() < 4 or not ok.sum() > min_fraction * n_valid:  # MORE than half, as theirs
        return DelayPlaneFit(**res)
    b = _robust_plane(pos[ok], d[ok])[0]
    bs = b[1:]
    cs = _robustfit_covb(pos[ok], d[ok], b)[1:, 1:]
    try:
        f_stat = float(bs @ np.linalg.solve(cs, bs) / 2.0)
    except np.linalg.LinAlgError:
        f_stat = nan
    dfe = int(ok.sum()) - 3
    p = float(stats.f.sf(f_stat, 2, dfe)) if np.isfinite(f_stat) and dfe > 0 else nan
    res.update(p_value=p, f_stat=f_stat, slope=(float(bs[0]), float(bs[1])))
    if not (p < p_threshold):
        return DelayPlaneFit(**res)
    norm = float(np.hypot(*bs))
    res["speed"] = factor / norm
    res["direction"] = float(np.degrees(np.arctan2(bs[1], bs[0])) % 360.0)
    if n_boot > 0 and ci == "model":
        rng = np.random.default_rng(seed)
        draws = rng.multivariate_normal(bs, cs, size=n_boot)
        sp = list(factor / np.hypot(draws[:, 0], draws[:, 1]))
        di = list(np.arctan2(draws[:, 1], draws[:, 0]))
    elif n_boot > 0:
        rng = np.random.default_rng(seed)
        idx = np.flatnonzero(ok)
        sp, di = [], []
        for _ in range(n_boot):
            pick = rng.choice(idx, size=len(idx), replace=True)
            if len(np.unique(pick)) < 4:
                continue
            bb = _robust_plane(pos[pick], d[pick], n_iter=20)[0][1:]
            sp.append(factor / np.hypot(*bb))
            di.append(np.arctan2(bb[1], bb[0]))
    if n_boot > 0 and sp:
        res["speed_ci"] = tuple(float(v) for v in np.percentile(sp, [2.5, 97.5]))
        # direction interval around the point estimate (wrapped)
        th0 = np.arctan2(bs[1], bs[0])
        dd = np.angle(np.exp(1j * (np.asarray(di) - th0)))
        lo, hi = np.percentile(dd, [2.5, 97.5])
        res["direction_ci"] = (
            float(np.degrees(th0 + lo) % 360),
            float(np.degrees(th0 + hi) % 360),
        )
    return DelayPlaneFit(**res)
