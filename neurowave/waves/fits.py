"""Pattern-specific fits of phase maps: plane, target (radial) and rotating waves.

Each frame's phase map is fitted by circular regression (maximising the resultant
length of the residual phase, Gauss-Newton on wrapped residuals, started from the
local phase gradient), never by a grid search over directions and speeds:

* plane wave ``phi = k . p + phi0`` (2-D circular-linear regression of phase on
  position; cf. Zhang et al. 2018, Kempter et al. 2012 for the 1-D case);
* target wave ``phi = a |p - c| + phi0`` (phase against distance from a source ``c``;
  ``a < 0`` for outward travel when the frequency is positive);
* rotating wave ``phi = s * angle(p - c) + phi0``, ``s = +-1`` (phase against angle
  around a centre ``c``; ``s < 0`` is counter-clockwise for a positive frequency).

Goodness of fit is the resultant length ``R`` of the residuals (1 = perfect fit) and the
circular-circular correlation ``rho`` between observed and fitted phase; the p-value
compares ``R`` with fits to spatially shuffled phase maps. Speeds follow one convention:
``|dphi/dt| / |grad phi|`` in m/s for recordings (mm, s) and cells/step for models.
"""

from __future__ import annotations

import contextlib

import numpy as np
import xarray as xr

from .._validate import NeurowaveError, validate_type
from ..grid import site_positions
from ._est_common import (
    check_phase,
    flat,
    local_gradient,
    neighbour_operator,
    temporal_derivative,
)
from ._kernels import sites_are_collinear
from ._xr import speed_factor, units

__all__ = ["fit_plane", "fit_radial", "fit_rotating", "fit_pattern_speeds"]


# --------------------------------------------------------------------------- kernels
#
# The fits run on many frames at once. Trigonometry runs in float32 (SIMD; phases are
# float32 to begin with), the small normal equations in float64, and frames go through
# in blocks of _FIT_BLOCK so that the temporaries stay in cache.

_F32 = np.float32
_TWO_PI32 = _F32(2 * np.pi)
_FIT_BLOCK = 256


def _wrap32(a):
    """Wrap float32 angles to [-pi, pi] (round to the nearest turn)."""
    return a - _TWO_PI32 * np.rint(a * _F32(1 / (2 * np.pi)))


def _blocks_of(n):
    for a in range(0, n, _FIT_BLOCK):
        yield slice(a, min(n, a + _FIT_BLOCK))


def _prep(phi):
    """(phase with NaN as 0, weights 0/1) as float32 (B, n)."""
    phi = np.asarray(phi)
    w = np.isfinite(phi)
    return np.where(w, phi, 0).astype(_F32), w.astype(_F32)


def _resultant32(ph, pred, w):
    """Resultant length and angle of ``w exp(i (ph - pred))`` over the last axis."""
    d = ph - pred
    c = np.cos(d)
    s = np.sin(d, out=d)
    c *= w
    s *= w
    sc = c.sum(-1).astype(np.float64)
    ss = s.sum(-1).astype(np.float64)
    return np.hypot(sc, ss) / np.maximum(w.sum(-1, dtype=np.float64), 1e-300), np.arctan2(ss, sc)


def _resultant(phi, pred, w):
    """Resultant length and angle of the residual phase ``phi - pred`` (weights ``w``)."""
    ph, w32 = _prep(phi)
    w32 = w32 * np.asarray(w, _F32)
    pred = np.broadcast_to(np.asarray(pred, _F32), ph.shape)
    r = np.empty(len(ph))
    ang = np.empty(len(ph))
    for b in _blocks_of(len(ph)):
        r[b], ang[b] = _resultant32(ph[b], pred[b], w32[b])
    return r, ang


