"""Wave events: runs of wave frames, and Cobrawap's trigger-time route for slow waves.

* :func:`detect_wave_events` turns the per-frame output of ``analyze`` (``pattern``,
  ``is_wave``, ``speed``, ``direction``, ``pgd``) into events: runs of frames with the
  same wave pattern, short gaps bridged, short runs dropped.
* :func:`detect_trigger_waves` follows the Cobrawap pipeline for slow waves (Celotto et
  al. 2020; Gutzen et al. 2024): one trigger time per site and upward transition
  (a phase crossing or a threshold crossing), triggers grouped into waves by
  clustering in space-time, and each wave's time-lag map fitted by a plane
  (``t = t0 + s . p``, slowness ``s``) whose inverse gives speed and direction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import (
    NeurowaveError,
    NeurowaveTypeError,
    check_option,
    check_positive,
    validate_type,
)
from ..grid import _sampling_rate, grid_spacing
from ._xr import speed_factor, units
from .circular import mean_resultant, wrap

__all__ = ["WAVE_PATTERNS", "detect_wave_events", "detect_trigger_times", "detect_trigger_waves"]

#: Patterns that make a frame part of a wave event.
WAVE_PATTERNS = ("planar", "radial_out", "radial_in", "rotating")

_EVENT_COLUMNS = [
    "start",
    "end",
    "duration",
    "pattern",
    "speed",
    "direction",
    "pgd",
    "n_frames",
    "rotation",
    "speed_q25",
    "speed_q75",
    "direction_spread",
]


def _wave_runs(codes, names, is_ev, dt, max_gap):
    """[first, last, pattern] of each run of one wave pattern, runs of the same pattern
    at most ``max_gap`` apart joined."""
    # runs of identical wave labels (vectorised: long recordings have millions of frames)
    n = len(codes)
    runs = []
    if n:
        brk = np.flatnonzero(codes[1:] != codes[:-1]) + 1
        starts = np.concatenate([[0], brk])
        stops = np.concatenate([brk, [n]]) - 1
        for i, j in zip(starts[is_ev[starts]], stops[is_ev[starts]], strict=True):
            runs.append([int(i), int(j), str(names[codes[i]])])
    # bridge short gaps between runs of the same pattern
    merged = []
    for r in runs:
        if merged and merged[-1][2] == r[2]:
            gap = (r[0] - merged[-1][1] - 1) * dt
            if gap <= max_gap + 1e-12 * max(dt, 1):
                merged[-1][1] = r[1]
                continue
        merged.append(r)
    return merged


def detect_wave_events(frames, *, min_duration=None, max_gap=None, patterns=WAVE_PATTERNS):
    """Group consecutive wave frames into wave events.

    A frame belongs to an event when its ``pattern`` is one of ``patterns`` (without a
    ``pattern`` variable: when ``is_wave`` is true, pattern ``"planar"``). Runs of the
    same pattern separated by at most ``max_gap`` of other frames are joined; runs
    shorter than ``min_duration`` are dropped.

    Parameters
    ----------
    frames : xarray.Dataset
        Per-frame measures over ``time`` as produced by ``analyze`` (``.frames``): at
        least ``pattern`` or ``is_wave``; ``speed``, ``direction``, ``pgd``,
        ``rotation``, ``frequency`` and ``fit_speed`` are used when present. The speed
        of radial and rotating events comes from ``fit_speed`` (the pattern-specific
        fit of :func:`classify_patterns`, which ``analyze`` carries into its frames)
        when present, since a phase-gradient speed is meaningless for them.
    min_duration : float | None
        Shortest event, in the time units of ``frames`` (s or steps). Default: one
        period of the median ``frequency`` when present, else 5 samples.
    max_gap : float | None
        Longest gap bridged inside an event, in time units. Default: a quarter of that
        period, else 2 samples.
    patterns : sequence of str
        Patterns that count as waves.

    Returns
    -------
    events : pandas.DataFrame
        One row per event, columns ``start``, ``end`` (times of the first and last
        frame), ``duration`` (``end - start`` plus one sample), ``pattern``, ``speed``
        (median over the event's frames), ``direction`` (circular mean, degrees; NaN for
        radial and rotating events), ``pgd`` (mean), ``n_frames``, ``rotation``
        (+1/-1/0), ``speed_q25``, ``speed_q75`` and ``direction_spread`` (resultant
        length of the frame directions). ``attrs`` hold the thresholds and units.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> pat = np.array(["other"] * 10 + ["planar"] * 30 + ["other"] * 10, dtype=object)
    >>> fr = xr.Dataset({"pattern": ("time", pat), "speed": ("time", np.full(50, 0.3)),
    ...                  "direction": ("time", np.full(50, 90.0)), "pgd": ("time", np.ones(50))},
    ...                 coords={"time": np.arange(50) / 100.0})
    >>> ev = detect_wave_events(fr, min_duration=0.1)
    >>> len(ev), ev.pattern[0], float(ev.speed[0]), round(float(ev.duration[0]), 2)
    (1, 'planar', 0.3, 0.3)
    """
    if not isinstance(frames, xr.Dataset):
        raise NeurowaveTypeError(
            f"`frames` must be an xarray.Dataset over time (analyze(...).frames), got "
            f"{type(frames).__name__}."
        )
    if "time" not in frames.dims:
        raise NeurowaveError("`frames` has no 'time' dimension. Pass analyze(...).frames.")
    if "pattern" not in frames and "is_wave" not in frames:
        raise NeurowaveError(
            "`frames` needs a `pattern` or an `is_wave` variable. Pass analyze(...).frames "
            "or add classify_patterns(phase)['pattern']."
        )
    t = np.asarray(frames["time"].values, float)
    n = len(t)
    dt = float(np.median(np.diff(t))) if n > 1 else 1.0
    if "pattern" in frames:
        lab = np.asarray(frames["pattern"].values)
        if lab.dtype != object:
            lab = lab.astype(str).astype(object)
    else:
        lab = np.where(np.asarray(frames["is_wave"].values, bool), "planar", "other").astype(object)
    patterns = tuple(patterns)
    codes, names = pd.factorize(lab) if n else (np.zeros(0, int), np.zeros(0, object))
    is_ev = np.isin(codes, [i for i, nm in enumerate(names) if nm in patterns])
    period = None
    if "frequency" in frames:
        f = np.asarray(frames["frequency"].values, float)
        f = np.abs(f[np.isfinite(f)])
        if f.size and np.median(f) > 0:
            period = 1.0 / float(np.median(f))
    if min_duration is None:
        min_duration = period if period is not None else 5 * dt
    if max_gap is None:
        max_gap = period / 4.0 if period is not None else 2 * dt
    min_duration = check_positive(min_duration, "min_duration", allow_zero=True)
    max_gap = check_positive(max_gap, "max_gap", allow_zero=True)

    merged = _wave_runs(codes, names, is_ev, dt, max_gap)

    def get(name, sl):
        if name in frames:
            return np.asarray(frames[name].values[sl], float)
        return np.full(sl.stop - sl.start, np.nan)

    rows = []
    for a, b, p in merged:
        dur = (b - a + 1) * dt
        if dur < min_duration - 1e-12 * max(dt, 1):
            continue
        sl = slice(a, b + 1)
        keep = lab[sl] == p
        sp = get("speed", sl)[keep]
        if p != "planar" and "fit_speed" in frames:
            # radial and rotating waves: speed from the pattern-specific fit
            sp = get("fit_speed", sl)[keep]
        sp = sp[np.isfinite(sp)]
        dmean, dres = mean_resultant(get("direction", sl)[keep], deg=True)
        if p != "planar":
            dmean = np.nan
        rot = 0
        if "rotation" in frames:
            rv = np.asarray(frames["rotation"].values[sl])[keep]
            rv = rv[np.isfinite(rv.astype(float))] if rv.size else rv
            if rv.size:
                rot = int(np.sign(np.sum(np.sign(rv.astype(float)))))
        pg = get("pgd", sl)[keep]
        rows.append(
            dict(
                start=float(t[a]),
                end=float(t[b]),
                duration=float(dur),
                pattern=str(p),
                speed=float(np.median(sp)) if sp.size else np.nan,
                direction=dmean,
                pgd=float(np.nanmean(pg)) if np.isfinite(pg).any() else np.nan,
                n_frames=int(keep.sum()),
                rotation=rot,
                speed_q25=float(np.percentile(sp, 25)) if sp.size else np.nan,
                speed_q75=float(np.percentile(sp, 75)) if sp.size else np.nan,
                direction_spread=dres if p == "planar" else np.nan,
            )
        )
    ev = pd.DataFrame(rows, columns=_EVENT_COLUMNS)
    ev.attrs.update(
        min_duration=float(min_duration),
        max_gap=float(max_gap),
        patterns=list(patterns),
        time_units=str(frames["time"].attrs.get("units", "s")),
        speed_units=str(frames["speed"].attrs.get("units", "")) if "speed" in frames else "",
    )
    return ev


# --------------------------------------------------------------------------- Cobrawap route


def _flat_values(da):
    nt = da.sizes["time"]
    return np.asarray(da.values, float).reshape(nt, -1)


def detect_trigger_times(
    data, *, method="phase", transition_phase=-np.pi / 2, threshold=0.0, min_interval=None
):
    """Trigger times per site: upward phase crossings or threshold crossings (Cobrawap
    stage 3).

    Parameters
    ----------
    data : xarray.DataArray
        ``method="phase"``: phase in radians (e.g. ``compute_phase`` of a slow-wave band);
        ``method="threshold"``: the signal itself (e.g. z-scored dF/F). Dims
        ``("time", "y", "x")`` or ``("time", "channel")``.
    method : {"phase", "threshold"}
    transition_phase : float
        Phase whose upward crossing marks a transition (Cobrawap's default -pi/2: the
        rising flank of a cosine-like slow wave, i.e. its Down-to-Up transition).
    threshold : float
        Level whose upward crossing marks a transition (``method="threshold"``).
    min_interval : float | None
        Triggers of one site closer than this to its previous trigger are dropped (time
        units); default none dropped.

    Returns
    -------
    triggers : pandas.DataFrame
        ``site`` (flat index), ``x``, ``y``, ``time`` (linearly interpolated between
        samples), sorted by time; ``attrs``: ``spacing``, ``sampling_rate``, units.

    Examples
    --------
    >>> import numpy as np, neurowave as nw
    >>> t = np.arange(100) / 10.0
    >>> x = np.stack([np.sin(2 * np.pi * 0.5 * (t - 0.1 * k)) for k in range(3)], 1)
    >>> trig = detect_trigger_times(nw.make_channel_grid(x, sampling_rate=10.0, x=[0, 1, 2],
    ...                             y=[0, 0, 0]), method="threshold", threshold=0.0)
    >>> trig[trig.site == 1].time.round(2).tolist()[:2]
    [0.1, 2.1]
    """
    from ..grid import site_positions

    check_option("method", method, ("phase", "threshold"))
    if not isinstance(data, xr.DataArray) or "time" not in data.dims:
        raise NeurowaveTypeError(
            "`data` must be a wave grid or phase DataArray with a 'time' dimension."
        )
    sr = _sampling_rate(data)
    tu, su = units(data)
    t = np.asarray(data["time"].values, float)
    v = _flat_values(data)
    pos = site_positions(data)
    if method == "phase":
        a = wrap(v[:-1] - transition_phase)
        b = wrap(v[1:] - transition_phase)
        step = wrap(v[1:] - v[:-1])
        cross = (a < 0) & (b >= 0) & (step > 0) & (step < np.pi / 2)
        frac = np.where(cross, -a / np.where(step > 0, step, 1), 0)
    else:
        validate_type(threshold, "numeric", "threshold")
        a = v[:-1] - threshold
        b = v[1:] - threshold
        cross = (a < 0) & (b >= 0)
        frac = np.where(cross, -a / np.where(cross, b - a, 1), 0)
    ti, si = np.nonzero(cross)
    times = t[ti] + frac[ti, si] * (t[ti + 1] - t[ti])
    df = pd.DataFrame({"site": si, "x": pos[si, 0], "y": pos[si, 1], "time": times})
    df = df.sort_values(["site", "time"]).reset_index(drop=True)
    if min_interval is not None:
        min_interval = check_positive(min_interval, "min_interval")
        keep = np.ones(len(df), bool)
        last = {}
        for i, (s, tt) in enumerate(zip(df.site.to_numpy(), df.time.to_numpy(), strict=True)):
            if s in last and tt - last[s] < min_interval:
                keep[i] = False
            else:
                last[s] = tt
        df = df[keep]
    df = df.sort_values("time").reset_index(drop=True)
    valid = np.isfinite(v).any(0)
    df.attrs.update(
        spacing=float(grid_spacing(pos[valid])),
        sampling_rate=float(sr),
        time_units=tu,
        space_units=su,
        method=method,
        n_sites=int(valid.sum()),
    )
    return df


def detect_trigger_waves(
    triggers, *, eps=2.5, time_scale=None, min_samples=3, min_sites=None, min_fit=0.5
):
    """Group trigger times into waves and measure each wave's planar velocity
    (Cobrawap stages 4-5: trigger clustering, time-lag map, planar velocity).

    Triggers are clustered with DBSCAN in space-time, time scaled into space by
    ``time_scale``; within a wave each site keeps the trigger nearest the wave's median
    time. Its time-lag map (trigger time minus the wave's mean) is fitted by a plane
    ``t = t0 + s . p`` (robust IRLS); speed ``1 / |s|`` and direction ``atan2(sy, sx)``
    (the direction in which triggers come later: the direction of travel).

    Parameters
    ----------
    triggers : pandas.DataFrame
        Output of :func:`detect_trigger_times`.
    eps : float
        DBSCAN neighbourhood radius in grid spacings (default 2.5).
    time_scale : float | None
        Space units per time unit used to put time on the space axes; default one grid
        spacing per sample (``spacing x sampling_rate``): neighbouring triggers at most
        ``eps`` samples and ``eps`` spacings apart are linked.
    min_samples : int
        DBSCAN core-point size.
    min_sites : int | None
        Fewest sites in a wave (default a tenth of the valid sites, at least 4).
    min_fit : float
        Smallest R^2 of the plane for a planar speed (else NaN).

    Returns
    -------
    waves : pandas.DataFrame
        One row per wave: ``wave``, ``start``, ``end``, ``duration`` (spread of trigger
        times), ``n_sites``, ``speed`` (m/s for recordings, cells/step for models),
        ``direction`` (deg), ``plane_r2``, ``speed_ci_lo``/``speed_ci_hi`` (from the
        plane's covariance). ``attrs["triggers"]`` holds the triggers with their
        ``wave`` label (-1 = noise) and ``lag`` (time-lag map).

    Examples
    --------
    >>> import numpy as np, neurowave as nw
    >>> yy, xx = np.mgrid[0:10, 0:10] * 0.1
    >>> t = np.arange(400) / 100.0
    >>> lag = xx.ravel() / 20.0  # 20 mm/s along +x
    >>> x = np.sin(2 * np.pi * 0.5 * (t[:, None] - lag[None]))
    >>> trig = detect_trigger_times(nw.make_channel_grid(x, sampling_rate=100.0, x=xx.ravel(),
    ...                             y=yy.ravel()), method="threshold")
    >>> w = detect_trigger_waves(trig)
    >>> len(w), round(float(w.speed[0]), 3), round(float(w.direction[0])) % 360
    (2, 0.02, 0)
    """
    from sklearn.cluster import DBSCAN

    from .delays import _robust_plane

    if not isinstance(triggers, pd.DataFrame) or not {"site", "x", "y", "time"} <= set(
        triggers.columns
    ):
        raise NeurowaveTypeError("`triggers` must be the DataFrame of detect_trigger_times(...).")
    spacing = float(triggers.attrs.get("spacing", 1.0))
    sr = float(triggers.attrs.get("sampling_rate", 1.0))
    tu = triggers.attrs.get("time_units", "s")
    su = triggers.attrs.get("space_units", "mm")
    factor, sunit = speed_factor(tu, su)
    n_sites = int(triggers.attrs.get("n_sites", triggers.site.nunique()))
    eps = check_positive(eps, "eps")
    time_scale = spacing * sr if time_scale is None else check_positive(time_scale, "time_scale")
    min_sites = max(4, n_sites // 10) if min_sites is None else int(min_sites)
    trig = triggers.copy()
    trig["wave"] = -1
    trig["lag"] = np.nan
    cols = [
        "wave",
        "start",
        "end",
        "duration",
        "n_sites",
        "speed",
        "direction",
        "plane_r2",
        "speed_ci_lo",
        "speed_ci_hi",
    ]
    if len(trig) == 0:
        out = pd.DataFrame(columns=cols)
        out.attrs.update(triggers=trig)
        return out
    feats = np.column_stack([trig.x / spacing, trig.y / spacing, trig.time * time_scale / spacing])
    lab = DBSCAN(eps=eps, min_samples=int(min_samples)).fit_predict(feats)
    rows = []
    wave_id = 0
    labels = np.full(len(trig), -1)
    lags = np.full(len(trig), np.nan)
    for c in np.unique(lab[lab >= 0]):
        idx = np.flatnonzero(lab == c)
        sub = trig.iloc[idx]
        tmed = float(sub.time.median())
        # one trigger per site: the one closest to the wave's median time
        best = (
            sub.assign(_d=np.abs(sub.time - tmed))
            .sort_values("_d")
            .drop_duplicates("site", keep="first")
        )
        if len(best) < min_sites:
            continue
        keep_idx = best.index.to_numpy()
        labels[trig.index.get_indexer(keep_idx)] = wave_id
        tt = best.time.to_numpy(float)
        lag = tt - tt.mean()
        lags[trig.index.get_indexer(keep_idx)] = lag
        p = best[["x", "y"]].to_numpy(float)
        b, cov, r, _w = _robust_plane(p, tt)
        s = b[1:]
        ss_tot = float(((tt - tt.mean()) ** 2).sum())
        r2 = 1 - float((r**2).sum()) / ss_tot if ss_tot > 0 else np.nan
        norm = float(np.hypot(*s))
        speed = factor / norm if (norm > 0 and r2 >= min_fit) else np.nan
        direc = float(np.degrees(np.arctan2(s[1], s[0])) % 360) if np.isfinite(speed) else np.nan
        lo = hi = np.nan
        if np.isfinite(speed):
            # delta method on |s|: se(|s|) = sqrt(u^T cov u), u = s / |s|
            u = s / norm
            se = float(np.sqrt(max(u @ cov[1:, 1:] @ u, 0)))
            lo, hi = (
                factor / (norm + 1.96 * se),
                (factor / (norm - 1.96 * se) if norm > 1.96 * se else np.inf),
            )
        rows.append(
            dict(
                wave=wave_id,
                start=float(tt.min()),
                end=float(tt.max()),
                duration=float(tt.max() - tt.min()),
                n_sites=int(len(best)),
                speed=speed,
                direction=direc,
                plane_r2=r2,
                speed_ci_lo=lo,
                speed_ci_hi=hi,
            )
        )
        wave_id += 1
    out = pd.DataFrame(rows, columns=cols).sort_values("start").reset_index(drop=True)
    # renumber waves in time order
    order = {old: new for new, old in enumerate(out.wave)}
    out["wave"] = out.wave.map(order).astype(int) if len(out) else out.wave
    trig["wave"] = [order.get(v, -1) for v in labels]
    trig["lag"] = lags
    out.attrs.update(
        triggers=trig,
        eps=eps,
        time_scale=time_scale,
        min_samples=int(min_samples),
        min_sites=min_sites,
        speed_units=sunit,
    )
    return out
