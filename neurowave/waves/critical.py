"""Critical points of velocity fields: sources, sinks, spirals and saddles, and their tracks.

The valid sites are triangulated (Delaunay; triangles with an edge longer than
``max_edge`` grid spacings are left out, so dead sites and concave outlines do not
create long thin triangles). In every frame and triangle the winding number of the
velocity vectors around the triangle (the sum of the wrapped angle steps over
``2 pi``) flags a zero of the field inside it (Poincare index +1 for sources, sinks and
spirals, -1 for saddles). The field is linear on the triangle, so its Jacobian ``J``
follows from the three vertices and the zero lies at ``p0 - J^-1 v0`` (for sources,
sinks and spirals then refined to the meeting point of the flow lines of the nearest
sites). ``J`` classifies the point, as in NeuroPatt (Townsend & Gong 2018):

* ``det J < 0``: saddle;
* ``det J > 0``, ``trace^2 < 4 det`` (complex eigenvalues) and rotation dominating
  divergence (``|curl| > |trace|``; an isotropic source has ``trace^2 = 4 det``, so
  the eigenvalue test alone would flip noisy sources into spirals): spiral,
  counter-clockwise (``spiral_ccw``) when the curl ``J[1,0] - J[0,1]`` is positive,
  else ``spiral_cw``;
* otherwise a node: ``source`` when ``trace > 0``, ``sink`` when ``trace < 0``.

Sources and sinks of shallow target waves are pulled toward the array's centre by
strong smoothing; for locating critical points compute the flow with a light
smoothness, e.g. ``compute_optical_flow(phase, alpha=0.1)`` (at 10 dB SNR on a Utah
array this locates them within one grid spacing).

:func:`track_critical_points` links points of the same kind across frames
(displacement at most ``max_displacement``, gaps up to ``max_gap``) and keeps tracks
lasting at least ``min_duration``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import NeurowaveTypeError, check_positive, validate_type
from ..grid import grid_spacing, site_positions

__all__ = ["CRITICAL_KINDS", "detect_critical_points", "track_critical_points"]

CRITICAL_KINDS = ("source", "sink", "spiral_ccw", "spiral_cw", "saddle")

_COLUMNS = ["time", "frame", "x", "y", "kind", "winding", "det", "trace", "curl"]


def _hull_distance(points, pos):
    """Distance of each point to the outline (convex hull) of ``pos``."""
    from scipy.spatial import ConvexHull

    hull = ConvexHull(pos)
    out = np.full(len(points), np.inf)
    for a, b in hull.simplices:
        seg = pos[b] - pos[a]
        l2 = float(seg @ seg)
        u = np.clip(((points - pos[a]) @ seg) / l2, 0, 1) if l2 > 0 else np.zeros(len(points))
        out = np.minimum(out, np.hypot(*(points - (pos[a] + u[:, None] * seg)).T))
    return out


def _triangles(pos, spacing, max_edge):
    from scipy.spatial import Delaunay

    if len(pos) < 3:
        return np.zeros((0, 3), int)
    dl = Delaunay(pos)
    tri = dl.simplices
    p = pos[tri]
    edges = np.stack(
        [
            np.hypot(*(p[:, 1] - p[:, 0]).T),
            np.hypot(*(p[:, 2] - p[:, 1]).T),
            np.hypot(*(p[:, 0] - p[:, 2]).T),
        ],
        -1,
    )
    area = 0.5 * np.abs(
        (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1])
        - (p[:, 2, 0] - p[:, 0, 0]) * (p[:, 1, 1] - p[:, 0, 1])
    )
    keep = (edges.max(-1) <= max_edge * spacing * (1 + 1e-9)) & (area > 1e-9 * spacing**2)
    return tri[keep]


def _refine(vx, vy, pos, t_idx, zero, kind, spacing, k):
    """Move each source, sink or spiral to the least-squares meeting point of the lines
    through its ``k`` nearest sites along (sources, sinks) or across (spirals) the
    velocity vectors; accepted when it moves less than one spacing.

    A radial field of constant speed is not linear, so the zero of its linear
    interpolation can sit anywhere in the triangle; the meeting point of the flow
    lines is exact for radial and for rotational fields.
    """
    from scipy.spatial import cKDTree

    tree = cKDTree(pos)
    k = min(int(k), len(pos))
    _, nb = tree.query(zero, k=k)
    u = np.stack([vx[t_idx[:, None], nb], vy[t_idx[:, None], nb]], -1)  # (K, k, 2)
    norm = np.hypot(u[..., 0], u[..., 1])
    good = np.isfinite(norm) & (norm > 0)
    u = np.where(good[..., None], u / np.where(good, norm, 1)[..., None], 0.0)
    spiral = np.char.startswith(kind.astype(str), "spiral")
    # normal of each line: across v for sources/sinks, along v for spirals
    n = np.where(spiral[:, None, None], u, np.stack([-u[..., 1], u[..., 0]], -1))
    m = np.einsum("kni,knj->kij", n, n)
    proj = (n * pos[nb]).sum(-1)
    rhs = (n * proj[..., None]).sum(1)
    ok = np.abs(np.linalg.det(m)) > 1e-6
    c = np.linalg.solve(np.where(ok[:, None, None], m, np.eye(2)), rhs[..., None])[..., 0]
    move = np.hypot(*(c - zero).T)
    accept = ok & (move <= spacing) & (kind != "saddle")
    return np.where(accept[:, None], c, zero)


def _points_kernel(vx, vy, pos, tri, spacing=1.0, refine=12):
    """vx, vy (T, n) -> list of arrays for the critical points found."""
    ang = np.arctan2(vy, vx)[:, tri]  # (T, M, 3)
    d = np.angle(np.exp(1j * (np.roll(ang, -1, axis=-1) - ang)))
    wind = np.rint(d.sum(-1) / (2 * np.pi)).astype(int)  # (T, M)
    wind = np.where(np.all(np.isfinite(ang), -1), wind, 0)
    t_idx, m_idx = np.nonzero(wind)
    if len(t_idx) == 0:
        return None
    tr = tri[m_idx]
    p = pos[tr]  # (K, 3, 2)
    v = np.stack([vx[t_idx[:, None], tr], vy[t_idx[:, None], tr]], -1)  # (K, 3, 2)
    dp = np.stack([p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]], -1)  # columns (K, 2, 2)
    dv = np.stack([v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]], -1)
    jac = dv @ np.linalg.inv(dp)
    det = np.linalg.det(jac)
    ok = np.abs(det) > 0
    jinv = np.linalg.inv(np.where(ok[:, None, None], jac, np.eye(2)))
    zero = p[:, 0] - (jinv @ v[:, 0][..., None])[..., 0]
    # the zero must lie in the triangle (it does up to rounding when the winding is 1)
    bary = np.linalg.solve(dp, (zero - p[:, 0])[..., None])[..., 0]
    inside = (bary >= -1e-6).all(-1) & (bary.sum(-1) <= 1 + 1e-6)
    centroid = p.mean(1)
    zero = np.where((ok & inside)[:, None], zero, centroid)
    trace = np.trace(jac, axis1=1, axis2=2)
    curl = jac[:, 1, 0] - jac[:, 0, 1]
    w = wind[t_idx, m_idx]
    kind = np.where(
        (det < 0) | (w < 0),
        "saddle",
        np.where(
            (trace**2 < 4 * det) & (np.abs(curl) > np.abs(trace)),
            np.where(curl > 0, "spiral_ccw", "spiral_cw"),
            np.where(trace > 0, "source", "sink"),
        ),
    )
    if refine > 0:
        zero = _refine(vx, vy, pos, t_idx, zero, kind, spacing, refine)
    return t_idx, zero, kind, w, det, trace, curl


def detect_critical_points(flow, *, max_edge=2.0, refine=12, border=0.75):
    """Sources, sinks, spirals and saddles of a velocity field, frame by frame.

    Parameters
    ----------
    flow : xarray.Dataset
        Output of :func:`~neurowave.waves.compute_optical_flow` (``vx``, ``vy`` with
        dims ``("time", "y", "x")`` or ``("time", "channel")``).
    max_edge : float
        Longest triangle edge, in grid spacings (median nearest-neighbour distance).
        The default 2.0 keeps the two triangles of each square cell of a grid and the
        triangles of jittered layouts, and bridges single dead sites.
    refine : int
        Sites whose flow lines refine the position of sources, sinks and spirals
        (their least-squares meeting point; 0 keeps the zero of the triangle's linear
        interpolation).
    border : float
        Points closer than this many grid spacings to the array's outline (convex hull
        of the valid sites) are left out: boundary effects of the flow create spurious
        saddles there. 0 keeps them.

    Returns
    -------
    points : pandas.DataFrame
        One row per critical point: ``time``, ``frame`` (index), ``x``, ``y`` (space
        units), ``kind`` (one of :data:`CRITICAL_KINDS`), ``winding`` (+1 or -1),
        ``det``, ``trace`` and ``curl`` of the Jacobian (in the flow's speed units per
        space unit). ``attrs`` hold ``spacing`` and the time step.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> yy, xx = np.mgrid[0:7, 0:7] - 3.2
    >>> fl = xr.Dataset({"vx": (("time", "y", "x"), -yy[None]), "vy": (("time", "y", "x"), xx[None])},
    ...                 coords={"time": [0.0], "y": np.arange(7.0), "x": np.arange(7.0)})
    >>> pts = detect_critical_points(fl)
    >>> pts.kind.tolist(), round(float(pts.x[0]), 2), round(float(pts.y[0]), 2)
    (['spiral_ccw'], 3.2, 3.2)
    """
    if not isinstance(flow, xr.Dataset) or not {"vx", "vy"} <= set(flow.data_vars):
        raise NeurowaveTypeError(
            "`flow` must be the Dataset of compute_optical_flow(phase) with `vx` and `vy`."
        )
    max_edge = check_positive(max_edge, "max_edge")
    validate_type(refine, "int", "refine")
    vx = flow["vx"]
    pos = site_positions(vx)
    nt = vx.sizes["time"]
    vxa = np.asarray(vx.values, float).reshape(nt, -1)
    vya = np.asarray(flow["vy"].transpose(*vx.dims).values, float).reshape(nt, -1)
    valid = np.isfinite(vxa).any(0) & np.isfinite(vya).any(0)
    spacing = grid_spacing(pos[valid])
    vpos = pos[valid]
    tri = _triangles(vpos, spacing, max_edge)
    border = check_positive(border, "border", allow_zero=True)
    t = np.asarray(vx["time"].values, float) if "time" in vx.coords else np.arange(nt, dtype=float)
    dt = float(np.median(np.diff(t))) if nt > 1 else 1.0
    rows = []
    chunk = max(1, 200000 // max(len(tri), 1))
    for a in range(0, nt, chunk):
        res = _points_kernel(
            vxa[a : a + chunk][:, valid], vya[a : a + chunk][:, valid], vpos, tri, spacing, refine
        )
        if res is None:
            continue
        ti, zero, kind, w, det, trace, curl = res
        if border > 0:
            keep = _hull_distance(zero, vpos) >= border * spacing
            ti, zero, kind, w, det, trace, curl = (
                v[keep] for v in (ti, zero, kind, w, det, trace, curl)
            )
        ti = ti + a
        rows.append(
            pd.DataFrame(
                {
                    "time": t[ti],
                    "frame": ti,
                    "x": zero[:, 0],
                    "y": zero[:, 1],
                    "kind": kind,
                    "winding": w,
                    "det": det,
                    "trace": trace,
                    "curl": curl,
                }
            )
        )
    pts = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=_COLUMNS)
    pts = pts[_COLUMNS]
    pts.attrs.update(
        spacing=float(spacing),
        dt=dt,
        max_edge=float(max_edge),
        refine=int(refine),
        border=float(border),
    )
    return pts


def track_critical_points(points, *, max_displacement=None, min_duration=None, max_gap=None):
    """Link critical points of the same kind across frames into tracks.

    Parameters
    ----------
    points : pandas.DataFrame
        Output of :func:`detect_critical_points`.
    max_displacement : float | None
        Largest move between linked points, in space units per frame step (default one
        grid spacing).
    min_duration : float | None
        Shortest kept track, in time units (default 10 frames).
    max_gap : float | None
        Longest gap a track may bridge, in time units (default 2 frames).

    Returns
    -------
    tracks : pandas.DataFrame
        The points of the kept tracks with a ``track`` column, and ``attrs["tracks"]``:
        a DataFrame with one row per track (``track``, ``kind``, ``start``, ``end``,
        ``duration``, ``n_points``, ``x``, ``y`` (median position)).

    Examples
    --------
    >>> import pandas as pd
    >>> pts = pd.DataFrame({"time": [0.0, 1.0, 2.0, 3.0], "frame": [0, 1, 2, 3],
    ...                     "x": [0.0, 0.1, 0.2, 5.0], "y": [0.0] * 4, "kind": ["source"] * 4})
    >>> pts.attrs.update(spacing=1.0, dt=1.0)
    >>> tr = track_critical_points(pts, min_duration=3)
    >>> tr.track.tolist(), float(tr.attrs["tracks"].duration[0])
    ([0, 0, 0], 3.0)
    """
    from scipy.optimize import linear_sum_assignment

    if not isinstance(points, pd.DataFrame) or not {"frame", "x", "y", "kind"} <= set(
        points.columns
    ):
        raise NeurowaveTypeError("`points` must be the DataFrame of detect_critical_points(flow).")
    spacing = float(points.attrs.get("spacing", 1.0))
    dt = float(points.attrs.get("dt", 1.0))
    max_displacement = (
        spacing
        if max_displacement is None
        else check_positive(max_displacement, "max_displacement")
    )
    min_duration = (
        10 * dt
        if min_duration is None
        else check_positive(min_duration, "min_duration", allow_zero=True)
    )
    max_gap = 2 * dt if max_gap is None else check_positive(max_gap, "max_gap", allow_zero=True)
    gap_frames = int(round(max_gap / dt)) if dt > 0 else 0
    track = np.full(len(points), -1)
    next_id = 0
    frames = points["frame"].to_numpy()
    xs = points["x"].to_numpy(float)
    ys = points["y"].to_numpy(float)
    kinds = points["kind"].to_numpy().astype(str)
    for kind in np.unique(kinds):
        idx_kind = np.flatnonzero(kinds == kind)
        active = {}  # track id -> (last frame, x, y)
        for f in np.unique(frames[idx_kind]):
            cur = idx_kind[frames[idx_kind] == f]
            ids = [k for k, (lf, _, _) in active.items() if f - lf <= gap_frames + 1]
            if ids and len(cur):
                last = np.array([[active[k][1], active[k][2]] for k in ids])
                dist = np.hypot(
                    xs[cur][:, None] - last[None, :, 0], ys[cur][:, None] - last[None, :, 1]
                )
                steps = np.array([f - active[k][0] for k in ids], float)
                allowed = dist <= max_displacement * steps[None, :] + 1e-12
                cost = np.where(allowed, dist, 1e9)
                r, c = linear_sum_assignment(cost)
                for i, j in zip(r, c, strict=True):
                    if allowed[i, j]:
                        track[cur[i]] = ids[j]
            for i in cur:
                if track[i] < 0:
                    track[i] = next_id
                    next_id += 1
                active[track[i]] = (f, xs[i], ys[i])
            active = {k: v for k, v in active.items() if f - v[0] <= gap_frames + 1}
    out = points.copy()
    out["track"] = track
    rows = []
    for k in np.unique(track):
        sel = out[out.track == k]
        start, end = float(sel.time.min()), float(sel.time.max())
        dur = end - start + dt
        if dur + 1e-12 < min_duration:
            continue
        rows.append(
            dict(
                track=int(k),
                kind=sel.kind.iloc[0],
                start=start,
                end=end,
                duration=dur,
                n_points=len(sel),
                x=float(sel.x.median()),
                y=float(sel.y.median()),
            )
        )
    tracks = pd.DataFrame(
        rows, columns=["track", "kind", "start", "end", "duration", "n_points", "x", "y"]
    )
    keep = out.track.isin(tracks.track)
    out = out[keep].reset_index(drop=True)
    # renumber tracks 0..n-1
    ren = {old: new for new, old in enumerate(tracks.track)}
    out["track"] = out.track.map(ren).astype(int)
    tracks["track"] = tracks.track.map(ren).astype(int)
    out.attrs.update(points.attrs)
    out.attrs.update(
        max_displacement=max_displacement, min_duration=min_duration, max_gap=max_gap, tracks=tracks
    )
    return out