def _rho(phi, pred, w):
    """Circular-circular correlation (Jammalamadaka & SenGupta) of phi and pred."""
    m = w > 0
    z1 = np.where(m, np.exp(1j * np.nan_to_num(phi)), 0).sum(-1)
    z2 = np.where(m, np.exp(1j * pred), 0).sum(-1)
    a = np.where(m, np.sin(np.nan_to_num(phi) - np.angle(z1)[..., None]), 0)
    b = np.where(m, np.sin(pred - np.angle(z2)[..., None]), 0)
    den = np.sqrt((a * a).sum(-1) * (b * b).sum(-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (a * b).sum(-1) / den, np.nan)


def _solve(m, rhs, damping):
    n = m.shape[-1]
    diag = np.einsum("...ii->...i", m)
    m = m + damping * (np.eye(n) * (diag[..., None, :] + 1e-12))
    bad = ~np.all(np.isfinite(m), axis=(-1, -2)) | ~np.all(np.isfinite(rhs), axis=-1)
    m = np.where(bad[..., None, None], np.eye(n), m)
    rhs = np.where(bad[..., None], 0.0, rhs)
    try:
        return np.linalg.solve(m, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.zeros_like(rhs)
        for idx in np.ndindex(m.shape[:-2]):
            with contextlib.suppress(np.linalg.LinAlgError):
                out[idx] = np.linalg.solve(m[idx], rhs[idx])
        return out


def _normal(w, res, cols):
    """Weighted normal equations of Gauss-Newton: ``sum_n w J_i J_j`` (B, p, p) and
    ``sum_n w res J_i`` (B, p), float64, from the Jacobian's columns (each (B, n) or
    broadcastable; None for a column of ones)."""
    p = len(cols)
    b = len(w)
    m = np.empty((b, p, p))
    rhs = np.empty((b, p))
    wr = w * res
    wc = [w if c is None else w * c for c in cols]
    for i in range(p):
        rhs[:, i] = wr.sum(-1) if cols[i] is None else _dot(wr, cols[i])
        for j in range(i, p):
            m[:, i, j] = m[:, j, i] = wc[i].sum(-1) if cols[j] is None else _dot(wc[i], cols[j])
    return m, rhs


def _dot(a, b):
    """Row-wise dot product of (B, n) arrays (b may broadcast)."""
    return np.einsum("ij,ij->i", a, np.broadcast_to(b, a.shape))


def _weights(phi):
    return np.isfinite(phi).astype(float)


def _plane_kernel(phi, pos, k0, n_iter=6, rho=True):
    """phi (B, n); k0 (B, 2) initial gradient. Returns k (B,2), phi0 (B,), R (B,), rho (B,)."""
    ph_all, w_all = _prep(phi)
    nb = len(ph_all)
    x = pos[:, 0].astype(_F32)
    y = pos[:, 1].astype(_F32)
    k = np.nan_to_num(np.asarray(k0, float)).copy()
    phi0 = np.empty(nb)
    r = np.empty(nb)
    a = np.column_stack([pos, np.ones(len(pos))])  # (n, 3)
    m_full = a.T @ a
    minv = np.linalg.inv(m_full + 1e-9 * (np.eye(3) * (np.diag(m_full)[None, :] + 1e-12)))
    for b in _blocks_of(nb):
        ph, w = ph_all[b], w_all[b]
        kb = k[b]
        full = bool(np.all(w == 1))  # then every frame has the same normal matrix
        for _ in range(n_iter):
            pred = kb[:, :1].astype(_F32) * x + kb[:, 1:].astype(_F32) * y
            _, p0 = _resultant32(ph, pred, w)
            res = _wrap32(ph - pred - p0[:, None].astype(_F32))
            if full:
                rhs = np.column_stack([res @ x, res @ y, res.sum(-1)]).astype(np.float64)
                step = rhs @ minv.T
            else:
                m, rhs = _normal(w, res, [x, y, None])
                step = _solve(m, rhs, 1e-9)
            kb = kb + step[:, :2]
        pred = kb[:, :1].astype(_F32) * x + kb[:, 1:].astype(_F32) * y
        r[b], phi0[b] = _resultant32(ph, pred, w)
        k[b] = kb
    out_rho = _rho(phi, k @ pos.T, _weights(phi)) if rho else np.full(nb, np.nan)
    return k, phi0, r, out_rho


def _line_center(pos, gx, gy, w, *, perpendicular, extent):
    """Least-squares meeting point of lines through each site along (or across) the gradient."""
    g = np.hypot(gx, gy)
    ok = (w > 0) & np.isfinite(g) & (g > 0)
    ux = np.where(ok, gx / np.where(ok, g, 1), 0)
    uy = np.where(ok, gy / np.where(ok, g, 1), 0)
    if perpendicular:  # rotating: the centre lies on the line through p across the gradient
        nx, ny = ux, uy
    else:  # radial: the centre lies on the line through p along the gradient
        nx, ny = -uy, ux
    wt = ok.astype(float)
    m = np.stack(
        [
            np.stack([(wt * nx * nx).sum(-1), (wt * nx * ny).sum(-1)], -1),
            np.stack([(wt * nx * ny).sum(-1), (wt * ny * ny).sum(-1)], -1),
        ],
        -2,
    )
    proj = nx * pos[:, 0] + ny * pos[:, 1]
    rhs = np.stack([(wt * nx * proj).sum(-1), (wt * ny * proj).sum(-1)], -1)
    c = _solve(m, rhs, 1e-6)
    lo = pos.min(0) - extent
    hi = pos.max(0) + extent
    mid = (pos.min(0) + pos.max(0)) / 2
    c = np.where(np.isfinite(c), c, mid)
    return np.clip(c, lo, hi)


def _radial_kernel(phi, pos, c0, gx, gy, spacing, n_iter=10, rho=True):
    """Fit phi = a |p - c| + phi0. Returns c (B,2), a (B,), phi0, R, rho."""
    ph_all, w_all = _prep(phi)
    nb = len(ph_all)
    x = pos[:, 0].astype(_F32)
    y = pos[:, 1].astype(_F32)
    c = np.asarray(c0, float).copy()
    a = np.empty(nb)
    phi0 = np.empty(nb)
    rr = np.empty(nb)
    floor = _F32(1e-6 * spacing)
    gx = np.asarray(gx)
    gy = np.asarray(gy)
    for b in _blocks_of(nb):
        ph, w = ph_all[b], w_all[b]
        cb = c[b]
        dx = x - cb[:, :1].astype(_F32)
        dy = y - cb[:, 1:].astype(_F32)
        rs = np.maximum(np.sqrt(dx * dx + dy * dy), floor)
        okg = (w > 0) & np.isfinite(gx[b]) & np.isfinite(gy[b])
        gr = (np.nan_to_num(gx[b]) * dx + np.nan_to_num(gy[b]) * dy) / rs
        ab = np.where(okg, gr, 0).sum(-1) / np.maximum(okg.sum(-1), 1)
        for _ in range(n_iter):
            dx = x - cb[:, :1].astype(_F32)
            dy = y - cb[:, 1:].astype(_F32)
            r = np.sqrt(dx * dx + dy * dy)
            rs = np.maximum(r, floor)
            a32 = ab[:, None].astype(_F32)
            pred = a32 * r
            _, p0 = _resultant32(ph, pred, w)
            res = _wrap32(ph - pred - p0[:, None].astype(_F32))
            q = -a32 / rs
            m, rhs = _normal(w, res, [q * dx, q * dy, r, None])
            step = _solve(m, rhs, 1e-3)
            dc = step[:, :2]
            norm = np.hypot(dc[:, 0], dc[:, 1])
            scale = np.minimum(1.0, 2.0 * spacing / np.maximum(norm, 1e-300))
            cb = cb + dc * scale[:, None]
            ab = ab + step[:, 2]
        dx = x - cb[:, :1].astype(_F32)
        dy = y - cb[:, 1:].astype(_F32)
        pred = ab[:, None].astype(_F32) * np.sqrt(dx * dx + dy * dy)
        rr[b], phi0[b] = _resultant32(ph, pred, w)
        c[b], a[b] = cb, ab
    out_rho = np.full(nb, np.nan)
    if rho:
        pred = a[:, None] * np.hypot(pos[:, 0] - c[:, :1], pos[:, 1] - c[:, 1:])
        out_rho = _rho(phi, pred, _weights(phi))
    return c, a, phi0, rr, out_rho


def _rotating_kernel(phi, pos, c0, spacing, n_iter=10, rho=True):
    """Fit phi = s angle(p - c) + phi0, s = +1 or -1. Returns c (B,2), s (B,), phi0, R, rho.

    The sense ``s`` of each frame is the one that fits better at the starting centre
    (the phase winds one way around a true centre; the other sense fits nothing), and
    only that one is refined.
    """
    ph_all, w_all = _prep(phi)
    nb = len(ph_all)
    x = pos[:, 0].astype(_F32)
    y = pos[:, 1].astype(_F32)
    c = np.asarray(c0, float).copy()
    sgn = np.ones(nb)
    phi0 = np.empty(nb)
    rr = np.empty(nb)
    floor = _F32((1e-3 * spacing) ** 2)
    isp2 = _F32(1.0 / spacing**2)
    for b in _blocks_of(nb):
        ph, w0 = ph_all[b], w_all[b]
        cb = c[b]
        ang = np.arctan2(y - cb[:, 1:].astype(_F32), x - cb[:, :1].astype(_F32))
        r_pos, _ = _resultant32(ph, ang, w0)
        r_neg, _ = _resultant32(ph, -ang, w0)
        sb = np.where(r_neg > r_pos, -1.0, 1.0)
        s32 = sb[:, None].astype(_F32)
        for _ in range(n_iter):
            dx = x - cb[:, :1].astype(_F32)
            dy = y - cb[:, 1:].astype(_F32)
            r2 = np.maximum(dx * dx + dy * dy, floor)
            # sites right at the singularity carry no reliable phase
            w = w0 * np.minimum(_F32(1.0), r2 * isp2)
            pred = s32 * np.arctan2(dy, dx)
            _, p0 = _resultant32(ph, pred, w)
            res = _wrap32(ph - pred - p0[:, None].astype(_F32))
            q = s32 / r2
            m, rhs = _normal(w, res, [q * dy, -q * dx, None])
            step = _solve(m, rhs, 1e-3)
            dc = step[:, :2]
            norm = np.hypot(dc[:, 0], dc[:, 1])
            scale = np.minimum(1.0, spacing / np.maximum(norm, 1e-300))
            cb = cb + dc * scale[:, None]
        dx = x - cb[:, :1].astype(_F32)
        dy = y - cb[:, 1:].astype(_F32)
        rr[b], phi0[b] = _resultant32(ph, s32 * np.arctan2(dy, dx), w0)
        c[b], sgn[b] = cb, sb
    out_rho = np.full(nb, np.nan)
    if rho:
        pred = sgn[:, None] * np.arctan2(pos[:, 1] - c[:, 1:], pos[:, 0] - c[:, :1])
        out_rho = _rho(phi, pred, _weights(phi))
    return c, sgn, phi0, rr, out_rho


class _Geometry:
    """Positions, neighbour operator and spacing of the valid sites of a phase grid."""

    def __init__(self, pos, valid):
        self.pos_all = np.asarray(pos, float)
        self.valid = np.asarray(valid, bool)
        self.pos = self.pos_all[self.valid]
        nbr, coef, ok, spacing = neighbour_operator(self.pos, np.ones(len(self.pos), bool))
        self.nbr, self.coef, self.ok, self.spacing = nbr, coef, ok, spacing
        lo, hi = self.pos.min(0), self.pos.max(0)
        self.lo, self.hi = lo, hi
        self.extent = float(np.hypot(*(hi - lo)))
        self.mid = (lo + hi) / 2
        self.collinear = sites_are_collinear(self.pos)
        self.hull = None  # vertices of the convex hull, counter-clockwise
        if not self.collinear and len(self.pos) >= 3:
            from scipy.spatial import ConvexHull, QhullError

            # degenerate layout: no curved pattern can be placed
            with contextlib.suppress(QhullError):
                self.hull = self.pos[ConvexHull(self.pos).vertices]

    def gradient(self, phi):
        return local_gradient(phi, self.nbr, self.coef, self.ok)

    def hull_distance(self, c):
        """Signed distance of points ``c`` (B, 2) from the convex hull of the sites, in
        site spacings: positive outside, negative inside (minus the distance to the
        nearest edge); +inf when the sites are collinear (no hull)."""
        c = np.asarray(c, float)
        if self.hull is None:
            return np.full(len(c), np.inf)
        a = self.hull
        e = np.roll(a, -1, axis=0) - a  # (E, 2) edges, counter-clockwise
        rel = c[:, None, :] - a[None]  # (B, E, 2)
        t = np.clip((rel * e).sum(-1) / np.maximum((e * e).sum(-1), 1e-300), 0.0, 1.0)
        d = np.hypot(*np.moveaxis(rel - t[..., None] * e, -1, 0)).min(-1)
        inside = np.all(e[:, 0] * rel[..., 1] - e[:, 1] * rel[..., 0] >= 0, axis=-1)
        with np.errstate(invalid="ignore"):
            return np.where(inside, -d, d) / self.spacing


def _turn_around(phi, pos, c, s, spacing, n_sectors=16):
    """How far the observed phase turns around centres ``c`` (B, 2), and how far the
    sites surround them.

    Sites closer than half a spacing to the centre are left out; the others are pooled
    in ``n_sectors`` sectors of angle around the centre (circular mean phase of each).
    Walking the occupied sectors in order of angle, the wrapped phase steps between
    neighbours add up to the turn of the phase; the step across the widest empty arc
    is included only when the sites surround the centre (no gap between the sites'
    angles reaches half a turn), so that the walk is a closed loop and the turn a whole
    number of turns (the winding number, as NeuroPatt and Cobrawap measure it around
    a critical point).

    Returns
    -------
    winding : (B,) the turn in turns, signed along the sense ``s`` (B,) of the
        rotating fit (``phi = s angle + phi0``): 1 for a rotation around an enclosed
        centre, about the sites' angular extent for a plane seen from a far centre.
    coverage : (B,) 1 minus the widest gap between the sites' angles, in turns.
    """
    phi = np.asarray(phi, float)
    b = len(phi)
    d = pos[None, :, :] - np.asarray(c, float)[:, None, :]
    ang = np.arctan2(d[..., 1], d[..., 0])
    use = np.isfinite(phi) & (np.hypot(d[..., 0], d[..., 1]) >= 0.5 * spacing)
    srt = np.sort(np.where(use, ang, np.nan), axis=-1)  # NaN last
    cnt = use.sum(-1)
    with np.errstate(invalid="ignore"):
        gaps = np.diff(srt, axis=-1)
    last = np.take_along_axis(srt, np.maximum(cnt - 1, 0)[:, None], -1)[:, 0]
    wrap_gap = srt[:, 0] + 2 * np.pi - last
    widest = np.fmax(np.nanmax(np.where(np.isfinite(gaps), gaps, -np.inf), -1), wrap_gap)
    coverage = np.where(cnt >= 2, 1.0 - widest / (2 * np.pi), 0.0)
    sec = np.clip(((ang + np.pi) / (2 * np.pi) * n_sectors).astype(int), 0, n_sectors - 1)
    z = np.zeros((b, n_sectors), complex)
    rows = np.broadcast_to(np.arange(b)[:, None], sec.shape)
    np.add.at(z, (rows[use], sec[use]), np.exp(1j * phi[use]))
    occ = np.abs(z) > 0
    winding = np.zeros(b)
    for i in np.flatnonzero(occ.sum(-1) >= 2):
        idx = np.flatnonzero(occ[i])
        ph = np.angle(z[i, idx])
        steps = np.angle(np.exp(1j * (np.roll(ph, -1) - ph)))  # last: the closing step
        span = np.diff(np.append(idx, idx[0] + n_sectors))
        j = int(np.argmax(span))  # the step across the widest empty arc
        total = steps.sum() if coverage[i] > 0.5 else steps.sum() - steps[j]
        winding[i] = s[i] * total / (2 * np.pi)
    return winding, coverage


def _fit_all(phi, geo, which=("plane", "radial", "rotating"), grad=None, rho=True):
    """Run the requested fits on phi (B, n_valid). Returns a dict of arrays.

    ``grad`` = (gx, gy) over the same sites replaces the local gradient when given;
    ``rho=False`` skips the circular correlations (NaN).
    """
    want_rho = rho
    gx, gy = geo.gradient(phi) if grad is None else grad
    w = _weights(phi)
    out = {}
    okg = np.isfinite(gx) & np.isfinite(gy)
    mgx = np.where(okg, gx, 0).sum(-1) / np.maximum(okg.sum(-1), 1)
    mgy = np.where(okg, gy, 0).sum(-1) / np.maximum(okg.sum(-1), 1)
    out["gx"], out["gy"] = gx, gy
    if "plane" in which:
        k, phi0, r, rho = _plane_kernel(phi, geo.pos, np.column_stack([mgx, mgy]), rho=want_rho)
        out["plane"] = dict(k=k, phi0=phi0, r=r, rho=rho)
    if "radial" in which:
        c0 = _line_center(geo.pos, gx, gy, w, perpendicular=False, extent=geo.extent)
        c, a, phi0, r, rho = _radial_kernel(phi, geo.pos, c0, gx, gy, geo.spacing, rho=want_rho)
        out["radial"] = dict(c=c, a=a, phi0=phi0, r=r, rho=rho)
    if "rotating" in which:
        c0 = _line_center(geo.pos, gx, gy, w, perpendicular=True, extent=geo.extent)
        c, s, phi0, r, rho = _rotating_kernel(phi, geo.pos, c0, geo.spacing, rho=want_rho)
        out["rotating"] = dict(c=c, s=s, phi0=phi0, r=r, rho=rho)
    return out


def _surrogate_p(phi, geo, which, r_obs, n_surrogates, seed):
    """p-value of each frame's R against fits to spatially shuffled phase maps."""
    if n_surrogates <= 0:
        return np.full(len(phi), np.nan)
    rng = np.random.default_rng(seed)
    b, n = phi.shape
    count = np.zeros(b)
    chunk = max(1, 20000 // max(b, 1))
    done = 0
    while done < n_surrogates:
        ns = min(chunk, n_surrogates - done)
        perm = np.argsort(rng.random((ns, b, n)), axis=-1)
        shuffled = np.take_along_axis(np.broadcast_to(phi, (ns, b, n)), perm, -1).reshape(ns * b, n)
        fit = _fit_all(shuffled, geo, (which,))
        rs = fit[which]["r"].reshape(ns, b)
        count += (rs >= r_obs[None, :] - 1e-12).sum(0)
        done += ns
    return (1.0 + count) / (1.0 + n_surrogates)


def _omega(dphi, sr):
    """Per-frame angular frequency (rad per time unit) from the temporal derivative."""
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(dphi, axis=-1) * sr


# --------------------------------------------------------------------------- public


def _prepare(phase):
    sdims, pos, sr = check_phase(phase)
    tu, su = units(phase)
    factor, sunit = speed_factor(tu, su)
    return sdims, pos, sr, factor, sunit, tu, su


def _valid_mask(phase, sdims, max_sites=None):
    """Valid sites from a cheap reduction over time (dead sites are NaN for all time).

    With ``max_sites``, large arrays are thinned to about that many sites on a regular
    sub-lattice (one site per square cell of side ``ceil(sqrt(n / max_sites))``
    spacings): the low-parameter fits need no more, and their cost grows with the sites.
    """
    v = phase.notnull().any("time")
    valid = np.asarray(v.values).ravel()
    if max_sites is not None and valid.sum() > max_sites:
        from scipy.spatial import cKDTree

        pos = site_positions(phase)
        vp = pos[valid]

        d, _ = cKDTree(vp).query(vp, k=2)
        spacing = float(np.median(d[:, 1]))
        step = int(np.ceil(np.sqrt(valid.sum() / max_sites)))
        cell = np.floor((pos - np.nanmin(vp, 0)) / (spacing * step) + 1e-9).astype(int)
        keep = np.zeros_like(valid)
        seen = set()
        for i in np.flatnonzero(valid):
            key = (cell[i, 0], cell[i, 1])
            if key not in seen:
                seen.add(key)
                keep[i] = True
        valid = keep
    return valid


def _check_max_sites(max_sites):
    if max_sites is None:
        return None
    validate_type(max_sites, "int", "max_sites")
    if max_sites < 16:
        raise NeurowaveError(
            f"`max_sites` must be at least 16 (or None for all sites), got {max_sites}."
        )
    return int(max_sites)


def _apply(phase, sdims, func, names, dphi=None):
    """apply_ufunc over frames: func(phi (T, *spatial), dphi) -> tuple of (T,) arrays."""
    args = [phase]
    core = [list(sdims)]
    if dphi is not None:
        args.append(dphi)
        core.append(list(sdims))
    res = xr.apply_ufunc(
        func,
        *args,
        input_core_dims=core,
        output_core_dims=[[] for _ in names],
        dask="parallelized",
        output_dtypes=[float] * len(names),
    )
    if len(names) == 1:
        res = (res,)
    return xr.Dataset({n: r for n, r in zip(names, res, strict=True)})


def _check_n(n_surrogates):
    validate_type(n_surrogates, "int", "n_surrogates")
    if n_surrogates < 0:
        raise NeurowaveError(
            f"`n_surrogates` must be >= 0, got {n_surrogates}. Pass 0 to skip p-values."
        )
    return int(n_surrogates)


def fit_plane(phase, *, n_surrogates=0, seed=0, max_sites=2048):
    """Fit a plane wave to every frame by 2-D circular-linear regression.

    Parameters
    ----------
    phase : xarray.DataArray
        Phase in radians, dims ``("time", "y", "x")`` or ``("time", "channel")``; NaN
        sites are ignored.
    n_surrogates : int
        Spatial shuffles per frame for the p-value of ``r`` (0 skips it).
    seed : int
        Seed of the shuffles.
    max_sites : int | None
        Larger arrays are fitted on a regular sub-lattice of about this many sites
        (None: all sites).

    Returns
    -------
    fit : xarray.Dataset over ``time``
        ``kx``, ``ky`` (rad per space unit), ``r`` (resultant length of the residuals,
        1 = perfect plane), ``rho`` (circular correlation of observed and fitted phase),
        ``speed`` (``|omega| / |k|``; m/s for recordings, cells/step for models),
        ``direction`` (degrees CCW from +x, of travel, -k for positive frequency) and
        ``p_value``.

    Examples
    --------
    >>> import numpy as np, neurowave as nw
    >>> t = np.arange(200) / 1000.0
    >>> x = np.arange(8) * 0.4
    >>> ph = np.angle(np.exp(1j * (2 * np.pi * 10 * t[:, None, None]
    ...                     - 2 * np.pi * 10 / 300.0 * x[None, :, None] + 0 * x[None, None, :])))
    >>> fit = fit_plane(nw.make_grid(ph, sampling_rate=1000.0, spacing=0.4))
    >>> round(float(fit.speed.median()), 3), round(float(fit.direction.median()))
    (0.3, 90)
    """
    n_surrogates = _check_n(n_surrogates)
    sdims, pos, sr, factor, sunit, _tu, su = _prepare(phase)
    valid = _valid_mask(phase, sdims, _check_max_sites(max_sites))
    geo = _Geometry(pos, valid)
    dphi = temporal_derivative(phase)

    def kern(ph, dp):
        phi = flat(ph, len(sdims))
        t = phi.shape[:-1]
        phi = phi.reshape(-1, phi.shape[-1])[:, valid]
        om = _omega(flat(dp, len(sdims)).reshape(len(phi), -1)[:, valid], sr)
        f = _fit_all(phi, geo, ("plane",))["plane"]
        kx, ky = f["k"][:, 0], f["k"][:, 1]
        kn = np.hypot(kx, ky)
        with np.errstate(all="ignore"):
            speed = np.abs(om) / kn * factor
        sgn = np.where(om < 0, -1.0, 1.0)
        direc = np.degrees(np.arctan2(-sgn * ky, -sgn * kx)) % 360.0
        p = _surrogate_p(phi, geo, "plane", f["r"], n_surrogates, seed)
        return tuple(v.reshape(t) for v in (kx, ky, f["r"], f["rho"], speed, direc, p))

    names = ["kx", "ky", "r", "rho", "speed", "direction", "p_value"]
    ds = _apply(phase, sdims, kern, names, dphi)
    ds["speed"].attrs["units"] = sunit
    ds["direction"].attrs["units"] = "deg"
    ds["kx"].attrs["units"] = ds["ky"].attrs["units"] = f"rad/{su}"
    ds.attrs["n_surrogates"] = n_surrogates
    return ds


def fit_radial(phase, *, n_surrogates=0, seed=0, max_sites=2048):
    """Fit a target (radial) wave to every frame: phase against distance from a source.

    The source ``(cx, cy)`` and the phase slope ``a`` are fitted jointly (Gauss-Newton
    from the meeting point of the local gradient lines).

    Parameters
    ----------
    phase : xarray.DataArray
        Phase in radians, dims ``("time", "y", "x")`` or ``("time", "channel")``.
    n_surrogates : int
        Spatial shuffles per frame for the p-value of ``r`` (0 skips it).
    seed : int
    max_sites : int | None
        Larger arrays are fitted on a regular sub-lattice of about this many sites
        (None: all sites).

    Returns
    -------
    fit : xarray.Dataset over ``time``
        ``cx``, ``cy`` (source, space units), ``slope`` (rad per space unit), ``r``,
        ``rho`` (circular correlation of phase and fitted ``slope * distance``), ``speed``
        (``|omega| / |slope|``), ``sense`` (+1 outward, -1 inward) and ``p_value``.

    Examples
    --------
    >>> import numpy as np, neurowave as nw
    >>> t = np.arange(100) / 1000.0
    >>> yy, xx = np.mgrid[0:10, 0:10] * 0.4
    >>> r = np.hypot(xx - 1.8, yy - 2.0)
    >>> ph = np.angle(np.exp(1j * (2 * np.pi * 10 * t[:, None, None] - 2 * np.pi * 10 / 200.0 * r)))
    >>> fit = fit_radial(nw.make_grid(ph, sampling_rate=1000.0, spacing=0.4))
    >>> round(float(fit.speed.median()), 2), int(fit.sense.median())
    (0.2, 1)
    """
    n_surrogates = _check_n(n_surrogates)
    sdims, pos, sr, factor, sunit, _tu, su = _prepare(phase)
    valid = _valid_mask(phase, sdims, _check_max_sites(max_sites))
    geo = _Geometry(pos, valid)
    dphi = temporal_derivative(phase)

    def kern(ph, dp):
        phi = flat(ph, len(sdims))
        t = phi.shape[:-1]
        phi = phi.reshape(-1, phi.shape[-1])[:, valid]
        om = _omega(flat(dp, len(sdims)).reshape(len(phi), -1)[:, valid], sr)
        f = _fit_all(phi, geo, ("radial",))["radial"]
        with np.errstate(all="ignore"):
            speed = np.abs(om) / np.abs(f["a"]) * factor
        sense = -np.sign(f["a"] * np.where(om < 0, -1.0, 1.0))
        p = _surrogate_p(phi, geo, "radial", f["r"], n_surrogates, seed)
        vals = (f["c"][:, 0], f["c"][:, 1], f["a"], f["r"], f["rho"], speed, sense, p)
        return tuple(v.reshape(t) for v in vals)

    names = ["cx", "cy", "slope", "r", "rho", "speed", "sense", "p_value"]
    ds = _apply(phase, sdims, kern, names, dphi)
    ds["speed"].attrs["units"] = sunit
    ds["cx"].attrs["units"] = ds["cy"].attrs["units"] = su
    ds.attrs["n_surrogates"] = n_surrogates
    return ds


def fit_rotating(phase, *, n_surrogates=0, seed=0, max_sites=2048):
    """Fit a rotating wave to every frame: phase against angle around a centre.

    Parameters
    ----------
    phase : xarray.DataArray
        Phase in radians, dims ``("time", "y", "x")`` or ``("time", "channel")``.
    n_surrogates : int
        Spatial shuffles per frame for the p-value of ``r`` (0 skips it).
    seed : int
    max_sites : int | None
        Larger arrays are fitted on a regular sub-lattice of about this many sites
        (None: all sites).

    Returns
    -------
    fit : xarray.Dataset over ``time``
        ``cx``, ``cy`` (centre), ``rotation`` (+1 counter-clockwise, -1 clockwise),
        ``r``, ``rho`` (circular correlation of phase and angle), ``angular_velocity``
        (rad per time unit), ``speed`` (``|omega| * median distance of the sites from the
        centre``: the linear speed there) and ``p_value``.

    Examples
    --------
    >>> import numpy as np, neurowave as nw
    >>> t = np.arange(100) / 1000.0
    >>> yy, xx = np.mgrid[0:10, 0:10] * 0.4
    >>> th = np.arctan2(yy - 1.9, xx - 1.7)
    >>> ph = np.angle(np.exp(1j * (2 * np.pi * 10 * t[:, None, None] - th)))
    >>> fit = fit_rotating(nw.make_grid(ph, sampling_rate=1000.0, spacing=0.4))
    >>> int(fit.rotation.median()), round(float(fit.cx.median()), 1)
    (1, 1.7)
    """
    n_surrogates = _check_n(n_surrogates)
    sdims, pos, sr, factor, sunit, tu, _su = _prepare(phase)
    valid = _valid_mask(phase, sdims, _check_max_sites(max_sites))
    geo = _Geometry(pos, valid)
    dphi = temporal_derivative(phase)

    def kern(ph, dp):
        phi = flat(ph, len(sdims))
        t = phi.shape[:-1]
        phi = phi.reshape(-1, phi.shape[-1])[:, valid]
        om = _omega(flat(dp, len(sdims)).reshape(len(phi), -1)[:, valid], sr)
        f = _fit_all(phi, geo, ("rotating",))["rotating"]
        c = f["c"]
        dist = np.hypot(geo.pos[:, 0] - c[:, :1], geo.pos[:, 1] - c[:, 1:])
        rmed = np.median(dist, axis=-1)
        speed = np.abs(om) * rmed * factor
        rot = -np.sign(f["s"] * np.where(om < 0, -1.0, 1.0))
        p = _surrogate_p(phi, geo, "rotating", f["r"], n_surrogates, seed)
        vals = (c[:, 0], c[:, 1], rot, f["r"], f["rho"], om, speed, p)
        return tuple(v.reshape(t) for v in vals)

    names = ["cx", "cy", "rotation", "r", "rho", "angular_velocity", "speed", "p_value"]
    ds = _apply(phase, sdims, kern, names, dphi)
    ds["speed"].attrs["units"] = sunit
    ds["angular_velocity"].attrs["units"] = f"rad/{tu}"
    ds.attrs["n_surrogates"] = n_surrogates
    return ds


def fit_pattern_speeds(phase, patterns, *, n_surrogates=0, seed=0):
    """Speed and direction of every frame from the fit that matches its pattern.

    Planar frames use :func:`fit_plane`, ``radial_out``/``radial_in`` frames
    :func:`fit_radial`, ``rotating`` frames :func:`fit_rotating`; synchronous and other
    frames get NaN. Radial and rotating waves have no single direction (NaN).

    Parameters
    ----------
    phase : xarray.DataArray
        Phase in radians.
    patterns : xarray.Dataset | xarray.DataArray
        Output of :func:`classify_patterns` (or its ``pattern`` variable).
    n_surrogates, seed
        As in :func:`fit_plane`; p-values are reported in ``p_value``.

    Returns
    -------
    ds : xarray.Dataset over ``time``
        ``speed`` (m/s or cells/step), ``direction`` (deg), ``fit_r``, ``p_value``.

    Examples
    --------
    >>> import numpy as np, neurowave as nw
    >>> t = np.arange(200) / 1000.0
    >>> x = np.arange(8) * 0.4
    >>> ph = np.angle(np.exp(1j * (2 * np.pi * 10 * t[:, None, None]
    ...                     - 2 * np.pi * 10 / 300.0 * x[None, None, :] + 0 * x[None, :, None])))
    >>> g = nw.make_grid(ph, sampling_rate=1000.0, spacing=0.4)
    >>> pats = xr.DataArray(np.array(["planar"] * 200, dtype=object), dims="time")
    >>> round(float(fit_pattern_speeds(g, pats).speed.median()), 3)
    0.3
    """
    pat = patterns["pattern"] if isinstance(patterns, xr.Dataset) else patterns
    pv = np.asarray(pat.values).astype(str)
    if pv.shape != (phase.sizes["time"],):
        raise NeurowaveError(
            f"`patterns` must hold one pattern per frame ({phase.sizes['time']}), got shape "
            f"{pv.shape}. Pass the output of classify_patterns(phase)."
        )
    nt = len(pv)
    speed = np.full(nt, np.nan)
    direc = np.full(nt, np.nan)
    fr = np.full(nt, np.nan)
    pval = np.full(nt, np.nan)
    groups = {
        "plane": np.flatnonzero(pv == "planar"),
        "radial": np.flatnonzero(np.isin(pv, ["radial_out", "radial_in"])),
        "rotating": np.flatnonzero(pv == "rotating"),
    }
    fitters = {"plane": fit_plane, "radial": fit_radial, "rotating": fit_rotating}
    for key, idx in groups.items():
        if len(idx) == 0:
            continue
        ds = fitters[key](phase, n_surrogates=0)
        ds = ds.isel(time=idx)
        speed[idx] = np.asarray(ds["speed"].values)
        fr[idx] = np.asarray(ds["r"].values)
        if key == "plane":
            direc[idx] = np.asarray(ds["direction"].values)
        if n_surrogates:
            sub = fitters[key](phase.isel(time=idx), n_surrogates=n_surrogates, seed=seed)
            pval[idx] = np.asarray(sub["p_value"].values)
    tu, su = units(phase)
    _, sunit = speed_factor(tu, su)
    out = xr.Dataset(
        {
            "speed": ("time", speed, {"units": sunit}),
            "direction": ("time", direc, {"units": "deg"}),
            "fit_r": ("time", fr),
            "p_value": ("time", pval),
        },
        coords={"time": phase["time"]},
    )
    return out
