"""Per-frame wave patterns: planar, synchronous, radial out/in, rotating, other.

Phase-gradient and flow measures are used together. Every frame's phase map is
compared with four models (see :mod:`neurowave.waves.fits`):
a constant phase (synchrony), a plane, a target wave around a source and a rotating
wave around a centre. Sources and centres start from the phase-gradient field (the
meeting point of the lines along, or across, the local gradient vectors), and the fits
refine them. The decision, with every threshold a keyword of
:func:`classify_patterns`:

1. **synchronous** when the phases are concentrated (resultant length ``r_sync >=
   sync_threshold``) and the fitted plane spans less than ``min_span`` radians across
   the array, or does not explain significantly more than a constant phase
   (F statistic of the plane against the constant below ``f_threshold``), and
   likewise for the target and rotating fits;
2. **radial_out / radial_in / rotating** when that fit reaches ``min_fit`` and pays
   for being richer than a plane: its BIC (wrapped-normal residuals) is lower than the
   plane's by at least ``min_delta_bic`` and its residual circular variance is at most
   ``curved_gain`` times the plane's; and when it describes a source or a rotation on
   the array: the source or centre lies within ``hull_margin`` site spacings of the
   convex hull of the sites, and around it the phase winds (rotating) or the travel
   directions spread (radial) over at least ``min_turn`` of a turn. The better of the
   two curved fits wins. A plane seen from a far-off point fits a rotation or a target
   almost as well as a plane; such frames stay planar and are marked ``off_array``;
3. **planar** when the plane fit reaches ``min_fit`` and the optical flow of the
   phase (Horn-Schunck, :func:`~neurowave.waves.compute_optical_flow`) is ordered:
   order parameter ``|sum v| / sum |v|`` at least ``min_order``;
4. **other** otherwise (noise, several waves, turbulence).

Out versus in and clockwise versus counter-clockwise follow one convention: the travel
direction is -grad phi for a positive frequency (the sign of each frame's median
temporal phase derivative is taken into account).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._validate import (
    NeurowaveError,
    NeurowaveTypeError,
    check_positive,
)
from ._est_common import (
    check_phase,
    flat,
    temporal_derivative,
)
from ._xr import speed_factor, units
from .fits import (
    _check_max_sites,
    _fit_all,
    _Geometry,
    _omega,
    _resultant,
    _turn_around,
    _valid_mask,
)

__all__ = ["PATTERNS", "classify_patterns", "compare_wave_definitions", "delta_bic"]

PATTERNS = ("planar", "radial_out", "radial_in", "rotating", "synchronous", "other")

_CODES = {p: i for i, p in enumerate(PATTERNS)}

#: Default thresholds of :func:`classify_patterns` (echoed in analyze's ``params``).
DEFAULT_THRESHOLDS = dict(
    sync_threshold=0.85,
    min_span=0.25,
    f_threshold=10.0,
    min_fit=0.5,
    min_delta_bic=10.0,
    curved_gain=0.75,
    hull_margin=0.5,
    min_turn=0.4,
    min_order=0.5,
    veto_fit=0.9,
)

#: Free parameters of each fit, as the information criterion counts them: the plane
#: (kx, ky, phi0), the target wave (source x, y, slope, phi0) and the rotating wave
#: (centre x, y, phi0 and its sense s, a discrete choice counted as one).
N_PARAMS = dict(plane=3, radial=4, rotating=4)

#: The rule :func:`classify_patterns` applies before calling a frame radial or rotating
#: (echoed in its ``attrs`` and in analyze's ``params["patterns"]["criterion"]``).
CRITERION = (
    "radial/rotating over planar only when: BIC (wrapped-normal residuals, sigma^2 = "
    "-2 ln R; plane 3, radial 4, rotating 4 parameters) lower than the plane's by "
    ">= min_delta_bic; residual circular variance <= curved_gain x the plane's; centre "
    "within hull_margin site spacings of the convex hull of the sites; phase winding "
    "(rotating) or spread of travel directions (radial) around the centre >= min_turn "
    "of a turn"
)


def _variance(r):
    """Wrapped-normal variance of residuals whose resultant length is ``r``."""
    return -2.0 * np.log(np.clip(r, 1e-12, 1.0 - 1e-12))


def delta_bic(r_simple, r_rich, n, extra):
    """How much lower the BIC of the richer fit is than that of the simpler one.

    The residuals of a fit with resultant length ``R`` over ``n`` sites are taken as
    wrapped normal with variance ``-2 ln R`` (Mardia & Jupp 2000, sec. 3.5), so that
    ``BIC = n ln sigma^2 + p ln n`` (Schwarz 1978) and the richer fit, with ``extra``
    more parameters, is better by ``n ln(sigma^2_simple / sigma^2_rich) - extra ln n``.
    Positive favours the richer fit; 10 or more is very strong evidence on the scale of
    Kass & Raftery (1995).

    Parameters
    ----------
    r_simple, r_rich : array_like
        Resultant lengths (0..1) of the residuals of the simpler and the richer fit.
    n : array_like
        Sites fitted.
    extra : int
        Parameters the richer fit has beyond the simpler one (:data:`N_PARAMS`).

    Returns
    -------
    numpy.ndarray
        ``BIC_simple - BIC_rich``.

    Examples
    --------
    >>> round(float(delta_bic(0.98, 0.99, 96, 1)), 1)  # about half the variance, 96 sites
    62.5
    """
    n = np.maximum(np.asarray(n, float), 2.0)
    with np.errstate(all="ignore"):
        return n * np.log(_variance(r_simple) / _variance(r_rich)) - extra * np.log(n)


def _frame_fits(phi, geo, grad):
    """The fits of every frame and what the decision needs of them."""
    n = phi.shape[1]
    w = np.isfinite(phi).astype(float)
    st = dict(w=w, nv=w.sum(-1))
    st["r_sync"], _ = _resultant(phi, np.zeros(n), w)
    fits = _fit_all(phi, geo, ("plane", "radial", "rotating"), grad=grad, rho=False)
    gx, gy = fits["gx"], fits["gy"]
    okg = np.isfinite(gx) & np.isfinite(gy)
    with np.errstate(all="ignore"):
        mg = np.hypot(np.where(okg, gx, 0).sum(-1), np.where(okg, gy, 0).sum(-1))
        st["pgd"] = mg / np.where(okg, np.hypot(gx, gy), 0).sum(-1)
    st["pl"], st["ra"], st["ro"] = fits["plane"], fits["radial"], fits["rotating"]
    k = st["pl"]["k"]
    st["kn"] = kn = np.hypot(k[:, 0], k[:, 1])
    with np.errstate(all="ignore"):
        proj = np.where(w > 0, (geo.pos @ (k / np.maximum(kn, 1e-300)[:, None]).T).T, np.nan)
        st["span"] = kn * (np.nanmax(proj, -1) - np.nanmin(proj, -1))
    for key, r in (
        ("v_s", st["r_sync"]),
        ("v_p", st["pl"]["r"]),
        ("v_r", st["ra"]["r"]),
        ("v_o", st["ro"]["r"]),
    ):
        st[key] = np.maximum(1 - r, 1e-12)  # residual circular variances
    return st


def _curved_tests(phi, st, geo, th):
    """Which frames the target and rotating fits may claim (the plane's rivals).

    A curved fit must beat the plane by the information criterion and by a margin of
    residual variance, and its centre must lie on the array (within ``hull_margin``
    spacings of the convex hull of the sites) with the phase turning around it
    (rotating) or the travel directions leaving it spreading (radial) over at least
    ``min_turn`` of a turn. ``off_array`` marks the frames whose better curved fit
    passed the first two tests and failed the last two.
    """
    b = len(phi)
    pl, ra, ro, nv = st["pl"], st["ra"], st["ro"], st["nv"]
    out = dict(
        dbic_radial=delta_bic(pl["r"], ra["r"], nv, N_PARAMS["radial"] - N_PARAMS["plane"]),
        dbic_rotating=delta_bic(pl["r"], ro["r"], nv, N_PARAMS["rotating"] - N_PARAMS["plane"]),
    )
    fit_ok = {
        "radial": (
            (ra["r"] >= th["min_fit"])
            & (out["dbic_radial"] >= th["min_delta_bic"])
            & (st["v_r"] <= th["curved_gain"] * st["v_p"])
            & (np.abs(ra["a"]) > 0)
        ),
        "rotating": (
            (ro["r"] >= th["min_fit"])
            & (out["dbic_rotating"] >= th["min_delta_bic"])
            & (st["v_o"] <= th["curved_gain"] * st["v_p"])
        ),
    }
    if geo.collinear:  # sites on a line: only the change along it is seen
        fit_ok = {key: np.zeros(b, bool) for key in fit_ok}
    turn = {key: np.full(b, np.nan) for key in fit_ok}
    dist = {key: np.full(b, np.nan) for key in fit_ok}
    for key, fit in (("radial", ra), ("rotating", ro)):
        rows = np.flatnonzero(fit_ok[key])
        if rows.size:
            dist[key][rows] = geo.hull_distance(fit["c"][rows])
            sense = fit["s"][rows] if key == "rotating" else np.ones(rows.size)
            wnd, cov = _turn_around(phi[rows], geo.pos, fit["c"][rows], sense, geo.spacing)
            turn[key][rows] = wnd if key == "rotating" else cov
    on = {
        key: fit_ok[key] & (dist[key] <= th["hull_margin"]) & (turn[key] >= th["min_turn"])
        for key in fit_ok
    }
    better_rot = fit_ok["rotating"] & (~fit_ok["radial"] | (ro["r"] > ra["r"]))
    out.update(
        rad_ok=on["radial"],
        rot_ok=on["rotating"],
        off_array=(fit_ok["radial"] | fit_ok["rotating"]) & ~on["radial"] & ~on["rotating"],
        center_offset=np.where(better_rot, dist["rotating"], dist["radial"]),
        turn=np.where(better_rot, turn["rotating"], turn["radial"]),
    )
    return out


def _sync_test(st, cv, th):
    """Concentrated phases that no plane, target or rotation explains significantly
    better than a constant phase (F statistics against the constant)."""
    nv, v_s = st["nv"], st["v_s"]
    ra = st["ra"]
    with np.errstate(all="ignore"):
        f_plane = ((v_s - st["v_p"]) / 2.0) / (st["v_p"] / np.maximum(nv - 3, 1))
        f_rad = ((v_s - st["v_r"]) / 3.0) / (st["v_r"] / np.maximum(nv - 4, 1))
        f_rot = ((v_s - st["v_o"]) / 2.0) / (st["v_o"] / np.maximum(nv - 3, 1))
        # radial span: |a| times the range of distances from the source
        dist = np.hypot(st["pos"][:, 0] - ra["c"][:, :1], st["pos"][:, 1] - ra["c"][:, 1:])
        dist = np.where(st["w"] > 0, dist, np.nan)
        span_rad = np.abs(ra["a"]) * (np.nanmax(dist, -1) - np.nanmin(dist, -1))
    return (
        (st["r_sync"] >= th["sync_threshold"])
        & ((st["span"] < th["min_span"]) | (f_plane < th["f_threshold"]))
        & ((span_rad < th["min_span"]) | (f_rad < th["f_threshold"]) | ~cv["rad_ok"])
        & ((f_rot < th["f_threshold"]) | ~cv["rot_ok"])
    )


def _classify_kernel(phi, om, geo, grad, th, factor=1.0, order=None):
    """phi (B, n_valid) -> dict of per-frame arrays.

    ``order``: the flow order parameter of every frame (B,), or a function of a boolean
    mask of frames returning it for those frames; it is asked only for the frames the
    fits would call planar (the only ones its veto can change).
    """
    b = len(phi)
    st = _frame_fits(phi, geo, grad)
    st["pos"] = geo.pos
    cv = _curved_tests(phi, st, geo, th)
    sync = _sync_test(st, cv, th)
    pl, ra, ro, nv = st["pl"], st["ra"], st["ro"], st["nv"]
    sgn = np.where(om < 0, -1.0, 1.0)
    planar = pl["r"] >= th["min_fit"]
    use_rad = cv["rad_ok"] & (~cv["rot_ok"] | (ra["r"] >= ro["r"]))
    use_rot = cv["rot_ok"] & ~use_rad
    if callable(order):
        # the flow is asked about the planes the fits leave in doubt: a plane that
        # explains the phase map (residual resultant >= veto_fit) leaves no room for the
        # source, sink or rotation the veto is there to catch
        cand = planar & ~use_rad & ~use_rot & ~sync & ~(nv < 3) & (pl["r"] < th["veto_fit"])
        full = np.full(b, np.nan)
        if cand.any():
            full[cand] = order(cand)
        order = full
    if order is not None:
        # the velocity field of a plane wave points one way; a low order parameter
        # (sources, sinks, rotations, disorder) vetoes the planar label
        planar &= ~(order < th["min_order"])
    code = np.full(b, _CODES["other"])
    rotation = np.zeros(b, int)
    cx, cy = np.full(b, np.nan), np.full(b, np.nan)
    code[planar] = _CODES["planar"]
    code[use_rad] = np.where(
        (ra["a"] * sgn)[use_rad] < 0, _CODES["radial_out"], _CODES["radial_in"]
    )
    cx[use_rad], cy[use_rad] = ra["c"][use_rad, 0], ra["c"][use_rad, 1]
    code[use_rot] = _CODES["rotating"]
    rotation[use_rot] = np.where((ro["s"] * sgn)[use_rot] < 0, 1, -1)
    cx[use_rot], cy[use_rot] = ro["c"][use_rot, 0], ro["c"][use_rot, 1]
    empty = nv < 3
    code[sync | empty] = np.where(empty, _CODES["other"], _CODES["synchronous"])[sync | empty]
    rotation[sync | empty] = 0
    cx[sync | empty] = cy[sync | empty] = np.nan
    fit_speed, fit_dir = _fit_speeds(code, om, st, geo, factor)
    return dict(
        code=code,
        rotation=rotation,
        center_x=cx,
        center_y=cy,
        r_sync=st["r_sync"],
        r_plane=pl["r"],
        r_radial=ra["r"],
        r_rotating=ro["r"],
        phase_span=st["span"],
        pgd=st["pgd"],
        fit_speed=fit_speed,
        fit_direction=fit_dir,
        order_parameter=np.full(b, np.nan) if order is None else order,
        delta_bic=np.fmax(cv["dbic_radial"], cv["dbic_rotating"]),
        center_offset=cv["center_offset"],
        turn=cv["turn"],
        off_array=cv["off_array"] & ~sync & ~empty,
    )


def _fit_speeds(code, om, st, geo, factor):
    """Speed (and, for plane waves, direction) from the fit that matches the pattern."""
    b = len(code)
    fit_speed = np.full(b, np.nan)
    fit_dir = np.full(b, np.nan)
    aom = np.abs(om)
    sgn = np.where(om < 0, -1.0, 1.0)
    k, ra, ro = st["pl"]["k"], st["ra"], st["ro"]
    is_pl = code == _CODES["planar"]
    is_ra = (code == _CODES["radial_out"]) | (code == _CODES["radial_in"])
    is_ro = code == _CODES["rotating"]
    with np.errstate(all="ignore"):
        fit_speed[is_pl] = (aom / st["kn"])[is_pl] * factor
        fit_dir[is_pl] = (np.degrees(np.arctan2(-sgn * k[:, 1], -sgn * k[:, 0])) % 360.0)[is_pl]
        fit_speed[is_ra] = (aom / np.abs(ra["a"]))[is_ra] * factor
        d_ro = np.hypot(geo.pos[:, 0] - ro["c"][:, :1], geo.pos[:, 1] - ro["c"][:, 1:])
        d_ro = np.where(st["w"] > 0, d_ro, np.nan)
        fit_speed[is_ro] = (aom * np.nanmedian(d_ro, -1))[is_ro] * factor
    return fit_speed, fit_dir


_CACHE = {}


def _cached(cls, pos, valid, **kw):
    """``cls(pos, valid, **kw)``, built once per layout (chunks of one recording share it)."""
    key = (
        cls.__name__,
        np.asarray(pos, float).tobytes(),
        np.asarray(valid, bool).tobytes(),
        tuple(sorted(kw.items())),
    )
    obj = _CACHE.get(key)
    if obj is None:
        obj = cls(pos, valid, **kw)
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[key] = obj
    return obj


def _strided_derivative(phase, idx):
    """``temporal_derivative(phase)`` on the frames ``idx`` only (wrapped central
    differences from their neighbours, one-sided at the ends)."""
    nt = phase.sizes["time"]
    idx = np.asarray(idx, int)
    nxt = np.minimum(idx + 1, nt - 1)
    prv = np.maximum(idx - 1, 0)
    cur = phase.isel(time=idx)
    if not hasattr(phase.data, "dask"):
        v = np.asarray(phase.values)
        with np.errstate(invalid="ignore"):
            fw = np.angle(np.exp(1j * (v[nxt] - v[idx])))
            bw = np.angle(np.exp(1j * (v[idx] - v[prv])))
        fw[nxt == idx] = np.nan
        bw[prv == idx] = np.nan
        out = (np.where(np.isnan(fw), bw, fw) + np.where(np.isnan(bw), fw, bw)) / 2.0
        return cur.copy(data=out.astype(v.dtype))
    fw = phase.isel(time=nxt).drop_vars("time") - cur.drop_vars("time")
    bw = cur.drop_vars("time") - phase.isel(time=prv).drop_vars("time")
    wrap_ = xr.apply_ufunc(
        lambda a: np.angle(np.exp(1j * a)), xr.concat([fw, bw], "_d"), dask="allowed"
    )
    fw, bw = wrap_.isel(_d=0), wrap_.isel(_d=1)
    fw = fw.where(xr.DataArray(nxt > idx, dims="time"))
    bw = bw.where(xr.DataArray(prv < idx, dims="time"))
    out = (fw.fillna(bw) + bw.fillna(fw)) / 2.0
    return out.assign_coords(time=cur["time"])


_OUT = [
    "code",
    "rotation",
    "center_x",
    "center_y",
    "r_sync",
    "r_plane",
    "r_radial",
    "r_rotating",
    "phase_span",
    "pgd",
    "fit_speed",
    "fit_direction",
    "order_parameter",
    "delta_bic",
    "center_offset",
    "turn",
    "off_array",
]
_ORDER = [
    "pattern",
    "rotation",
    "center_x",
    "center_y",
    "fit_speed",
    "fit_direction",
    "r_sync",
    "r_plane",
    "r_radial",
    "r_rotating",
    "delta_bic",
    "center_offset",
    "turn",
    "off_array",
    "phase_span",
    "pgd",
    "order_parameter",
]


def classify_patterns(
    phase,
    *,
    gradient=None,
    sync_threshold=DEFAULT_THRESHOLDS["sync_threshold"],
    min_span=DEFAULT_THRESHOLDS["min_span"],
    f_threshold=DEFAULT_THRESHOLDS["f_threshold"],
    min_fit=DEFAULT_THRESHOLDS["min_fit"],
    min_delta_bic=DEFAULT_THRESHOLDS["min_delta_bic"],
    curved_gain=DEFAULT_THRESHOLDS["curved_gain"],
    hull_margin=DEFAULT_THRESHOLDS["hull_margin"],
    min_turn=DEFAULT_THRESHOLDS["min_turn"],
    min_order=DEFAULT_THRESHOLDS["min_order"],
    veto_fit=DEFAULT_THRESHOLDS["veto_fit"],
    flow=True,
    max_sites=2048,
    frames=None,
):
    """Classify the wave pattern of every frame.

    Parameters
    ----------
    phase : xarray.DataArray
        Phase in radians, dims ``("time", "y", "x")`` or ``("time", "channel")``
        (e.g. from ``compute_phase``); dead (all-NaN) sites are ignored.
    gradient : xarray.Dataset | None
        ``compute_phase_gradient(phase)`` (``dx``, ``dy``); when None a local
        least-squares gradient of wrapped differences to neighbouring sites is used.
    sync_threshold : float
        Minimum phase concentration (resultant length over sites, 0..1) of a
        synchronous frame. Default 0.85.
    min_span : float
        A frame whose fitted plane spans fewer radians than this across the array
        (``|k|`` times the extent along ``k``) counts as synchronous when its phases are
        concentrated. Default 0.25 rad (14 deg).
    f_threshold : float
        F statistic (plane against constant phase, residual circular variances, 2 and
        n-3 degrees of freedom) below which a concentrated frame counts as synchronous
        whatever its span. Default 10.
    min_fit : float
        Minimum resultant length of the residuals of the winning plane, target or
        rotating fit; below it the frame is ``"other"``. Default 0.5.
    min_delta_bic : float
        A target or rotating fit wins over the plane only when its Bayesian information
        criterion is lower by at least this much (:func:`delta_bic`: residuals taken as
        wrapped normal, the plane counted with 3 parameters, the target and the
        rotating wave with 4). Default 10 ("very strong" evidence, Kass & Raftery 1995).
    curved_gain : float
        ... and only when its residual circular variance is at most this fraction of the
        plane's. The information criterion takes the sites' residuals as independent;
        on recordings they are smooth across the array and the criterion alone would
        let a slightly curved plane wave pass for a rotation. Default 0.75.
    hull_margin : float
        Sources and centres must lie inside the convex hull of the sites or at most this
        many site spacings outside it (NeuroPatt and Cobrawap only look for critical
        points on the array). Default 0.5.
    min_turn : float
        Around a rotation's centre the observed phase must wind by at least this
        fraction of a turn (sector-averaged phases walked around the centre; a closed
        loop, i.e. the winding number, when the sites surround it), and around a
        source the directions of travel (those of the sites seen from it) must spread
        over at least this fraction of a turn. A plane seen from a centre off the array
        turns by the small angle the array subtends there. Default 0.4.
    min_order : float
        With ``flow``, a frame is planar only if the order parameter of its optical
        flow, ``|sum v| / sum |v|``, reaches this. Default 0.5.
    flow : bool | "veto"
        Compute the Horn-Schunck optical flow of the phase (on the fitted sites, alpha
        0.5) and use its order parameter as above. False skips it (faster; the output's
        ``order_parameter`` is then NaN). ``"veto"`` computes it only for the frames the
        fits call planar, the only ones whose label it can change, and among those only
        for the planes fitted with a residual resultant below ``veto_fit``: faster,
        with ``order_parameter`` NaN on the other frames (what
        :func:`~neurowave.waves.analyze` uses).
    veto_fit : float
        With ``flow="veto"``, planes whose fit reaches this resultant length (0..1) are
        not checked against the flow: a plane that explains the phase map that well
        leaves no room for the sources, sinks and rotations the veto catches. Default
        0.9; 1 checks every planar frame.
    frames : slice | array of int | None
        Classify only these frames (positions along ``time``, e.g. ``slice(0, None,
        25)``; the temporal derivative still uses their neighbours); the output is over
        those frames. Patterns change no faster than the relative phases between sites,
        i.e. than the band allows: :func:`~neurowave.waves.analyze` classifies one frame
        per cycle of the band's upper edge, and more where the pattern changes.
    max_sites : int | None
        Arrays with more valid sites (e.g. widefield pixels) are classified on a regular
        sub-lattice of about this many sites (None: all sites); the fits need no more.

    Returns
    -------
    patterns : xarray.Dataset over ``time``
        ``pattern`` (str, one of :data:`PATTERNS`), ``rotation`` (+1 counter-clockwise,
        -1 clockwise, 0 not rotating), ``center_x``, ``center_y`` (source or centre of
        radial and rotating frames, NaN otherwise, space units), ``fit_speed`` (speed
        from the fit that matches the pattern: ``|omega| / |k|`` for planar,
        ``|omega| / |slope|`` for radial, ``|omega|`` times the median distance from the
        centre for rotating frames; m/s or cells/step; NaN for synchronous and other
        frames), ``fit_direction`` (planar frames, degrees), ``r_sync``,
        ``r_plane``, ``r_radial``, ``r_rotating`` (goodness of each model, 0..1),
        ``delta_bic`` (the better curved fit's BIC gain over the plane),
        ``center_offset`` (distance of the better curved fit's centre outside the
        hull, site spacings, negative inside; NaN where no curved fit passed the first
        two tests) and ``turn`` (its winding or spread, turns), ``off_array`` (True
        where a curved fit beat the plane but its centre was off the array or the phase
        did not turn around it), ``phase_span`` (rad), ``pgd`` and
        ``order_parameter`` (of the optical flow).
        ``attrs`` echo the thresholds and the ``criterion`` and give the ``layout``:
        ``"2-D"``, or ``"collinear"`` when the sites lie on one line (a strip, a depth
        probe: their spread across the main axis is under 0.75 site spacings), where
        only planar (along the line), synchronous and other frames are possible.

    Examples
    --------
    >>> import numpy as np, neurowave as nw
    >>> t = np.arange(100) / 1000.0
    >>> yy, xx = np.mgrid[0:10, 0:10] * 0.4
    >>> th = np.arctan2(yy - 1.9, xx - 1.7)
    >>> ph = np.angle(np.exp(1j * (2 * np.pi * 10 * t[:, None, None] + th)))
    >>> pats = classify_patterns(nw.make_grid(ph, sampling_rate=1000.0, spacing=0.4))
    >>> str(pats.pattern[0].item()), int(pats.rotation[0])
    ('rotating', -1)
    """
    sdims, pos, sr = check_phase(phase)
    th = _check_thresholds(
        dict(
            sync_threshold=sync_threshold,
            min_span=min_span,
            f_threshold=f_threshold,
            min_fit=min_fit,
            min_delta_bic=min_delta_bic,
            curved_gain=curved_gain,
            hull_margin=hull_margin,
            min_turn=min_turn,
            min_order=min_order,
            veto_fit=veto_fit,
        )
    )
    if flow not in (True, False, "veto"):
        raise NeurowaveError(f"`flow` must be True, False or 'veto', got {flow!r}.")
    valid = _valid_mask(phase, sdims, _check_max_sites(max_sites))
    if valid.sum() < 3:
        raise NeurowaveError(
            f"`phase` has {int(valid.sum())} valid site(s); patterns need at least 3. "
            "Check for dead channels."
        )
    geo = _cached(_Geometry, pos, valid)
    graph = _flow_graph(pos, valid) if flow else None
    phase, dphi, gradient = _select_frames(phase, gradient, frames)
    tu, su = units(phase)
    factor, sunit = speed_factor(tu, su)
    kern = _frame_kernel(len(sdims), valid, sr, geo, graph, flow, th, factor)
    ds = _to_dataset(_apply_kernel(kern, phase, dphi, gradient, sdims), th, su, sunit)
    ds.attrs["layout"] = "collinear" if geo.collinear else "2-D"
    ds.attrs["flow"] = "veto" if flow == "veto" else int(bool(flow))
    ds.attrs["max_sites"] = -1 if max_sites is None else int(max_sites)
    ds.attrs["n_sites_fitted"] = int(valid.sum())
    return ds


def _flow_graph(pos, valid):
    """The optical-flow stencil of the layout (built once per layout)."""
    from .flow import _FlowGraph

    return _cached(_FlowGraph, pos, valid, gradient_radius=2.5)


def _check_thresholds(th):
    """Validated thresholds (floats)."""
    th = {
        k: check_positive(v, k, allow_zero=k not in ("sync_threshold", "curved_gain"))
        for k, v in th.items()
    }
    for name in ("sync_threshold", "min_fit", "veto_fit"):
        if th[name] > 1:
            raise NeurowaveError(
                f"`{name}` is a resultant length and must lie in [0, 1], got {th[name]}."
            )
    if th["min_turn"] > 1:
        raise NeurowaveError(
            f"`min_turn` is a fraction of a turn and must lie in [0, 1], got {th['min_turn']}."
        )
    return th


def _select_frames(phase, gradient, frames):
    """(phase, temporal derivative, gradient) over the frames to classify."""
    if frames is None:
        return phase, temporal_derivative(phase), gradient
    nt = phase.sizes["time"]
    if isinstance(frames, slice):
        index = np.arange(nt)[frames]
    else:
        index = np.asarray(frames)
        if index.ndim != 1 or index.dtype.kind not in "iu":
            raise NeurowaveTypeError(
                "`frames` must be a slice or a 1-D array of integer positions "
                f"along time, got {type(frames).__name__}."
            )
        if index.size and (index.min() < 0 or index.max() >= nt):
            raise IndexError(f"`frames` holds positions outside the {nt} frames of `phase`.")
    dphi = _strided_derivative(phase, index)
    if gradient is not None and isinstance(gradient, xr.Dataset):
        gradient = gradient.isel(time=index)
    return phase.isel(time=index), dphi, gradient


def _apply_kernel(kern, phase, dphi, gradient, sdims):
    """``kern`` over the frames of ``phase`` (and of the gradient, if given)."""
    args = [phase, dphi]
    core = [list(sdims), list(sdims)]
    if gradient is not None:
        if not isinstance(gradient, xr.Dataset) or not {"dx", "dy"} <= set(gradient.data_vars):
            raise NeurowaveTypeError(
                "`gradient` must be the Dataset of compute_phase_gradient(phase) with `dx` "
                "and `dy`, or None."
            )
        args += [gradient["dx"].transpose(*phase.dims), gradient["dy"].transpose(*phase.dims)]
        core += [list(sdims), list(sdims)]
    return xr.apply_ufunc(
        kern,
        *args,
        input_core_dims=core,
        output_core_dims=[[] for _ in _OUT],
        dask="parallelized",
        output_dtypes=[int, int] + [float] * (len(_OUT) - 3) + [bool],
    )


def _frame_kernel(ns, valid, sr, geo, graph, flow, th, factor):
    """The NumPy kernel of :func:`classify_patterns` over blocks of frames."""

    def kern(ph, dp, *g):
        phi = flat(ph, ns)
        t = phi.shape[:-1]
        phi = phi.reshape(-1, phi.shape[-1])[:, valid]
        om = _omega(flat(dp, ns).reshape(len(phi), -1)[:, valid], sr)
        grad = None
        if g:
            grad = tuple(flat(a, ns).reshape(len(phi), -1)[:, valid] for a in g)
        order = None
        if graph is not None:
            from .flow import _flow_kernel

            dv = flat(dp, ns).reshape(len(phi), -1)[:, valid]

            def order(rows):
                # a relative residual of 1e-2 puts the order parameter within ~1e-5
                v = _flow_kernel(phi[rows], dv[rows], graph, 0.5, "horn-schunck", 1.0, 0, 1e-2, 500)
                with np.errstate(all="ignore"):
                    sv = np.nansum(v, axis=1)
                    return np.hypot(sv[:, 0], sv[:, 1]) / np.nansum(
                        np.hypot(v[..., 0], v[..., 1]), 1
                    )

            if flow != "veto":
                order = order(np.ones(len(phi), bool))
        res = _classify_kernel(phi, om, geo, grad, th, factor, order)
        return tuple(np.asarray(res[k]).reshape(t) for k in _OUT)

    return kern


def _to_dataset(out, th, su, sunit):
    """The output Dataset of :func:`classify_patterns` from the kernel's arrays."""
    ds = xr.Dataset({k: v for k, v in zip(_OUT, out, strict=True)})
    names = np.asarray(PATTERNS, dtype=object)
    ds["pattern"] = xr.apply_ufunc(
        lambda c: names[c], ds["code"], dask="parallelized", output_dtypes=[object]
    )
    ds = ds.drop_vars("code")[_ORDER]
    ds["center_x"].attrs["units"] = ds["center_y"].attrs["units"] = su
    ds["fit_speed"].attrs["units"] = sunit
    ds["fit_direction"].attrs["units"] = "deg"
    ds["phase_span"].attrs["units"] = "rad"
    ds["rotation"].attrs["description"] = "+1 counter-clockwise, -1 clockwise, 0 not rotating"
    ds["delta_bic"].attrs["long_name"] = "BIC of the plane minus that of the better curved fit"
    ds["center_offset"].attrs = {
        "units": "site spacings",
        "long_name": "distance of the curved fit's centre outside "
        "the convex hull of the sites (negative inside)",
    }
    ds["turn"].attrs = {
        "units": "turns",
        "long_name": "phase winding (rotating) or spread of travel directions (radial) around it",
    }
    ds["off_array"].attrs["long_name"] = (
        "a curved fit beat the plane but its centre was off "
        "the array or the phase did not turn around it"
    )
    ds.attrs.update(th)
    ds.attrs["criterion"] = CRITERION
    return ds


def compare_wave_definitions(frames, *, pgd_threshold=0.5, alpha=0.05, n_sites=None, tolerance=0.2):
    """How far the two definitions of a wave frame agree, and why they differ.

    neurowave has two definitions of a wave frame: the PGD detector's
    (:func:`~neurowave.waves.detect_wave_frames`: PGD at least a threshold and a
    surrogate test of shuffled sites, ``is_wave``) and the pattern classifier's (a
    frame :func:`classify_patterns` calls a moving pattern: planar, radial or
    rotating). They measure different things and may disagree: radial and rotating
    waves have low PGD by nature, and on a few sites shuffled maps keep a high PGD by
    chance so that the surrogate test cannot reject them. This puts the two side by
    side and, when their fractions differ by more than ``tolerance``, says which step
    of which definition parts them.

    Parameters
    ----------
    frames : xarray.Dataset
        Over ``time``: ``is_wave``, ``pattern``, ``pgd`` and ``p_value`` (e.g.
        :func:`~neurowave.waves.analyze`'s ``frames``); ``off_array`` is used if there.
    pgd_threshold, alpha : float
        The PGD detector's threshold and significance level.
    n_sites : int | None
        Valid sites, named in the note.
    tolerance : float
        Fractions of frames further apart than this get a ``note``.

    Returns
    -------
    dict
        ``pgd`` (wave fraction, PGD definition), ``patterns`` (fraction of moving
        patterns), ``agreement`` (fraction of frames on which both say the same),
        ``pgd_above_threshold``, ``surrogate_significant`` (None without surrogates),
        ``off_array`` (fraction of frames whose better curved fit was centred off the
        array; None if unknown) and ``note`` (str, or None when they agree).
    """
    from .events import WAVE_PATTERNS

    n = frames.sizes["time"]
    wave = np.asarray(frames["is_wave"].values, bool)
    moving = np.isin(np.asarray(frames["pattern"].values).astype(str), WAVE_PATTERNS)
    pgd = np.asarray(frames["pgd"].values, float)
    p = np.asarray(frames["p_value"].values, float)
    tested = bool(np.isfinite(p).any())
    high = pgd >= pgd_threshold
    sig = p <= alpha

    def frac(mask):
        return float(np.mean(mask)) if n else 0.0

    out = {
        "pgd": frac(wave),
        "patterns": frac(moving),
        "agreement": frac(wave == moving),
        "pgd_above_threshold": frac(high),
        "surrogate_significant": frac(sig) if tested else None,
        "off_array": (
            frac(np.asarray(frames["off_array"].values, bool)) if "off_array" in frames else None
        ),
        "tolerance": float(tolerance),
        "note": None,
    }
    if abs(out["pgd"] - out["patterns"]) <= tolerance or not n:
        return out
    pats = np.asarray(frames["pattern"].values).astype(str)
    sites = f"with {n_sites} sites, " if n_sites else ""
    if out["patterns"] > out["pgd"]:
        only = moving & ~wave
        low, unsig = only & ~high, only & high & ~sig
        curved = only & ~np.isin(pats, ("planar",))
        parts = []
        if unsig.any():
            parts.append(
                f"{frac(unsig):.0%} of the frames reach PGD >= {pgd_threshold:g} but "
                f"fail the surrogate test (median p {np.nanmedian(p[unsig]):.2g} > "
                f"{alpha:g}): {sites}shuffled maps keep a PGD that high by chance"
            )
        if low.any():
            parts.append(
                f"{frac(low):.0%} have PGD below {pgd_threshold:g}"
                + (
                    f" ({frac(curved & low):.0%} radial or rotating, low PGD by nature)"
                    if (curved & low).any()
                    else ""
                )
            )
        note = (
            f"moving patterns {out['patterns']:.0%} of frames but wave fraction "
            f"{out['pgd']:.0%} by PGD: " + "; ".join(parts)
        )
    else:
        only = wave & ~moving
        kinds = ", ".join(
            f"{frac(only & (pats == k)):.0%} {k}"
            for k in ("synchronous", "other")
            if (only & (pats == k)).any()
        )
        note = (
            f"wave fraction {out['pgd']:.0%} by PGD but moving patterns "
            f"{out['patterns']:.0%}: the pattern fits call {kinds} of the frames that pass "
            "the PGD test (no plane, target or rotation fits them, or their flow is "
            "disordered)"
        )
    out["note"] = note
    return out
